// /school: what a signed-in person sees. Teachers: their classes (start a lesson, invite links,
// parent meetings, members) and sessions. Admins: the same for every class, plus people and
// classes. Pupils and parents: their classes and the sessions they may join.
//
// The page keeps what the API said in `state` and draws from it; every string goes through
// localize() (or a [data-ts] time, below), so the RU/EN switch redraws the page in place.

import * as api from './api.js';
import { ApiError } from './api.js';
import { Translator, localize } from './i18n.js';

const POLL_MS = 15000; // a pupil waiting for the teacher sees the Join button appear by itself
const TOAST_MS = 6000;
const CONFIRM_MS = 4000; // how long "End for everyone?" waits for the second click
const PAST_SHOWN = 5;
// Reuse an invite link rather than making a new one per click, unless it is about to die.
const INVITE_REUSE_MIN_LEFT_S = 24 * 3600;
const KEEP_BUSY = Symbol('keep busy'); // the page is navigating away: leave the button disabled

const t = new Translator();
const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  school: null,
  classes: [],
  details: new Map(), // class id → the class with `members` (null if it could not be loaded)
  invites: new Map(), // class id → its invite links (teachers and admins only)
  sessions: [],
  users: [], // admins only
  showAllPast: false,
};

// ---- small helpers ---------------------------------------------------------------------------

function el(tag, className, key, params) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (key) localize(node, t, key, params);
  return node;
}

function button(className, key, onClick, params) {
  const node = el('button', className, key, params);
  node.type = 'button';
  if (onClick) node.addEventListener('click', () => onClick(node));
  return node;
}

/** The page's language, or the browser's regional variant of it (en-GB dates in Britain). */
function locale() {
  const nav = navigator.language || '';
  return nav.toLowerCase().startsWith(t.lang) ? nav : t.lang;
}

function dayStart(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** "today, 14:30", "tomorrow, 18:00", or "25 Nov 2025, 18:00" in the page's language. */
function formatTime(seconds) {
  const date = new Date(seconds * 1000);
  const time = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(date);
  const days = Math.round((dayStart(date) - dayStart(new Date())) / 86400000);
  if (days === 0) return t.t('time.today', { time });
  if (days === 1) return t.t('time.tomorrow', { time });
  if (days === -1) return t.t('time.yesterday', { time });
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** Marks `node` to show `key` with {time} = the unix time `seconds`, redrawn on a language switch. */
function timeText(node, key, seconds, params = {}) {
  node.dataset.ts = String(seconds);
  node.dataset.tsKey = key;
  node.dataset.tsParams = JSON.stringify(params);
  return drawTime(node);
}

function drawTime(node) {
  const params = JSON.parse(node.dataset.tsParams || '{}');
  return localize(node, t, node.dataset.tsKey, { ...params, time: formatTime(Number(node.dataset.ts)) });
}

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

/** [i18n key, params] for a failed request. */
function errorText(err) {
  const code = err instanceof ApiError ? err.code : null;
  if (code && t.has(`api.${code}`)) return [`api.${code}`];
  return ['api.unknown', { message: err?.message || String(err) }];
}

/** Carries an explicit ?lang= along, so the language chosen here stays on the next page. */
function withLang(url) {
  const lang = new URLSearchParams(location.search).get('lang');
  if (!lang) return url;
  const target = new URL(url, location.href);
  target.searchParams.set('lang', lang);
  return target.origin === location.origin ? target.pathname + target.search : target.href;
}

function signOut() {
  api.clearToken();
  location.replace(withLang('/signin'));
}

/** Any request's failure: an expired sign-in goes back to /signin, the rest becomes a toast. */
function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut();
    return;
  }
  toast(...errorText(err), 'error');
}

