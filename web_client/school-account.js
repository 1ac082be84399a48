// /school's account menu under the person's name in the top bar: their login, a dialog to
// change their password (POST /api/me/password), and signing out on every device.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, formErrors, t, toast, withLang } from './page.js';
import { busy, signOut, state } from './school-common.js';

function menuOpen(open) {
  $('user-menu').hidden = !open;
  $('user-menu-button').setAttribute('aria-expanded', String(open));
}

/** The menu's texts drawn from the account (the rest is [data-i18n] in school.html). */
export function renderAccount() {
  $('user-name').textContent = state.me.name;
  const login = $('user-menu-login');
  login.hidden = !state.me.login;
  if (state.me.login) localize(login, t, 'account.login', { login: state.me.login });
}

function openPasswordDialog() {
  menuOpen(false);
  const dialog = $('password-dialog');
  const form = $('password-form');
  form.reset();
  formErrors.clear(form);
  form.elements.username.value = state.me.login || '';
  dialog.showModal();
  form.elements.old.focus();
}

function closePasswordDialog() {
  $('password-dialog').close();
  $('user-menu-button').focus();
}

async function changePassword(form) {
  formErrors.clear(form);
  const old = form.elements.old.value;
  const fresh = form.elements.new.value;
  const repeat = form.elements.repeat.value;
  const problems = [];
  if (!old) problems.push(['old', 'field.required']);
  if (!fresh) problems.push(['new', 'field.required']);
  else if (fresh.length < api.PASSWORD_MIN) problems.push(['new', 'field.passwordShort']);
  else if (fresh === old) problems.push(['new', 'account.samePassword']);
  if (fresh && !repeat) problems.push(['repeat', 'field.required']);
  else if (fresh && repeat !== fresh) problems.push(['repeat', 'account.mismatch']);
  if (formErrors.some(form, problems)) return;
  try {
    await api.changePassword(old, fresh);
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) {
      signOut();
      return;
    }
    // A wrong current password is a 401 too, but the person is still signed in.
    const input = formErrors.fromApi(form, err, {
      bad_credentials: ['old', 'account.wrongOld'],
      password: ['new', 'field.passwordShort'],
    });
    input?.select?.();
    input?.focus();
    return;
  }
  closePasswordDialog();
  toast('account.passwordChanged');
}

export function wireAccount() {
  const menuButton = $('user-menu-button');
  menuButton.addEventListener('click', () => menuOpen($('user-menu').hidden));
  // Clicking elsewhere or Escape closes the menu.
  document.addEventListener('click', (ev) => {
    if (!$('user-box').contains(ev.target)) menuOpen(false);
  });
  $('user-box').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !$('user-menu').hidden) {
      menuOpen(false);
      menuButton.focus();
    }
  });
  $('change-password-item').addEventListener('click', openPasswordDialog);
  // A lost phone, a school computer left signed in: every token of the account ends now.
  $('sign-out-everywhere-item').addEventListener('click', () =>
    busy($('sign-out-everywhere-item'), async () => {
      await api.logoutEverywhere();
      location.replace(withLang('/signin'));
    }),
  );

  const form = $('password-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy($('password-submit'), () => changePassword(form));
  });
  $('password-cancel').addEventListener('click', closePasswordDialog);
}
