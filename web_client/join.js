// /join/{invite id}: an invite link from a teacher. Shows whom it invites where, and lets the
// person create their own account (a parent also picks their child); a dead link says why.
// Someone already signed in with the link's role (a pupil joining a second class, a parent with
// a second child) adds the class to that account instead.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import {
  $, applyLanguage, avatarDot, errorText, formErrors, setFlash, t, wireLanguageSwitch, withLang,
} from './page.js';

const DEAD = new Set(['not_found', 'invite_expired', 'invite_revoked', 'invite_used_up']);

// The id is the last path segment; the server routes /join/{invite_id} here.
const inviteId = decodeURIComponent(location.pathname.split('/').filter(Boolean).slice(1).join('/'));
let invite = null;
let me = null; // {user, school} when signed in already

function show(view) {
  for (const id of ['loading', 'unreachable', 'dead', 'invite']) $(id).hidden = id !== view;
}

/** The person's account, if they are signed in. */
async function signedInUser() {
  try {
    return await api.me();
  } catch {
    return null;
  }
}

async function load() {
  show('loading');
  const account = signedInUser();
  try {
    invite = inviteId ? await api.openInvite(inviteId) : null;
  } catch (err) {
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    localize($('unreachable-text'), t, ...errorText(err));
    return show('unreachable');
  }
  if (!invite) return showDead('not_found');
  me = await account;
  showInvite();
}

function showDead(code) {
  localize($('dead-title'), t, `invite.dead.${code}.title`);
  localize($('dead-text'), t, `invite.dead.${code}.text`);
  show('dead');
  translate();
}

/** The link's children to choose from (a parent link made for one child has none). */
function fillChildren(select, children, linked = []) {
  const placeholder = document.createElement('option');
  placeholder.value = '';
  placeholder.dataset.i18n = 'invite.childChoose';
  select.replaceChildren(placeholder, ...children.map(({ id, name }) => {
    const option = document.createElement('option');
    option.value = id;
    if (linked.includes(id)) {
      // Already this parent's child: shown, so the list makes sense, but not chosen again.
      localize(option, t, 'accept.childLinked', { name });
      option.disabled = true;
    } else {
      option.textContent = name;
    }
    return option;
  }));
  select.required = children.length > 0;
}

function showInvite() {
  const params = { class: invite.class, school: invite.school };
  $('invite-school').textContent = invite.school;
  localize($('invite-heading'), t, 'invite.heading', params);
  localize($('invite-lead'), t, `invite.lead.${invite.role}`, params);
  localize($('invite-name-hint'), t, `invite.nameHint.${invite.role}`);
  $('invite-expiry').dataset.ts = String(invite.expires_at);
  const children = Array.isArray(invite.children) ? invite.children : [];
  const user = me?.user;
  const accepting = Boolean(user && user.role === invite.role);
  $('accept-box').hidden = !accepting;
  $('invite-form').hidden = accepting;
  $('invite-signin-hint').hidden = accepting;
  $('other-role').hidden = !user || accepting;
  // One child field, in whichever form is shown.
  const childField = $('child-field');
  (accepting ? acceptForm : form).prepend(childField);
  childField.hidden = children.length === 0;
  fillChildren($('invite-child'), children, accepting ? user.children || [] : []);
  let focus = children.length ? $('invite-child') : null;
  if (accepting) {
    const dot = avatarDot(user.name);
    dot.id = 'accept-avatar';
    $('accept-avatar').replaceWith(dot);
    localize($('accept-who'), t, 'accept.signedInAs', { name: user.name });
    localize($('accept-other'), t, 'accept.notYou', { name: user.name });
    focus ||= $('accept-submit');
  } else {
    if (user) localize($('other-role'), t, `accept.otherRole.${invite.role}`, { name: user.name });
    focus ||= $('invite-name');
  }
  show('invite');
  translate();
  focus.focus();
}

function drawExpiry() {
  const node = $('invite-expiry');
  if (!node.dataset.ts) return;
  const time = new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeStyle: 'short' })
    .format(new Date(Number(node.dataset.ts) * 1000));
  localize(node, t, 'invite.expires', { time });
}

// ---- a new account -----------------------------------------------------------------------------

const form = $('invite-form');

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

function setBusy(submit, busy, idleKey, busyKey) {
  submit.disabled = busy;
  submit.setAttribute('aria-busy', String(busy));
  localize(submit, t, busy ? busyKey : idleKey);
}

async function submit(ev) {
  ev.preventDefault();
  formErrors.clear(form);
  const needsChild = !$('child-field').hidden;
  const fields = {
    name: form.elements.name.value.trim(),
    login: form.elements.login.value.trim().toLowerCase(),
    password: form.elements.password.value,
  };
  if (needsChild) fields.child_id = form.elements.child_id.value;
  const problems = check(fields, needsChild);
  if (formErrors.some(form, problems)) return;
  const button = $('invite-submit');
  setBusy(button, true, 'invite.submit', 'invite.submitting');
  try {
    await api.redeemInvite(inviteId, fields);
  } catch (err) {
    setBusy(button, false, 'invite.submit', 'invite.submitting');
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code); // died meanwhile
    formErrors.fromApi(form, err)?.focus();
    return;
  }
  location.assign(withLang('/school'));
}

// ---- the account one is signed in with ---------------------------------------------------------

const acceptForm = $('accept-form');

async function accept(ev) {
  ev.preventDefault();
  formErrors.clear(acceptForm);
  const needsChild = !$('child-field').hidden;
  const childId = needsChild ? acceptForm.elements.child_id.value : null;
  if (needsChild && !childId) {
    formErrors.field(acceptForm, 'child_id', 'field.childRequired');
    acceptForm.elements.child_id.focus();
    return;
  }
  const button = $('accept-submit');
  setBusy(button, true, 'accept.submit', 'accept.submitting');
  try {
    await api.acceptInvite(inviteId, childId);
  } catch (err) {
    setBusy(button, false, 'accept.submit', 'accept.submitting');
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    if (err instanceof ApiError && err.signedOut) {
      // The sign-in expired meanwhile: the link still works for a new account, or after signing in.
      me = null;
      return showInvite();
    }
    formErrors.fromApi(acceptForm, err, {
      forbidden: ['accept', 'accept.otherSchool'],
      role: ['accept', 'accept.wrongRole'],
    });
    return;
  }
  const child = invite.children?.find((c) => c.id === childId)?.name;
  if (invite.role === 'parent' && child) setFlash('accept.doneChild', { class: invite.class, name: child });
  else setFlash(`accept.done.${invite.role}`, { class: invite.class });
  location.assign(withLang('/school'));
  setBusy(button, true, 'accept.submit', 'accept.submitting'); // stays busy while the page goes
}

/** "Not Ирина? Sign out": end the sign-in and offer the new-account form. */
async function signOutHere() {
  await api.logout();
  me = null;
  showInvite();
}

// ---- language, start -----------------------------------------------------------------------

function translate() {
  applyLanguage(invite ? t.t('invite.title', { class: invite.class }) : t.t('invite.titlePlain'));
  drawExpiry();
  // Signing in comes back here, to use the link with that account.
  const signin = withLang(`/signin?next=${encodeURIComponent(location.pathname)}`);
  $('invite-signin').href = signin;
  $('dead-signin').href = withLang('/signin');
}

function main() {
  wireLanguageSwitch(translate);
  form.addEventListener('submit', submit);
  acceptForm.addEventListener('submit', accept);
  $('accept-other').addEventListener('click', signOutHere);
  $('retry').addEventListener('click', load);
  translate();
  load();
}

main();
