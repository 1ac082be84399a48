// /school's class cards: who teaches and who is in the class, and for its teachers (and admins)
// the lesson button, invite links, parent meetings and one-to-one consultations.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, avatarDot, button, el, errorText, field, t, toast } from './page.js';
import {
  busy, confirming, enter, formatTime, keepingOpen, locale, now, prepareWhen, readWhen,
  signOut, startNew, state, teaches, timeText,
} from './school-common.js';
import { materialsSection } from './school-materials.js';
import { importButton, memberActions } from './school-people.js';
import { quizzesSection } from './school-quizzes.js';
import { refreshSessions } from './school-sessions.js';

// Reuse an invite link rather than making a new one per click, unless it is about to die.
const INVITE_REUSE_MIN_LEFT_S = 24 * 3600;

/** Members and invite links of one class; a class that fails to load still gets its card. */
export async function loadClass(cls) {
  const [details, invites] = await Promise.all([
    api.getClass(cls.id).catch(() => null),
    teaches(cls.id) ? api.listInvites(cls.id).catch(() => []) : [],
  ]);
  state.details.set(cls.id, details);
  state.invites.set(cls.id, invites);
}

export function renderClasses() {
  const role = state.me.role;
  const headings = { admin: 'classes.all', teacher: 'classes.mine', pupil: 'classes.pupil', parent: 'classes.parent' };
  localize($('classes-heading'), t, headings[role] || 'classes.mine');
  keepingOpen($('class-list'), () => $('class-list').replaceChildren(...state.classes.map(classCard)));
  const empty = $('classes-empty');
  empty.hidden = state.classes.length > 0;
  const empties = { admin: 'classes.emptyAdmin', teacher: 'classes.emptyTeacher' };
  localize(empty, t, empties[role] || 'classes.emptyMember');
  updateStartButtons();
}

function classCard(cls) {
  const card = el('article', 'card class-card');
  card.dataset.classId = cls.id;
  const members = state.details.get(cls.id)?.members || [];

  const head = el('header', 'class-head');
  const name = el('h3');
  name.textContent = cls.name;
  head.append(name, classSummary(cls, members));
  card.append(head);

  if (teaches(cls.id)) {
    const start = button('primary', 'class.startLesson', (b) => busy(b, () => startLesson(cls)));
    start.dataset.role = 'start-lesson';
    const actions = el('div', 'actions');
    actions.append(
      start,
      button('ghost', 'class.scheduleMeeting', () => openMeetingForm(card, cls)),
      importButton(cls),
    );
    // Short visible labels after a common caption; the full sentence is the accessible name.
    const invite = el('div', 'invite-bar');
    invite.append(
      el('span', 'invite-caption', 'class.inviteCaption'),
      copyButton('class.invitePupils', 'class.copyPupilLink', (b) => busy(b, () => copyInvite(cls, 'pupil', card))),
      copyButton('class.inviteParents', 'class.copyParentLink', (b) => busy(b, () => copyInvite(cls, 'parent', card))),
    );
    card.append(actions, invite, meetingForm(cls), el('details', 'invites'), materialsSection(cls));
    renderInvites(card, cls);
  }
  if (teaches(cls.id) || state.me.role === 'pupil') card.append(quizzesSection(cls));
  if (members.length) card.append(membersList(cls, members));
  return card;
}

const COPY_ICON =
  '<rect x="8" y="8" width="12" height="12" rx="2"/>' +
  '<path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/>';

/** A "copy link" button: an icon and a short label; `nameKey` is the full accessible name. */
function copyButton(labelKey, nameKey, onClick) {
  const node = button('secondary with-icon', null, onClick);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = COPY_ICON;
  node.append(svg, el('span', null, labelKey));
  node.dataset.i18nTitle = nameKey;
  t.apply(node);
  return node;
}

/** "Teacher: Ольга Ивановна · Pupils: 3", and a parent's own child. */
function classSummary(cls, members) {
  const box = el('div', 'class-sub');
  const teachers = members.filter((m) => m.role === 'teacher').map((m) => m.name);
  box.append(
    teachers.length
      ? el('div', null, teachers.length > 1 ? 'class.teachersMany' : 'class.teacher', { names: teachers.join(', ') })
      : el('div', null, 'class.noTeacher'),
    el('div', null, 'class.pupils', { count: cls.pupils.length }),
  );
  if (state.me.role === 'parent') {
    const children = members.filter((m) => state.me.children.includes(m.id)).map((m) => m.name);
    if (children.length) box.append(el('div', null, 'class.yourChild', { names: children.join(', ') }));
  }
  return box;
}

// ---- members and consultations -------------------------------------------------------------

