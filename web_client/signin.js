// /signin: login and password; the API token goes to localStorage and the person to /school.

import * as api from './api.js';
import { ApiError } from './api.js';
import { Translator, localize } from './i18n.js';

const t = new Translator();
const $ = (id) => document.getElementById(id);

/** Carries an explicit ?lang= along, so the language chosen here stays on the next page. */
function withLang(path) {
  const lang = new URLSearchParams(location.search).get('lang');
  return lang ? `${path}?lang=${encodeURIComponent(lang)}` : path;
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
  let result;
  try {
    result = await api.login(login, password);
  } catch (err) {
    setBusy(false);
    const code = err instanceof ApiError ? err.code : null;
    if (code === 'bad_credentials') {
      showError('signin.badCredentials');
      passwordInput.select();
      passwordInput.focus();
    } else if (code && t.has(`api.${code}`)) {
      showError(`api.${code}`);
    } else {
      showError('api.unknown', { message: err?.message || String(err) });
    }
    return;
  }
  api.setToken(result.token);
  location.assign(withLang('/school'));
}

function translate() {
  t.apply(document);
  document.title = t.t('signin.title');
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === t.lang));
  }
}

/** Someone already signed in (a token the server still accepts) goes straight to the school. */
async function skipIfSignedIn() {
  if (!api.getToken()) return;
  try {
    await api.me();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) api.clearToken();
    return;
  }
  location.replace(withLang('/school'));
}

function main() {
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.addEventListener('click', () => t.setLanguage(b.dataset.lang));
  }
  t.addEventListener('change', () => {
    // Keep the choice in the address, as the lesson page does: a reload keeps the language.
    const url = new URL(location.href);
    url.searchParams.set('lang', t.lang);
    history.replaceState(null, '', url);
    translate();
  });
  $('signin-form').addEventListener('submit', submit);
  translate();
  $('signin-login').focus();
  skipIfSignedIn();
}

main();