function toast(key, params, tone = 'info') {
  const text = el('div', `toast ${tone}`, key, params);
  text.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  const close = button('toast-close', null, () => wrapper.remove());
  close.textContent = '×';
  close.setAttribute('aria-label', 'OK');
  const wrapper = el('div', 'toast-wrap');
  wrapper.append(text, close);
  $('toasts').append(wrapper);
  setTimeout(() => wrapper.remove(), TOAST_MS);
}

/** Runs `work` with `node` disabled and marked busy; a second click meanwhile does nothing. */
async function busy(node, work) {
  if (node.getAttribute('aria-busy') === 'true') return;
  node.setAttribute('aria-busy', 'true');
  node.disabled = true;
  let result;
  try {
    result = await work();
  } catch (err) {
    failed(err);
  } finally {
    if (result !== KEEP_BUSY) {
      node.removeAttribute('aria-busy');
      node.disabled = false;
    }
  }
}

/** A destructive button asks once more ("End for everyone?") and acts on the second click. */
function confirming(node, askKey, action) {
  const idleKey = node.dataset.i18n;
  let timer = null;
  node.addEventListener('click', () => {
    if (!timer) {
      localize(node, t, askKey);
      timer = setTimeout(() => {
        timer = null;
        localize(node, t, idleKey);
      }, CONFIRM_MS);
      return;
    }
    clearTimeout(timer);
    timer = null;
    localize(node, t, idleKey);
    busy(node, action);
  });
  return node;
}

// ---- who may do what (the server decides; this only hides buttons that would be refused) -----

const isAdmin = () => state.me.role === 'admin';
const isVerifiedTeacher = () => state.me.role === 'teacher' && state.me.verified;
const classById = (id) => state.classes.find((c) => c.id === id);

function teaches(classId) {
  return isAdmin() || (isVerifiedTeacher() && Boolean(classById(classId)?.teachers.includes(state.me.id)));
}

function hosts(session) {
  return isAdmin() || (isVerifiedTeacher() && (teaches(session.class_id) || session.created_by === state.me.id));
}

// ---- loading -------------------------------------------------------------------------------

async function load() {
  $('loading').hidden = false;
  $('load-error').hidden = true;
  try {
    const { user, school } = await api.me();
    state.me = user;
    state.school = school;
    const [classes, sessions, users] = await Promise.all([
      api.listClasses(),
      api.listSessions(),
      user.role === 'admin' ? api.listUsers() : [],
    ]);
    state.classes = classes;
    state.sessions = sessions;
    state.users = users;
    await Promise.all(classes.map(loadClass));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signOut();
    $('loading').hidden = true;
    $('load-error').hidden = false;
    localize($('load-error-text'), t, ...errorText(err));
    return;
  }
  $('loading').hidden = true;
  renderAll();
}

/** Members and invite links of one class; a class that fails to load still gets its card. */
async function loadClass(cls) {
  const [details, invites] = await Promise.all([
    api.getClass(cls.id).catch(() => null),
    teaches(cls.id) ? api.listInvites(cls.id).catch(() => []) : [],
  ]);
  state.details.set(cls.id, details);
  state.invites.set(cls.id, invites);
}

async function refreshSessions() {
  state.sessions = await api.listSessions();
  renderSessions();
}

function renderAll() {
  renderTopbar();
  const unverified = state.me.role === 'teacher' && !state.me.verified;
  $('unverified-notice').hidden = !unverified;
  $('classes-section').hidden = unverified;
  $('sessions-section').hidden = unverified;
  $('admin-section').hidden = !isAdmin();
  renderClasses();
  renderSessions();
  if (isAdmin()) renderAdmin();
  translate();
}

// ---- top bar -------------------------------------------------------------------------------

function renderTopbar() {
  const { me, school } = state;
  $('school-name').textContent = school.name;
  $('user-name').textContent = me.name;
  $('user-box').hidden = false;
  const badge = $('user-badge');
  let key = `role.${me.role}`;
  if (me.role === 'teacher') key = me.verified ? 'badge.verifiedTeacher' : 'badge.unverifiedTeacher';
  localize(badge, t, key);
  badge.className = `badge ${me.role === 'teacher' && me.verified ? 'verified' : 'plain'}`;
}

