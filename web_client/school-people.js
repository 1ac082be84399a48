// /school's running of the school: per person a one-time password link to copy and hand over,
// deactivating and reactivating (admins); per class taking a pupil out, and importing a class
// list from CSV (preview with each row's problems, then all of it at once, then every new
// person's link). The server decides who may (classroom/policy.py); this only draws.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, button, el, errorText, formErrors, t, toast } from './page.js';
import { busy, confirming, failed, signOut, state, timeText } from './school-common.js';

const changed = new Set(); // called when people or classes changed (the page reloads them)

export function onPeopleChanged(callback) {
  changed.add(callback);
}

async function peopleChanged() {
  for (const callback of changed) await callback();
}

// ---- copying -----------------------------------------------------------------------------------

/** The Clipboard API where the page may use it; else the old way; else the text stays selected
 * in its field for the person to copy. */
async function copyText(text, input) {
  input?.focus();
  input?.select();
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** A labelled read-only field with a link and its Copy button. */
function linkField(url, labelKey, labelParams) {
  const box = el('div', 'link-field');
  const label = el('label', 'field-label', labelKey, labelParams);
  const input = el('input');
  input.readOnly = true;
  input.value = url;
  input.id = `link-${Math.random().toString(36).slice(2)}`;
  label.htmlFor = input.id;
  input.addEventListener('focus', () => input.select());
  const copy = button('secondary small', 'people.copy', async () => {
    const copied = await copyText(url, input);
    toast(copied ? 'people.linkCopied' : 'invites.copyYourself', {}, copied ? 'info' : 'warn');
  });
  const line = el('div', 'invite-line');
  line.append(input, copy);
  box.append(label, line);
  return box;
}

// ---- password links ----------------------------------------------------------------------------

/** Makes a person's one-time link, shows it under their row (`row`) and copies it. */
async function passwordLink(person, row) {
  const made = await api.makePasswordLink(person.id);
  const box = el('div', 'password-link');
  box.append(linkField(made.url, 'people.linkFor', { name: person.name }));
  const until = timeText(el('p', 'field-hint'), 'people.linkUntil', made.expires_at);
  box.append(until);
  row.querySelector('.password-link')?.remove();
  row.append(box);
  const copied = await copyText(made.url, box.querySelector('input'));
  toast(copied ? 'people.linkMade' : 'people.linkMadeCopyYourself', { name: person.name });
}

function linkButton(person) {
  const node = button('secondary small', 'people.passwordLink', (b) =>
    busy(b, () => passwordLink(person, node.closest('li'))));
  node.dataset.i18nTitle = 'people.passwordLinkFull';
  node.dataset.i18nArgs = JSON.stringify({ name: person.name });
  t.apply(node);
  return node;
}

// ---- the admin's people list ---------------------------------------------------------------------

/** A person's buttons in the people list: their password link, and deactivating (not oneself). */
export function personActions(user) {
  const box = el('span', 'person-actions');
  if (user.active === false) {
    box.append(
      el('span', 'badge plain', 'people.deactivated'),
      button('secondary small', 'people.reactivate', (b) => busy(b, async () => {
        const back = await api.reactivateUser(user.id);
        toast('people.reactivated', { name: back.name });
        await peopleChanged();
      })),
    );
    return box;
  }
  box.append(linkButton(user));
  if (user.id !== state.me.id) {
    const off = confirming(el('button', 'danger-button small', 'people.deactivate'), 'people.deactivateConfirm', async () => {
      const gone = await api.deactivateUser(user.id);
      toast('people.deactivatedToast', { name: gone.name });
      await peopleChanged();
    });
    off.type = 'button';
    off.dataset.i18nTitle = 'people.deactivateFull';
    off.dataset.i18nArgs = JSON.stringify({ name: user.name });
    t.apply(off);
    box.append(off);
  }
  return box;
}

// ---- a class's members ---------------------------------------------------------------------------

/** For the class's teachers and admins: a pupil's or a parent's password link, and taking a
 * pupil out of the class. */
export function memberActions(cls, member) {
  const actions = [linkButton(member)];
  if (member.role === 'pupil') {
    const out = confirming(el('button', 'danger-button small', 'members.remove'), 'members.removeConfirm', async () => {
      await api.removePupil(cls.id, member.id);
      toast('members.removed', { name: member.name, class: cls.name });
      await peopleChanged();
    });
    out.type = 'button';
    out.dataset.i18nTitle = 'members.removeFull';
    out.dataset.i18nArgs = JSON.stringify({ name: member.name, class: cls.name });
    t.apply(out);
    actions.push(out);
  }
  return actions;
}

// ---- importing a class list ----------------------------------------------------------------------

let importing = null; // the class the dialog imports into
let previewed = null; // the text whose preview had no problems: only it may be imported

export function importButton(cls) {
  const node = button('ghost', 'import.button', () => openImport(cls));
  node.dataset.role = 'import';
  return node;
}

function openImport(cls) {
  importing = cls;
  previewed = null;
  const form = $('import-form');
  form.reset();
  formErrors.clear(form);
  localize($('import-heading'), t, 'import.heading', { class: cls.name });
  $('import-preview').hidden = true;
  $('import-results').hidden = true;
  $('import-entry').hidden = false;
  updateButtons();
  $('import-dialog').showModal();
  $('import-text').focus();
}

function closeImport() {
  $('import-dialog').close();
  importing = null;
}

function updateButtons() {
  const done = !$('import-results').hidden;
  $('import-preview-button').hidden = done;
  $('import-submit').hidden = done;
  $('import-submit').disabled = previewed === null || previewed !== $('import-text').value;
  localize($('import-cancel'), t, done ? 'import.done' : 'common.cancel');
}

/** A file as text: UTF-8 (with or without BOM), or Windows-1251, which Russian Excel writes when
 * asked for plain CSV. */
async function readFile(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1251').decode(bytes);
  }
}

