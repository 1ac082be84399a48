// /signin: login and password; the server sets its sign-in cookie and the person goes to /school, or
// back to the page that sent them here (?next=/join/… : an invite link to use when signed in).

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, applyLanguage, errorText, t, wireLanguageSwitch, withLang } from './page.js';

/** Where to go once signed in: ?next= when it is a path of this site, else the school. */
function destination() {
  const next = new URLSearchParams(location.search).get('next');
  let target = null;
  try {
    target = next && next.startsWith('/') ? new URL(next, location.origin) : null;
  } catch {
    /* not a URL at all */
  }
  const ours = target && target.origin === location.origin;
  return withLang(ours ? target.pathname + target.search : '/school');
}

function showError(key, params) {
  const node = $('signin-error');
  node.hidden = !key;
  if (key) localize(node, t, key, params);
}

function setBusy(busy) {
  const submit = $('signin-button');
  submit.disabled = busy;
  submit.setAttribute('aria-busy', String(busy));
  localize(submit, t, busy ? 'signin.submitting' : 'signin.submit');
}

async function submit(ev) {
  ev.preventDefault();
  const loginInput = $('signin-login');
  const passwordInput = $('signin-password');
  const login = loginInput.value.trim();
  const password = passwordInput.value;
  if (!login || !password) {
    showError('signin.missing');
    (login ? passwordInput : loginInput).focus();
    return;
  }
  showError(null);
  setBusy(true);
  try {
    await api.login(login, password);
  } catch (err) {
    setBusy(false);
    const code = err instanceof ApiError ? err.code : null;
    if (code === 'bad_credentials') {
      showError('signin.badCredentials');
      passwordInput.select();
      passwordInput.focus();
    } else {
      showError(...errorText(err));
    }
    return;
  }
  location.assign(destination());
}

function translate() {
  applyLanguage(t.t('signin.title'));
}

/** Someone already signed in (a cookie the server still accepts) goes straight on. */
async function skipIfSignedIn() {
  try {
    await api.me();
  } catch {
    return;
  }
  location.replace(destination());
}

function main() {
  wireLanguageSwitch(translate);
  $('signin-form').addEventListener('submit', submit);
  translate();
  $('signin-login').focus();
  skipIfSignedIn();
}

main();