// ---- classes -------------------------------------------------------------------------------

function renderClasses() {
  const role = state.me.role;
  const headings = { admin: 'classes.all', teacher: 'classes.mine', pupil: 'classes.pupil', parent: 'classes.parent' };
  localize($('classes-heading'), t, headings[role] || 'classes.mine');
  $('class-list').replaceChildren(...state.classes.map(classCard));
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
    actions.append(start, button('ghost', 'class.scheduleMeeting', () => openMeetingForm(card, cls)));
    // Short visible labels after a common caption; the full sentence is the accessible name.
    const invite = el('div', 'invite-bar');
    invite.append(
      el('span', 'invite-caption', 'class.inviteCaption'),
      copyButton('class.invitePupils', 'class.copyPupilLink', (b) => busy(b, () => copyInvite(cls, 'pupil', card))),
      copyButton('class.inviteParents', 'class.copyParentLink', (b) => busy(b, () => copyInvite(cls, 'parent', card))),
    );
    card.append(actions, invite, meetingForm(cls), el('details', 'invites'));
    renderInvites(card, cls);
  }
  if (members.length) card.append(membersList(members));
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

function membersList(members) {
  const details = el('details', 'members');
  details.append(el('summary', null, 'members.summary', { count: members.length }));
  const list = el('ul', 'people');
  for (const member of members) {
    const item = el('li');
    const dot = el('span', 'avatar-dot');
    dot.style.setProperty('--hue', hue(member.name));
    dot.textContent = member.name.trim().slice(0, 1).toUpperCase();
    dot.setAttribute('aria-hidden', 'true');
    const name = el('span', 'person-name');
    name.textContent = member.name;
    item.append(dot, name);
    if (member.role === 'teacher') item.append(el('span', 'badge', 'role.teacher'));
    if (member.id === state.me.id) item.append(el('span', 'muted', 'members.you'));
    if (state.me.children?.includes(member.id)) item.append(el('span', 'badge plain', 'members.yourChild'));
    list.append(item);
  }
  details.append(list);
  return details;
}

// ---- lessons -------------------------------------------------------------------------------

const liveLesson = (classId) =>
  state.sessions.find((s) => s.kind === 'lesson' && s.class_id === classId && s.state === 'live');

/** One live lesson per class: while one runs, the card's button enters it instead. */
function updateStartButtons() {
  for (const card of document.querySelectorAll('.class-card')) {
    const start = card.querySelector('[data-role="start-lesson"]');
    if (start) localize(start, t, liveLesson(card.dataset.classId) ? 'class.joinLive' : 'class.startLesson');
  }
}

async function startLesson(cls) {
  const live = liveLesson(cls.id);
  if (live) return enter(live, false);
  const date = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long' }).format(new Date());
  const session = await api.createSession({ kind: 'lesson', title: `${cls.name} — ${date}`, class_id: cls.id });
  return enter(session, true);
}

/** Starts the session if asked, then opens its live room (the lesson page). */
async function enter(session, start) {
  if (start) await api.startSession(session.id);
  const admission = await api.joinSession(session.id);
  location.assign(withLang(admission.url));
  return KEEP_BUSY;
}

// ---- invite links --------------------------------------------------------------------------

const now = () => Date.now() / 1000;
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
  const field = row.querySelector('input');
  announceCopy(await copyText(invite.url, field), role, cls);
}

function announceCopy(copied, role, cls) {
  if (copied) toast(`invites.copied.${role}`, { class: cls.name });
  else toast('invites.copyYourself', { class: cls.name }, 'warn');
}

/** The Clipboard API where the page may use it (https, localhost); else the old way; else the
 * link stays selected in its field for the person to copy. */
