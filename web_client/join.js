// /join/{invite id}: an invite link from a teacher. Shows whom it invites where, and lets the
// person create their own account (a parent also picks their child); a dead link says why.

import * as api from './api.js';
import { ApiError } from './api.js';
import { Translator, localize } from './i18n.js';

const t = new Translator();
const $ = (id) => document.getElementById(id);
const DEAD = new Set(['not_found', 'invite_expired', 'invite_revoked', 'invite_used_up']);

// The id is the last path segment; the server routes /join/{invite_id} here.
const inviteId = decodeURIComponent(location.pathname.split('/').filter(Boolean).slice(1).join('/'));
let invite = null;

/** Carries an explicit ?lang= along, so the language chosen here stays on the next page. */
function withLang(path) {
  const lang = new URLSearchParams(location.search).get('lang');
  return lang ? `${path}?lang=${encodeURIComponent(lang)}` : path;
}

function errorText(err) {
  const code = err instanceof ApiError ? err.code : null;
  if (code && t.has(`api.${code}`)) return [`api.${code}`];
  return ['api.unknown', { message: err?.message || String(err) }];
}

function show(view) {
  for (const id of ['loading', 'unreachable', 'dead', 'invite']) $(id).hidden = id !== view;
}

async function load() {
  show('loading');
  try {
    invite = inviteId ? await api.openInvite(inviteId) : null;
  } catch (err) {
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    localize($('unreachable-text'), t, ...errorText(err));
    return show('unreachable');
  }
  if (!invite) return showDead('not_found');
  showInvite();
}

function showDead(code) {
  localize($('dead-title'), t, `invite.dead.${code}.title`);
  localize($('dead-text'), t, `invite.dead.${code}.text`);
  show('dead');
  translate();
}

function showInvite() {
  const params = { class: invite.class, school: invite.school };
  $('invite-school').textContent = invite.school;
  localize($('invite-heading'), t, 'invite.heading', params);
  localize($('invite-lead'), t, `invite.lead.${invite.role}`, params);
  localize($('invite-name-hint'), t, `invite.nameHint.${invite.role}`);
  $('invite-expiry').dataset.ts = String(invite.expires_at);
  // A parent invite made for one child has no `children`: the server links that child.
  const children = Array.isArray(invite.children) ? invite.children : [];
  $('child-field').hidden = children.length === 0;
  const select = $('invite-child');
  const placeholder = document.createElement('option');
  placeholder.value = '';
  placeholder.dataset.i18n = 'invite.childChoose';
  select.replaceChildren(placeholder, ...children.map(({ id, name }) => {
    const option = document.createElement('option');
    option.value = id;
    option.textContent = name;
    return option;
  }));
  select.required = children.length > 0;
  show('invite');
  translate();
  (children.length ? select : $('invite-name')).focus();
}

function drawExpiry() {
  const node = $('invite-expiry');
  if (!node.dataset.ts) return;
  const time = new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeStyle: 'short' })
    .format(new Date(Number(node.dataset.ts) * 1000));
  localize(node, t, 'invite.expires', { time });
}

// ---- the form ----------------------------------------------------------------------------

const form = $('invite-form');

function clearErrors() {
  for (const node of form.querySelectorAll('.field-error, .form-error')) node.hidden = true;
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

function fieldError(name, key, params) {
  const node = form.querySelector(`[data-error-for="${name}"]`);
  node.hidden = false;
  localize(node, t, key, params);
  form.elements[name].setAttribute('aria-invalid', 'true');
}

function formError(key, params) {
  const node = $('invite-error');
  node.hidden = false;
  localize(node, t, key, params);
}

/** The same rules the server applies, checked first so each field can say what is wrong. */
function check(fields, needsChild) {
  const problems = [];
  if (needsChild && !fields.child_id) problems.push(['child_id', 'field.childRequired']);
  if (!fields.name) problems.push(['name', 'field.required']);
  else if (fields.name.length > api.NAME_MAX) problems.push(['name', 'field.nameInvalid']);
  if (!fields.login) problems.push(['login', 'field.required']);
  else if (!api.LOGIN_PATTERN.test(fields.login)) problems.push(['login', 'field.loginInvalid']);
  if (!fields.password) problems.push(['password', 'field.required']);
  else if (fields.password.length < api.PASSWORD_MIN) problems.push(['password', 'field.passwordShort']);
  return problems;
}

/** Which field an invalid_input message is about (the API names it only in English text). */
function invalidField(message) {
  const text = String(message).toLowerCase();
  if (text.includes('child')) return ['child_id', 'field.childRequired'];
  if (text.includes('login')) return ['login', 'field.loginInvalid'];
  if (text.includes('password')) return ['password', 'field.passwordShort'];
  if (text.includes('name')) return ['name', 'field.nameInvalid'];
  return null;
}

function setBusy(busy) {
  const submit = $('invite-submit');
  submit.disabled = busy;
  submit.setAttribute('aria-busy', String(busy));
  localize(submit, t, busy ? 'invite.submitting' : 'invite.submit');
}

async function submit(ev) {
  ev.preventDefault();
  clearErrors();
  const needsChild = !$('child-field').hidden;
  const fields = {
    name: form.elements.name.value.trim(),
    login: form.elements.login.value.trim().toLowerCase(),
    password: form.elements.password.value,
  };
  if (needsChild) fields.child_id = form.elements.child_id.value;
  const problems = check(fields, needsChild);
  for (const [name, key] of problems) fieldError(name, key);
  if (problems.length) {
    form.elements[problems[0][0]].focus();
    return;
  }
  setBusy(true);
  let result;
  try {
    result = await api.redeemInvite(inviteId, fields);
  } catch (err) {
    setBusy(false);
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code); // died meanwhile
    if (err instanceof ApiError && err.code === 'conflict') {
      fieldError('login', 'field.loginTaken');
      return form.elements.login.focus();
    }
    const field = err instanceof ApiError && err.code === 'invalid_input' ? invalidField(err.message) : null;
    if (field) return fieldError(...field);
    return formError(...errorText(err));
  }
  api.setToken(result.token);
  location.assign(withLang('/school'));
}

// ---- language, start -----------------------------------------------------------------------

function translate() {
  t.apply(document);
  drawExpiry();
  document.title = invite ? t.t('invite.title', { class: invite.class }) : t.t('invite.titlePlain');
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === t.lang));
  }
  for (const link of [$('dead-signin'), $('invite-signin')]) link.href = withLang('/signin');
}

function main() {
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.addEventListener('click', () => t.setLanguage(b.dataset.lang));
  }
  t.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('lang', t.lang);
    history.replaceState(null, '', url);
    translate();
  });
  form.addEventListener('submit', submit);
  $('retry').addEventListener('click', load);
  translate();
  load();
}

main();
