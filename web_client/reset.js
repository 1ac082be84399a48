// /reset/{secret}: a one-time link from the school (a reset by an admin or a teacher, or a new
// account's first password). Says whose account it is, takes the new password twice, uses the
// link up, then signs in with the new password the ordinary way and opens the school.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import {
  $, applyLanguage, errorText, formErrors, setFlash, t, wireLanguageSwitch, withLang,
} from './page.js';
import { formatTime } from './school-common.js';

const DEAD = new Set(['not_found', 'link_expired', 'account_disabled']);

// The secret is the last path segment; the server routes /reset/{link} here.
const secret = decodeURIComponent(location.pathname.split('/').filter(Boolean).slice(1).join('/'));
let link = null; // {name, login, school, expires_at, first}

function show(view) {
  for (const id of ['loading', 'unreachable', 'dead', 'reset']) $(id).hidden = id !== view;
}

async function load() {
  show('loading');
  try {
    link = secret ? await api.openPasswordLink(secret) : null;
  } catch (err) {
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    localize($('unreachable-text'), t, ...errorText(err));
    return show('unreachable');
  }
  if (!link) return showDead('not_found');
  showForm();
  return null;
}

function showDead(code) {
  localize($('dead-title'), t, `reset.dead.${code}.title`);
  localize($('dead-text'), t, `reset.dead.${code}.text`);
  show('dead');
  translate();
}

function showForm() {
  $('reset-school').textContent = link.school;
  localize($('reset-heading'), t, link.first ? 'reset.headingFirst' : 'reset.heading', { name: link.name });
  localize($('reset-lead'), t, 'reset.lead', { login: link.login });
  $('reset-username').value = link.login;
  drawExpiry();
  show('reset');
  translate();
  $('reset-password').focus();
}

function drawExpiry() {
  if (link) localize($('reset-expiry'), t, 'reset.expires', { time: formatTime(link.expires_at) });
}

async function submit(ev) {
  ev.preventDefault();
  const form = $('reset-form');
  formErrors.clear(form);
  const password = form.elements.password.value;
  const repeat = form.elements.repeat.value;
  const problems = [];
  if (!password) problems.push(['password', 'field.required']);
  else if (password.length < api.PASSWORD_MIN) problems.push(['password', 'field.passwordShort']);
  if (password && repeat !== password) problems.push(['repeat', 'account.mismatch']);
  if (formErrors.some(form, problems)) return;
  const button = $('reset-submit');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await api.usePasswordLink(secret, password);
  } catch (err) {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    formErrors.fromApi(form, err)?.focus();
    return;
  }
  // The link is used up: from here on the password is the way in.
  try {
    await api.login(link.login, password); // the server sets the sign-in cookie
  } catch {
    location.assign(withLang('/signin')); // the password is set: the sign-in page takes it
    return;
  }
  setFlash('reset.done');
  location.assign(withLang('/school'));
}

function translate() {
  applyLanguage(t.t('reset.title'));
  drawExpiry();
}

function main() {
  wireLanguageSwitch(translate);
  $('reset-form').addEventListener('submit', submit);
  $('retry').addEventListener('click', load);
  translate();
  load();
}

main();