/** A person's line: a dot, the name and, with `noteKey`, a small line under the name. */
function personRow(person, noteKey, noteParams) {
  const item = el('li');
  item.dataset.userId = person.id;
  const name = el('span', 'person-name');
  name.textContent = person.name;
  const text = el('span', 'person-text');
  text.append(name);
  if (noteKey) text.append(el('span', 'muted person-note', noteKey, noteParams));
  item.append(avatarDot(person.name), text);
  return item;
}

/** Teachers and pupils, then (for the class's teachers and admins, who arrange meetings and
 * consultations with them) the pupils' parents, which the API lists with their `children`. */
function membersList(cls, members) {
  const host = teaches(cls.id);
  const people = members.filter((m) => m.role !== 'parent');
  const parents = members.filter((m) => m.role === 'parent');
  const details = el('details', 'members');
  details.append(el('summary', null, 'members.summary', { count: people.length }));
  const list = el('ul', 'people');
  for (const member of people) {
    const item = personRow(member);
    if (member.role === 'teacher') item.append(el('span', 'badge', 'role.teacher'));
    if (member.id === state.me.id) item.append(el('span', 'muted', 'members.you'));
    if (state.me.children?.includes(member.id)) item.append(el('span', 'badge plain', 'members.yourChild'));
    if (host && member.role === 'pupil') item.append(consultButton(cls, member), ...memberActions(cls, member));
    list.append(item);
  }
  details.append(list);
  if (parents.length) {
    const pupilNames = new Map(people.map((m) => [m.id, m.name]));
    const parentList = el('ul', 'people');
    for (const parent of parents) {
      const children = (parent.children || []).filter((id) => pupilNames.has(id)).map((id) => pupilNames.get(id));
      const item = children.length
        ? personRow(parent, 'people.parentOf', { names: children.join(', ') })
        : personRow(parent);
      if (host) item.append(consultButton(cls, parent), ...memberActions(cls, parent));
      parentList.append(item);
    }
    details.append(el('h4', 'people-subhead', 'members.parents', { count: parents.length }), parentList);
  }
  return details;
}

function consultButton(cls, person) {
  const node = button('secondary small consult', 'consult.button', (b) => busy(b, () => consult(cls, person)));
  node.dataset.i18nTitle = 'consult.buttonFull';
  node.dataset.i18nArgs = JSON.stringify({ name: person.name });
  t.apply(node);
  return node;
}

/** A one-to-one room with a pupil or a parent: straight in, the guest sees a Join button. A
 * consultation of ours with them that is still live is entered again rather than doubled. */
async function consult(cls, person) {
  const live = state.sessions.find((s) => s.kind === 'consultation' && s.state === 'live'
    && s.guest_id === person.id && s.class_id === cls.id && s.created_by === state.me.id);
  if (live) return enter(live, false);
  return startNew({
    kind: 'consultation',
    title: `${state.me.name} · ${person.name}`,
    class_id: cls.id,
    guest_id: person.id,
  });
}

// ---- lessons -------------------------------------------------------------------------------

const liveLesson = (classId) =>
  state.sessions.find((s) => s.kind === 'lesson' && s.class_id === classId && s.state === 'live');

/** One live lesson per class: while one runs, the card's button enters it instead. */
export function updateStartButtons() {
  for (const card of document.querySelectorAll('.class-card')) {
    const start = card.querySelector('[data-role="start-lesson"]');
    if (start) localize(start, t, liveLesson(card.dataset.classId) ? 'class.joinLive' : 'class.startLesson');
  }
}

async function startLesson(cls) {
  const live = liveLesson(cls.id);
  if (live) return enter(live, false);
  const date = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long' }).format(new Date());
  return startNew({ kind: 'lesson', title: `${cls.name} — ${date}`, class_id: cls.id });
}

// ---- invite links --------------------------------------------------------------------------

const alive = (invite) => !invite.revoked && invite.expires_at > now() && invite.uses < invite.max_uses;

/** A live link for `role` with room and time left; a parent link must let the parent choose. */
function reusableInvite(classId, role) {
  return (state.invites.get(classId) || [])
    .filter((i) => alive(i) && i.role === role && !i.child_id)
    .filter((i) => i.expires_at - now() > INVITE_REUSE_MIN_LEFT_S && i.max_uses - i.uses > 1)
    .sort((a, b) => b.expires_at - a.expires_at)[0];
}

async function copyInvite(cls, role, card) {
  let invite = reusableInvite(cls.id, role);
  if (!invite) {
    invite = await api.createInvite(cls.id, { role });
    state.invites.set(cls.id, [invite, ...(state.invites.get(cls.id) || [])]);
  }
  renderInvites(card, cls);
  const details = card.querySelector('details.invites');
  details.open = true;
  const row = details.querySelector(`[data-invite-id="${CSS.escape(invite.id)}"]`);
  for (const other of details.querySelectorAll('.invite-row')) other.classList.toggle('highlight', other === row);
  const input = row.querySelector('input');
  announceCopy(await copyText(invite.url, input), role, cls);
}