async function copyText(text, field) {
  field.focus();
  field.select();
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
  const field = el('input');
  field.readOnly = true;
  field.value = invite.url;
  field.dataset.i18nTitle = 'invites.linkLabel';
  field.addEventListener('focus', () => field.select());
  const copy = button('secondary small', 'invites.copy', async () => {
    announceCopy(await copyText(invite.url, field), invite.role, cls);
  });
  const revokeButton = el('button', 'danger-button small', 'invites.revoke');
  const revoke = confirming(revokeButton, 'invites.revokeConfirm', async () => {
    const revoked = await api.revokeInvite(invite.id);
    state.invites.set(cls.id, (state.invites.get(cls.id) || []).map((i) => (i.id === revoked.id ? revoked : i)));
    renderInvites(card, cls);
    toast('invites.revoked', { class: cls.name });
  });
  revoke.type = 'button';
  line.append(field, copy, revoke);
  row.append(head, stats, line);
  t.apply(row);
  return row;
}

// ---- parent meetings -------------------------------------------------------------------------

function meetingForm(cls) {
  const form = el('form', 'meeting-form form');
  form.noValidate = true;
  form.hidden = true;
  const when = field('meeting.when', el('input'));
  when.input.type = 'datetime-local';
  when.input.name = 'when';
  when.input.required = true;
  const title = field('meeting.title', el('input'));
  title.input.name = 'title';
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

function field(labelKey, input) {
  const label = el('label', 'field');
  label.append(el('span', 'field-label', labelKey), input);
  return { label, input };
}

/** A datetime-local value (local time, no zone) for `date`. */
function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function openMeetingForm(card, cls) {
  const form = card.querySelector('.meeting-form');
  form.hidden = false;
  const when = form.elements.when;
  const tomorrowEvening = new Date();
  tomorrowEvening.setDate(tomorrowEvening.getDate() + 1);
  tomorrowEvening.setHours(18, 0, 0, 0);
  when.min = localInputValue(new Date());
  if (!when.value) when.value = localInputValue(tomorrowEvening);
  if (!form.elements.title.value) form.elements.title.value = t.t('meeting.defaultTitle', { class: cls.name });
  form.querySelector('.form-error').hidden = true;
  when.focus();
}

async function scheduleMeeting(form, cls, error) {
  const title = form.elements.title.value.trim();
  const at = new Date(form.elements.when.value).getTime() / 1000;
  let problem = null;
  if (!form.elements.when.value || Number.isNaN(at)) problem = 'meeting.needTime';
  else if (at < now()) problem = 'meeting.inPast';
  else if (!title) problem = 'meeting.needTitle';
  error.hidden = !problem;
  if (problem) return localize(error, t, problem);
  try {
    await api.createSession({ kind: 'parent_meeting', title, class_id: cls.id, scheduled_at: Math.round(at) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signOut();
    error.hidden = false;
    return localize(error, t, ...errorText(err));
  }
  form.hidden = true;
  form.elements.title.value = '';
  form.elements.when.value = '';
  toast('meeting.scheduled', { class: cls.name, time: formatTime(at) });
  await refreshSessions();
}

// ---- sessions ------------------------------------------------------------------------------

function renderSessions() {
  const live = state.sessions.filter((s) => s.state === 'live');
  const upcoming = state.sessions
    .filter((s) => s.state === 'scheduled')
    .sort((a, b) => (a.scheduled_at ?? a.created_at ?? 0) - (b.scheduled_at ?? b.created_at ?? 0));
  const past = state.sessions.filter((s) => s.state === 'ended').sort((a, b) => (b.ended_at ?? 0) - (a.ended_at ?? 0));

  const groups = [];
  if (live.length) groups.push(sessionGroup('sessions.live', live));
  if (upcoming.length) groups.push(sessionGroup('sessions.upcoming', upcoming));
  if (past.length) {
    const shown = state.showAllPast ? past : past.slice(0, PAST_SHOWN);
    const group = sessionGroup('sessions.past', shown);
    if (past.length > shown.length) {
      group.append(button('ghost small show-more', 'sessions.showAll', () => {
        state.showAllPast = true;
        renderSessions();
      }, { count: past.length }));
    }
    groups.push(group);
  }
  $('session-groups').replaceChildren(...groups);
  const empty = $('sessions-empty');
  empty.hidden = groups.length > 0;
  const host = isAdmin() || isVerifiedTeacher();
  localize(empty, t, host ? 'sessions.emptyHost' : 'sessions.emptyMember');
  updateStartButtons();
}

function sessionGroup(key, sessions) {
  const group = el('div', 'session-group');
  const list = el('ul', 'session-list');
  list.append(...sessions.map(sessionRow));
  group.append(el('h3', null, key), list);
  return group;
}

function sessionRow(session) {
  const row = el('li', 'session-row');
  row.dataset.sessionId = session.id;
  row.dataset.state = session.state;
  const main = el('div', 'session-main');
  const title = el('div', 'session-title');
  title.textContent = session.title;
  const meta = el('div', 'session-meta');
  meta.append(
    el('span', 'badge plain', `kind.${session.kind}`),
    el('span', `state ${session.state}`, `state.${session.state}`),
  );
  const cls = classById(session.class_id);
  if (cls) {
    const name = el('span');
    name.textContent = cls.name;
    meta.append(name);
  }
  const when = sessionTime(session);
  if (when) meta.append(when);
  main.append(title, meta);
  row.append(main, sessionActions(session));
  return row;
}

function sessionTime(session) {
  const span = el('span');
  const { state: phase, started_at: started, ended_at: ended, scheduled_at: scheduled } = session;
  if (phase === 'live' && started) return timeText(span, 'sessions.startedAt', started);
  if (phase === 'ended' && ended) return timeText(span, 'sessions.endedAt', ended);
  if (phase === 'scheduled' && scheduled) return timeText(span, 'sessions.scheduledFor', scheduled);
  if (phase === 'scheduled') return localize(span, t, 'sessions.notStarted');
  return null;
}

function sessionActions(session) {
  const box = el('div', 'session-actions');
  const host = hosts(session);
  if (session.state === 'scheduled' && host) {
    box.append(button('primary', 'sessions.start', (b) => busy(b, () => enter(session, true))));
  }
  if (session.state === 'scheduled' && !host) box.append(el('span', 'waiting', 'sessions.waiting'));
  if (session.state === 'live') {
    box.append(button('primary', 'sessions.join', (b) => busy(b, () => enter(session, false))));
  }
  if (session.state === 'live' && host) {
    const end = confirming(el('button', 'danger-button', 'sessions.end'), 'sessions.endConfirm', async () => {
      await api.endSession(session.id);
      toast('sessions.endedToast', { title: session.title });
      await refreshSessions();
    });
    end.type = 'button';
    box.append(end);
  }
  if (session.state !== 'scheduled' && host) {
    box.append(button('ghost', 'sessions.attendance', (b) => busy(b, () => downloadAttendance(session))));
  }
  return box;
}

/** The CSV needs the bearer token, so it is fetched and handed to the browser as a file. */
async function downloadAttendance(session) {
  const { blob, filename } = await api.attendanceCsv(session.id);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function pollSessions() {
  if (document.visibilityState !== 'visible' || !state.me || !$('loading').hidden) return;
  try {
    const sessions = await api.listSessions();
    if (JSON.stringify(sessions) !== JSON.stringify(state.sessions)) {
      state.sessions = sessions;
      renderSessions();
    }
  } catch (err) {
    // A lost connection is retried by the next poll; an expired sign-in is not.
    if (err instanceof ApiError && err.status === 401) signOut();
  }
}

// ---- administration ------------------------------------------------------------------------

function renderAdmin() {
  renderPeople();
  fillAssignForm();
}

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
    details.append(el('summary', null, key, { count: users.length }), peopleGroup(null, users, info));
    groups.push(details);
  }
  $('people-list').replaceChildren(...groups);
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

function fillAssignForm() {
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

/** Field errors under the inputs, one form-wide error above the button. */
const formErrors = {
  clear(form) {
    for (const node of form.querySelectorAll('.field-error, .form-error')) node.hidden = true;
    for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  },
  field(form, name, key, params) {
    const node = form.querySelector(`[data-error-for="${name}"]`);
    if (!node) return formErrors.form(form, key, params);
    node.hidden = false;
    localize(node, t, key, params);
    form.elements[name]?.setAttribute('aria-invalid', 'true');
  },
  form(form, key, params) {
    const node = form.querySelector('.form-error');
    node.hidden = false;
    localize(node, t, key, params);
  },
  /** The API's invalid_input / conflict, shown next to the field it is about. */
  fromApi(form, err) {
    if (err instanceof ApiError && err.status === 401) return signOut();
    const field = err instanceof ApiError && err.code === 'invalid_input' ? invalidField(err.message) : null;
    if (err instanceof ApiError && err.code === 'conflict') return formErrors.field(form, 'login', 'field.loginTaken');
    if (field === 'login') return formErrors.field(form, 'login', 'field.loginInvalid');
    if (field === 'password') return formErrors.field(form, 'password', 'field.passwordShort');
    if (field === 'name') return formErrors.field(form, 'name', 'field.nameInvalid');
    return formErrors.form(form, ...errorText(err));
  },
};

/** Which field an invalid_input message is about (the API names it only in English text). */
function invalidField(message) {
  const text = String(message).toLowerCase();
  for (const name of ['login', 'password', 'name']) if (text.includes(name)) return name;
  return null;
}

function wireAdminForms() {
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
        return formErrors.fromApi(classForm, err);
      }
      state.classes = [...state.classes, created];
      await loadClass(created);
      classForm.reset();
      renderClasses();
      renderAdmin();
      toast('admin.classCreated', { name: created.name });
    });
  });

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
        return formErrors.fromApi(teacherForm, err);
      }
      state.users = [...state.users, teacher];
      teacherForm.reset();
      renderAdmin();
      toast('admin.teacherCreated', { name: teacher.name, login: teacher.login });
    });
  });

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
        return formErrors.fromApi(assignForm, err);
      }
      state.classes = state.classes.map((c) => (c.id === updated.id ? updated : c));
      await loadClass(updated);
      renderClasses();
      renderAdmin();
      const teacher = state.users.find((u) => u.id === teacherId);
      toast('admin.assigned', { teacher: teacher?.name || '', class: updated.name });
    });
  });
}

// ---- language, start -----------------------------------------------------------------------

function translate() {
  t.apply(document);
  for (const node of document.querySelectorAll('[data-ts]')) drawTime(node);
  document.title = state.school ? t.t('school.title', { school: state.school.name }) : t.t('app.name');
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === t.lang));
  }
}

function main() {
  if (!api.getToken()) {
    signOut();
    return;
  }
  for (const b of document.querySelectorAll('#lang-switch [data-lang]')) {
    b.addEventListener('click', () => t.setLanguage(b.dataset.lang));
  }
  t.addEventListener('change', () => {
    // Keep the choice in the address, as the lesson page does: a reload keeps the language.
    const url = new URL(location.href);
    url.searchParams.set('lang', t.lang);
    history.replaceState(null, '', url);
    if (state.me && isAdmin()) fillAssignForm(); // option texts are plain text
    translate();
  });
  $('sign-out').addEventListener('click', signOut);
  $('retry').addEventListener('click', load);
  wireAdminForms();
  translate();
  load();
  setInterval(pollSessions, POLL_MS);
  document.addEventListener('visibilitychange', pollSessions);
  // For tests and the curious: what the page currently knows.
  globalThis.school = { state, reload: load };
}

main();
