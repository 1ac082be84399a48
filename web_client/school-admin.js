// /school's administration (admins only): the school's settings, new classes and teachers,
// assigning teachers to classes, and the people list where teachers get verified.

import * as api from './api.js';
import { ApiError } from './api.js';
import { $, button, el, formErrors, t, toast } from './page.js';
import { busy, keepingOpen, locale, signOut, state } from './school-common.js';
import { loadClass, renderClasses } from './school-classes.js';
import { personActions } from './school-people.js';
import { eraseButton, wireEraseDialog } from './school-erase.js';
import { fillRetentionForm, wireRetentionForm } from './school-retention.js';
import { fillTimeZoneForm, wireTimeZoneForm } from './school-time-zone.js';

const changed = new Set(); // called when the school itself changed (its name is in the top bar)

export function onSchoolChanged(callback) {
  changed.add(callback);
}

export function renderAdmin() {
  renderPeople();
  fillAssignForm();
}

/** An API refusal shown in the form, unless the sign-in itself is gone. */
function refused(form, err, special) {
  if (err instanceof ApiError && err.signedOut) return signOut();
  return formErrors.fromApi(form, err, special)?.focus();
}

// ---- the school's settings -------------------------------------------------------------------

/** The form shows what the server has; called on load, not on every redraw (typing is kept). */
export function fillSchoolForm() {
  const form = $('school-form');
  form.elements.name.value = state.school.name;
  $('parents-recordings').checked = Boolean(state.school.parents_see_recordings);
  fillRetentionForm();
  fillTimeZoneForm();
}

function schoolUpdated(school) {
  state.school = school;
  for (const callback of changed) callback();
}

function wireSchoolForm() {
  const form = $('school-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(form);
    const name = form.elements.name.value.trim();
    if (!name) return formErrors.field(form, 'name', 'field.required');
    if (name.length > api.NAME_MAX) return formErrors.field(form, 'name', 'field.nameInvalid');
    busy(form.querySelector('[type="submit"]'), async () => {
      let school;
      try {
        school = await api.updateSchool({ name });
      } catch (err) {
        return refused(form, err);
      }
      schoolUpdated(school);
      form.elements.name.value = school.name;
      toast('settings.renamed', { name: school.name });
      return null;
    });
    return null;
  });

  // A switch acts at once, as switches do; it goes back if the server refuses.
  const recordings = $('parents-recordings');
  recordings.addEventListener('change', () => {
    const wanted = recordings.checked;
    busy(recordings, async () => {
      let school;
      try {
        school = await api.updateSchool({ parents_see_recordings: wanted });
      } catch (err) {
        recordings.checked = !wanted;
        throw err;
      }
      schoolUpdated(school);
      recordings.checked = school.parents_see_recordings;
      toast(school.parents_see_recordings ? 'settings.recordingsOn' : 'settings.recordingsOff');
    });
  });
}

// ---- people ------------------------------------------------------------------------------------

function renderPeople() {
  const byRole = (role) =>
    state.users.filter((u) => u.role === role).sort((a, b) => a.name.localeCompare(b.name, locale()));
  const names = new Map(state.users.map((u) => [u.id, u.name]));
  const classNames = (pick) => state.classes.filter(pick).map((c) => c.name).join(', ');
  const note = (key, params) => el('span', 'person-classes', key, params);

  const teacherInfo = (user) => {
    const taught = classNames((c) => c.teachers.includes(user.id));
    return taught ? note('people.teaches', { classes: taught }) : note('people.noClasses');
  };
  const pupilInfo = (user) => {
    const span = note();
    span.textContent = classNames((c) => c.pupils.includes(user.id));
    return span;
  };
  const parentInfo = (user) =>
    note('people.parentOf', { names: user.children.map((id) => names.get(id) || '—').join(', ') });

  // Teachers who wait for verification come first: that is the admin's to-do.
  const teachers = byRole('teacher').sort((a, b) => Number(a.verified) - Number(b.verified));
  const groups = [
    peopleGroup('people.admins', byRole('admin'), () => null),
    peopleGroup('people.teachers', teachers, teacherInfo),
  ];
  // Pupils and parents can be hundreds: folded until asked for.
  for (const [key, role, info] of [['people.pupils', 'pupil', pupilInfo], ['people.parents', 'parent', parentInfo]]) {
    const users = byRole(role);
    if (!users.length) continue;
    const details = el('details');
    details.dataset.key = role;
    details.append(el('summary', null, key, { count: users.length }), peopleGroup(null, users, info));
    groups.push(details);
  }
  keepingOpen($('people-list'), () => $('people-list').replaceChildren(...groups));
}

