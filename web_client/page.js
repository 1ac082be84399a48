// What the school pages (/signin, /school, /join/…) share: the translator and the RU/EN switch in
// the top bar, element helpers that draw localized text, toasts, and form errors under fields.
// The lesson page (app.js) has its own; nothing here touches it.

import { ApiError } from './api.js';
import { Translator, localize } from './i18n.js';

export const t = new Translator();
export const $ = (id) => document.getElementById(id);

const TOAST_MS = 6000;
const FLASH_KEY = 'classroom.flash';

// ---- elements ----------------------------------------------------------------------------------

/** A new element; with `key`, its text is that string, redrawn on a language switch. */
export function el(tag, className, key, params) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (key) localize(node, t, key, params);
  return node;
}

export function button(className, key, onClick, params) {
  const node = el('button', className, key, params);
  node.type = 'button';
  if (onClick) node.addEventListener('click', () => onClick(node));
  return node;
}

/** A letter on a coloured dot: the same colour for the same name everywhere. */
export function avatarDot(name) {
  const dot = document.createElement('span');
  dot.className = 'avatar-dot';
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  dot.style.setProperty('--hue', h);
  dot.textContent = name.trim().slice(0, 1).toUpperCase();
  dot.setAttribute('aria-hidden', 'true');
  return dot;
}

/** A labelled form field: {label, input} with the label's text from `labelKey`. */
export function field(labelKey, input, name) {
  const label = el('label', 'field');
  if (name) input.name = name;
  label.append(el('span', 'field-label', labelKey), input);
  return { label, input };
}

// ---- language ----------------------------------------------------------------------------------

/** The top bar's RU/EN buttons: switch in place, keep the choice in the address (a reload keeps
 * it, as on the lesson page), then `onChange` redraws what the page draws itself. */
export function wireLanguageSwitch(onChange) {
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.addEventListener('click', () => t.setLanguage(b.dataset.lang));
  }
  t.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('lang', t.lang);
    history.replaceState(null, '', url);
    onChange();
  });
}

/** Redraws every [data-i18n] text, the window title and the switch's pressed button. */
export function applyLanguage(title) {
  t.apply(document);
  document.title = title;
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === t.lang));
  }
}

/** Carries an explicit ?lang= along, so the language chosen here stays on the next page. */
export function withLang(url) {
  const lang = new URLSearchParams(location.search).get('lang');
  if (!lang) return url;
  const target = new URL(url, location.href);
  target.searchParams.set('lang', lang);
  return target.origin === location.origin ? target.pathname + target.search : target.href;
}

// ---- errors and notices ------------------------------------------------------------------------

/** [i18n key, params] for a failed request. */
export function errorText(err) {
  const code = err instanceof ApiError ? err.code : null;
  if (code === 'too_many_attempts') {
    return ['api.too_many_attempts', { minutes: Math.max(1, Math.ceil((err.retryAfter || 60) / 60)) }];
  }
  if (code && t.has(`api.${code}`)) return [`api.${code}`];
  return ['api.unknown', { message: err?.message || String(err) }];
}

/** A notice in the corner that goes by itself; `tone` 'error' is read out at once. */
export function toast(key, params, tone = 'info') {
  let box = $('toasts');
  if (!box) {
    box = el('div', 'toasts');
    box.id = 'toasts';
    box.setAttribute('aria-live', 'polite');
    document.body.append(box);
  }
  const text = el('div', `toast ${tone}`, key, params);
  text.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  const wrapper = el('div', 'toast-wrap');
  const close = button('toast-close', null, () => wrapper.remove());
  close.textContent = '×';
  close.setAttribute('aria-label', 'OK');
  wrapper.append(text, close);
  box.append(wrapper);
  setTimeout(() => wrapper.remove(), TOAST_MS);
}

/** A toast for the next page of this tab (after a redirect), shown there by showFlash(). */
export function setFlash(key, params) {
  try {
    sessionStorage.setItem(FLASH_KEY, JSON.stringify([key, params || null]));
  } catch {
    /* no storage: no notice, the page itself shows the result */
  }
}

export function showFlash() {
  let flash = null;
  try {
    flash = JSON.parse(sessionStorage.getItem(FLASH_KEY) || 'null');
    sessionStorage.removeItem(FLASH_KEY);
  } catch {
    return;
  }
  if (Array.isArray(flash) && typeof flash[0] === 'string') toast(flash[0], flash[1] || undefined);
}

// ---- form errors -------------------------------------------------------------------------------

/** What an API field error says, by the field the server names (error.field). */
const FIELD_KEYS = {
  name: 'field.nameInvalid',
  login: 'field.loginInvalid',
  password: 'field.passwordShort',
  new: 'field.passwordShort',
  child_id: 'field.childRequired',
  title: 'field.titleInvalid',
  scheduled_at: 'meeting.inPast',
};

/** Field errors under the inputs, one form-wide error above the buttons. */
export const formErrors = {
  clear(form) {
    for (const node of form.querySelectorAll('.field-error, .form-error')) node.hidden = true;
    for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  },
  field(form, name, key, params) {
    const node = form.querySelector(`[data-error-for="${name}"]`);
    if (!node) return formErrors.form(form, key, params);
    node.hidden = false;
    localize(node, t, key, params);
    form.elements[name]?.setAttribute('aria-invalid', 'true');
  },
  /** Shows [[field, key], …] checked in the page, focuses the first; true if there were any. */
  some(form, problems) {
    for (const [name, key] of problems) formErrors.field(form, name, key);
    form.elements[problems[0]?.[0]]?.focus();
    return problems.length > 0;
  },
  form(form, key, params) {
    const node = form.querySelector('.form-error');
    node.hidden = false;
    localize(node, t, key, params);
  },
  /**
   * The API's refusal, next to the field it is about (error.field). `special` maps an error
   * code or a field to [the form's field, i18n key] where this form says it differently (a
   * name the form has no field for puts the message above the buttons).
   * Returns the form's input that got the error, if any (to focus it).
   */
  fromApi(form, err, special = {}) {
    const api = err instanceof ApiError ? err : null;
    const pick = (api && (special[api.code] || (api.field && special[api.field]))) || null;
    let target = pick;
    if (!target && api?.code === 'conflict') target = [api.field || 'login', 'field.loginTaken'];
    if (!target && api?.code === 'invalid_input' && api.field && FIELD_KEYS[api.field]) {
      target = [api.field, FIELD_KEYS[api.field]];
    }
    if (!target) {
      formErrors.form(form, ...errorText(err));
      return null;
    }
    // A field this form does not show gets its message above the buttons.
    formErrors.field(form, target[0], target[1]);
    return form.elements[target[0]] || null;
  },
};

/**
 * Why a page cannot show what it was opened for, in its #refused-title / #refused-text, with
 * #retry shown only when trying again may help: `prefix.forbidden.*` and `prefix.not_found.*`
 * explain 403 and 404, `prefix.failed.title` the rest. An expired sign-in goes back to
 * /signin and returns false (the page is leaving).
 */
export function explainRefusal(err, prefix) {
  if (err instanceof ApiError && err.signedOut) {
    location.replace(withLang(`/signin?next=${encodeURIComponent(location.pathname)}`));
    return false;
  }
  const code = err instanceof ApiError ? err.code : null;
  const known = code === 'forbidden' || code === 'not_found';
  localize($('refused-title'), t, known ? `${prefix}.${code}.title` : `${prefix}.failed.title`);
  if (known) localize($('refused-text'), t, `${prefix}.${code}.text`);
  else localize($('refused-text'), t, ...errorText(err));
  $('retry').hidden = known;
  return true;
}