const FIELDS = ['name', 'login', 'role', 'parent_of'];

/** The preview: a row per person, the cell at fault marked and each problem said below it. */
function renderReport(report) {
  const body = $('import-rows');
  body.replaceChildren();
  for (const row of report.rows) {
    const tr = el('tr');
    tr.dataset.row = String(row.row);
    const bad = new Set(row.problems.map((p) => p.field));
    tr.classList.toggle('row-bad', row.problems.length > 0);
    const number = el('th');
    number.scope = 'row';
    number.textContent = String(row.row);
    tr.append(number);
    for (const name of FIELDS) {
      const td = el('td');
      if (name === 'role') localize(td, t, `role.${row.role}`);
      else td.textContent = row[name] || '';
      if (name === 'login' && row.login_made) td.append(el('span', 'muted made', 'import.made'));
      if (bad.has(name)) td.classList.add('cell-bad');
      tr.append(td);
    }
    const problems = el('td', 'problems');
    if (row.problems.length) {
      const list = el('ul');
      for (const problem of row.problems) list.append(problemItem(problem));
      problems.append(list);
    } else {
      problems.append(el('span', 'ok', 'import.ok'));
    }
    tr.append(problems);
    body.append(tr);
  }
  const loose = $('import-problems');
  loose.replaceChildren(...report.problems.map(problemItem));
  loose.hidden = report.problems.length === 0;
  const bad = report.rows.filter((r) => r.problems.length).length + report.problems.length;
  const summary = $('import-summary');
  summary.classList.toggle('error', bad > 0);
  if (bad) localize(summary, t, 'import.summaryBad', { count: bad, rows: report.rows.length });
  else localize(summary, t, 'import.summaryOk', { rows: report.rows.length });
  $('import-preview').hidden = false;
}

function problemItem(problem) {
  const key = t.has(`import.problem.${problem.code}`) ? `import.problem.${problem.code}` : null;
  const item = el('li');
  if (problem.row && !problem.field) item.append(`${t.t('import.row', { row: problem.row })} `);
  const text = el('span');
  if (key) localize(text, t, key, { field: problem.field ? t.t(`import.column.${problem.field}`) : '' });
  else text.textContent = problem.message;
  item.append(text);
  return item;
}

function renderResults(result, cls) {
  $('import-entry').hidden = true;
  $('import-preview').hidden = true;
  localize($('import-done-text'), t, 'import.imported', { count: result.accounts.length, class: cls.name });
  const list = $('import-accounts');
  list.replaceChildren(...result.accounts.map((account) => {
    const item = el('li', 'import-account');
    const who = el('p', 'import-who');
    const name = el('strong');
    name.textContent = account.name;
    who.append(name, ' · ', el('span', null, `role.${account.role}`), ' · ', el('span', null, 'import.loginIs', { login: account.login }));
    item.append(who, linkField(account.url, 'import.linkFor', { name: account.name }));
    return item;
  }));
  if (result.accounts.length) timeText($('import-until'), 'import.linksUntil', result.accounts[0].expires_at);
  $('import-results').hidden = false;
  const copyAll = $('import-copy-all');
  copyAll.dataset.text = result.accounts
    .map((a) => [a.name, a.login, a.url].join('\t'))
    .join('\n');
  updateButtons();
}

async function preview() {
  const form = $('import-form');
  formErrors.clear(form);
  const text = $('import-text').value;
  if (!text.trim()) return formErrors.field(form, 'csv', 'import.empty');
  let report;
  try {
    report = await api.importClassList(importing.id, text, true);
  } catch (err) {
    return refused(form, err);
  }
  previewed = report.valid ? text : null;
  renderReport(report);
  updateButtons();
  $('import-summary').focus();
  return null;
}

async function commit() {
  const cls = importing;
  const form = $('import-form');
  formErrors.clear(form);
  const text = $('import-text').value;
  let result;
  try {
    result = await api.importClassList(cls.id, text, false);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'import_invalid' && err.body?.report) {
      previewed = null;
      renderReport(err.body.report);
      updateButtons();
      return null;
    }
    return refused(form, err);
  }
  renderResults(result, cls);
  toast('import.importedToast', { count: result.accounts.length, class: cls.name });
  await peopleChanged();
  return null;
}

function refused(form, err) {
  if (err instanceof ApiError && err.signedOut) return signOut();
  if (err instanceof ApiError && err.code === 'import_too_large') {
    return formErrors.field(form, 'csv', 'import.tooLarge');
  }
  return formErrors.form(form, ...errorText(err));
}

export function wireImportDialog() {
  const text = $('import-text');
  text.addEventListener('input', updateButtons);
  $('import-file').addEventListener('change', async () => {
    const file = $('import-file').files[0];
    if (!file) return;
    try {
      text.value = await readFile(file);
    } catch (err) {
      failed(err);
      return;
    }
    updateButtons();
    busy($('import-preview-button'), preview);
  });
  $('import-preview-button').addEventListener('click', () => busy($('import-preview-button'), preview));
  $('import-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!$('import-submit').disabled) busy($('import-submit'), commit);
  });
  $('import-cancel').addEventListener('click', closeImport);
  $('import-dialog').addEventListener('close', () => {
    importing = null;
  });
  $('import-copy-all').addEventListener('click', async () => {
    const copied = await copyText($('import-copy-all').dataset.text || '', null);
    toast(copied ? 'import.allCopied' : 'import.copyEach', {}, copied ? 'info' : 'warn');
  });
}
