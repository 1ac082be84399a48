// /school's "Erase data" for one person (admins): a dialog that names what goes, asks for the
// person's name typed out, and calls POST /api/users/{id}/erase. Not offered for oneself.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, button, formErrors, t, toast } from './page.js';
import { busy, signOut, state } from './school-common.js';

let person = null; // the one the dialog is about
let erased = () => {}; // redraws the page once they are gone

const folded = (text) => text.trim().split(/\s+/).join(' ').toLocaleLowerCase();

/** The people list's button for `user` (null for the admin themselves). */
export function eraseButton(user, onErased) {
  if (user.id === state.me?.id) return null;
  const node = button('danger-button small erase-button', 'people.erase', () => open(user, onErased));
  node.dataset.erase = user.id;
  return node;
}

function open(user, onErased) {
  person = user;
  erased = onErased;
  const form = $('erase-form');
  form.reset();
  formErrors.clear(form);
  localize($('erase-heading'), t, 'erase.heading', { name: user.name });
  localize($('erase-confirm-label'), t, 'erase.confirmLabel', { name: user.name });
  $('erase-submit').disabled = true;
  $('erase-dialog').showModal();
  form.elements.confirm.focus();
}

function close() {
  $('erase-dialog').close();
  person = null;
}

async function erase(form) {
  formErrors.clear(form);
  const typed = form.elements.confirm.value;
  if (folded(typed) !== folded(person.name)) {
    formErrors.field(form, 'confirm', 'erase.mismatch');
    return;
  }
  const gone = person;
  try {
    await api.eraseUser(gone.id, typed);
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) {
      signOut();
      return;
    }
    formErrors.fromApi(form, err, {
      confirmation_mismatch: ['confirm', 'erase.mismatch'],
      recording_in_progress: ['form', 'erase.recordingInProgress'],
      erase_self: ['form', 'erase.self'],
      last_admin: ['form', 'erase.lastAdmin'],
    });
    return;
  }
  // What the page holds of them goes too; the server has already forgotten them.
  state.users = state.users.filter((u) => u.id !== gone.id)
    .map((u) => ({ ...u, children: u.children.filter((c) => c !== gone.id) }));
  state.classes = state.classes.map((c) => ({
    ...c,
    teachers: c.teachers.filter((id) => id !== gone.id),
    pupils: c.pupils.filter((id) => id !== gone.id),
  }));
  close();
  await erased();
  toast('erase.done', { name: gone.name });
}

export function wireEraseDialog() {
  const form = $('erase-form');
  form.elements.confirm.addEventListener('input', () => {
    // The button wakes when the name is typed out: a second, deliberate step.
    $('erase-submit').disabled = !person || folded(form.elements.confirm.value) !== folded(person.name);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (person) busy($('erase-submit'), () => erase(form));
  });
  $('erase-cancel').addEventListener('click', close);
  $('erase-dialog').addEventListener('close', () => {
    person = null;
  });
}