function peopleGroup(key, users, info) {
  const group = el('div', 'people-group');
  if (key) group.append(el('h4', null, key, { count: users.length }));
  const list = el('ul', 'people-table');
  for (const user of users) {
    const item = el('li');
    item.dataset.userId = user.id;
    const name = el('span', 'person-name');
    name.textContent = user.name;
    const login = el('span', 'person-login');
    login.textContent = user.login || '';
    item.append(name, login);
    const extra = info(user);
    if (extra) item.append(extra);
    if (user.role === 'teacher') item.append(teacherStatus(user));
    item.classList.toggle('inactive', user.active === false);
    item.append(personActions(user));
    const erase = eraseButton(user, () => {
      renderClasses();
      renderAdmin();
    });
    if (erase) item.append(erase);
    list.append(item);
  }
  group.append(list);
  return group;
}

function teacherStatus(user) {
  const box = el('span', 'person-status');
  if (user.verified) {
    box.append(el('span', 'badge verified', 'people.verified'));
    return box;
  }
  box.append(
    el('span', 'badge plain', 'people.unverified'),
    button('primary small', 'people.verify', (b) => busy(b, async () => {
      const verified = await api.verifyTeacher(user.id);
      state.users = state.users.map((u) => (u.id === verified.id ? verified : u));
      renderAdmin();
      toast('people.verifiedToast', { name: verified.name });
    })),
  );
  return box;
}

// ---- classes and teachers ----------------------------------------------------------------------

/** The assign form's choices; its option texts are plain text, so a language switch redraws it. */
export function fillAssignForm() {
  const form = $('assign-form');
  const teacherSelect = form.elements.teacher;
  const classSelect = form.elements.class;
  const keep = [teacherSelect.value, classSelect.value];
  const option = (value, text) => {
    const node = document.createElement('option');
    node.value = value;
    node.textContent = text;
    return node;
  };
  teacherSelect.replaceChildren(...state.users
    .filter((u) => u.role === 'teacher')
    .sort((a, b) => a.name.localeCompare(b.name, locale()))
    .map((u) => option(u.id, u.verified ? u.name : `${u.name} (${t.t('people.unverified')})`)));
  classSelect.replaceChildren(...state.classes.map((c) => option(c.id, c.name)));
  if (keep[0]) teacherSelect.value = keep[0];
  if (keep[1]) classSelect.value = keep[1];
  form.querySelector('button[type="submit"]').disabled = !teacherSelect.options.length || !classSelect.options.length;
}

function wireClassForm() {
  const classForm = $('create-class-form');
  classForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(classForm);
    const name = classForm.elements.name.value.trim();
    if (!name) return formErrors.field(classForm, 'name', 'field.required');
    busy(classForm.querySelector('[type="submit"]'), async () => {
      let created;
      try {
        created = await api.createClass(name);
      } catch (err) {
        return refused(classForm, err);
      }
      state.classes = [...state.classes, created];
      await loadClass(created);
      classForm.reset();
      renderClasses();
      renderAdmin();
      toast('admin.classCreated', { name: created.name });
      return null;
    });
    return null;
  });
}

function wireTeacherForm() {
  const teacherForm = $('create-teacher-form');
  teacherForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(teacherForm);
    const fields = {
      name: teacherForm.elements.name.value.trim(),
      login: teacherForm.elements.login.value.trim().toLowerCase(),
      password: teacherForm.elements.password.value,
    };
    let ok = true;
    const bad = (name, key, params) => {
      formErrors.field(teacherForm, name, key, params);
      ok = false;
    };
    if (!fields.name) bad('name', 'field.required');
    if (!fields.login) bad('login', 'field.required');
    else if (!api.LOGIN_PATTERN.test(fields.login)) bad('login', 'field.loginInvalid');
    if (!fields.password) bad('password', 'field.required');
    else if (fields.password.length < api.PASSWORD_MIN) bad('password', 'field.passwordShort');
    if (!ok) return;
    busy(teacherForm.querySelector('[type="submit"]'), async () => {
      let teacher;
      try {
        teacher = await api.createTeacher(fields);
      } catch (err) {
        return refused(teacherForm, err);
      }
      state.users = [...state.users, teacher];
      teacherForm.reset();
      renderAdmin();
      toast('admin.teacherCreated', { name: teacher.name, login: teacher.login });
      return null;
    });
  });
}

function wireAssignForm() {
  const assignForm = $('assign-form');
  assignForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formErrors.clear(assignForm);
    const teacherId = assignForm.elements.teacher.value;
    const classId = assignForm.elements.class.value;
    if (!teacherId || !classId) return;
    busy(assignForm.querySelector('[type="submit"]'), async () => {
      let updated;
      try {
        updated = await api.assignTeacher(classId, teacherId);
      } catch (err) {
        return refused(assignForm, err);
      }
      state.classes = state.classes.map((c) => (c.id === updated.id ? updated : c));
      await loadClass(updated);
      renderClasses();
      renderAdmin();
      const teacher = state.users.find((u) => u.id === teacherId);
      toast('admin.assigned', { teacher: teacher?.name || '', class: updated.name });
      return null;
    });
  });
}

export function wireAdminForms() {
  wireSchoolForm();
  wireRetentionForm(schoolUpdated);
  wireTimeZoneForm(schoolUpdated);
  wireEraseDialog();
  wireClassForm();
  wireTeacherForm();
  wireAssignForm();
}