function announceCopy(copied, role, cls) {
  if (copied) toast(`invites.copied.${role}`, { class: cls.name });
  else toast('invites.copyYourself', { class: cls.name }, 'warn');
}

/** The Clipboard API where the page may use it (https, localhost); else the old way; else the
 * link stays selected in its field for the person to copy. */
async function copyText(text, input) {
  input.focus();
  input.select();
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

function renderInvites(card, cls) {
  const details = card.querySelector('details.invites');
  const live = (state.invites.get(cls.id) || []).filter(alive);
  details.hidden = live.length === 0;
  const members = new Map((state.details.get(cls.id)?.members || []).map((m) => [m.id, m.name]));
  const list = el('ul', 'invite-rows');
  for (const invite of live) list.append(inviteRow(invite, cls, card, members));
  details.replaceChildren(el('summary', null, 'invites.summary', { count: live.length }), list);
}

function inviteRow(invite, cls, card, members) {
  const row = el('li', 'invite-row');
  row.dataset.inviteId = invite.id;
  const head = el('div', 'invite-meta');
  head.append(el('span', 'badge plain', invite.role === 'pupil' ? 'invites.forPupils' : 'invites.forParents'));
  if (invite.child_id) {
    head.append(el('span', null, 'invites.forChild', { name: members.get(invite.child_id) || '—' }));
  }
  const stats = el('div', 'invite-meta');
  stats.append(
    el('span', null, 'invites.uses', { uses: invite.uses, max: invite.max_uses }),
    timeText(el('span'), 'invites.until', invite.expires_at),
  );
  const line = el('div', 'invite-line');
  const input = el('input');
  input.readOnly = true;
  input.value = invite.url;
  input.dataset.i18nTitle = 'invites.linkLabel';
  input.addEventListener('focus', () => input.select());
  const copy = button('secondary small', 'invites.copy', async () => {
    announceCopy(await copyText(invite.url, input), invite.role, cls);
  });
  const revokeButton = el('button', 'danger-button small', 'invites.revoke');
  const revoke = confirming(revokeButton, 'invites.revokeConfirm', async () => {
    const revoked = await api.revokeInvite(invite.id);
    state.invites.set(cls.id, (state.invites.get(cls.id) || []).map((i) => (i.id === revoked.id ? revoked : i)));
    renderInvites(card, cls);
    toast('invites.revoked', { class: cls.name });
  });
  revoke.type = 'button';
  line.append(input, copy, revoke);
  row.append(head, stats, line);
  t.apply(row);
  return row;
}

// ---- parent meetings -------------------------------------------------------------------------

function meetingForm(cls) {
  const form = el('form', 'meeting-form form');
  form.noValidate = true;
  form.hidden = true;
  const when = field('meeting.when', el('input'), 'when');
  when.input.type = 'datetime-local';
  when.input.required = true;
  const title = field('meeting.title', el('input'), 'title');
  title.input.maxLength = 200;
  title.input.required = true;
  const error = el('p', 'error form-error');
  error.hidden = true;
  error.setAttribute('role', 'alert');
  const submit = el('button', 'primary', 'meeting.submit');
  submit.type = 'submit';
  const cancel = button('ghost', 'common.cancel', () => {
    form.hidden = true;
  });
  const actions = el('div', 'form-actions');
  actions.append(submit, cancel);
  form.append(el('h4', null, 'meeting.heading', { class: cls.name }), when.label, title.label, error, actions);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, () => scheduleMeeting(form, cls, error));
  });
  return form;
}

function openMeetingForm(card, cls) {
  const form = card.querySelector('.meeting-form');
  form.hidden = false;
  prepareWhen(form.elements.when);
  if (!form.elements.title.value) form.elements.title.value = t.t('meeting.defaultTitle', { class: cls.name });
  form.querySelector('.form-error').hidden = true;
  form.elements.when.focus();
}

async function scheduleMeeting(form, cls, error) {
  const title = form.elements.title.value.trim();
  const [at, timeProblem] = readWhen(form.elements.when);
  const problem = timeProblem || (title ? null : 'meeting.needTitle');
  error.hidden = !problem;
  if (problem) return localize(error, t, problem);
  try {
    await api.createSession({ kind: 'parent_meeting', title, class_id: cls.id, scheduled_at: at });
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) return signOut();
    error.hidden = false;
    return localize(error, t, ...errorText(err));
  }
  form.hidden = true;
  form.elements.title.value = '';
  form.elements.when.value = '';
  toast('meeting.scheduled', { class: cls.name, time: formatTime(at) });
  await refreshSessions();
  return null;
}
