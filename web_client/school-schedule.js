// /school's timetable: the live and upcoming lessons and meetings a person sees (a pupil's
// parents: the class's lessons too), soonest first, with who teaches them and when on the
// school's clock; a started one says so with a Join button. The class's teachers schedule a
// lesson or a parent meeting here, and change, start or call off what they scheduled.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, button, el, formErrors, t, toast } from './page.js';
import {
  busy, classById, confirming, enter, hosts, isStaff, locale, now, schoolZone, signOut, state,
  teaches, wallParts, wallValue,
} from './school-common.js';

const DEFAULT_MINUTES = 45;

const timetable = { sessions: [], editing: null, fresh: new Set(), shownIds: '' };
const rendered = new Set(); // called when the sessions the timetable shows change

/** `callback()` after a redraw that changed which sessions the timetable shows. */
export function onTimetableChanged(callback) {
  rendered.add(callback);
}

/** Whether the timetable shows anything coming (the sessions list's empty text says so). */
export function timetableShowsComing() {
  return !$('schedule-section').hidden && timetable.sessions.some((s) => s.state === 'scheduled');
}

/** Whether the timetable shows this session (the sessions list below then does not). */
export function inTimetable(sessionId) {
  return !$('schedule-section').hidden && timetable.sessions.some((s) => s.id === sessionId);
}

/** What the API says now, drawn (`onlyChanged`: only if it differs from what is shown, so a
 * half-made "Cancel it for everyone?" survives news about another session). */
export async function refreshTimetable({ onlyChanged = false } = {}) {
  const { time_zone: zone, sessions } = await api.upcomingSessions();
  const changed = zone !== state.timeZone || JSON.stringify(sessions) !== JSON.stringify(timetable.sessions);
  state.timeZone = zone;
  timetable.sessions = sessions;
  if (changed || !onlyChanged) renderTimetable();
}

/** A session that has just started: its row is marked until the next redraw after a minute. */
export function markStarted(sessionId) {
  timetable.fresh.add(sessionId);
  setTimeout(() => timetable.fresh.delete(sessionId), 60000);
}

// ---- the school's clock ----------------------------------------------------------------------

/** {day: 'YYYY-MM-DD', time: 'HH:MM'} of the unix time `seconds` on the school's clock. */
function wall(seconds) {
  const pad = (n) => String(n).padStart(2, '0');
  const [y, mo, d, h, mi] = wallParts(seconds);
  return { day: `${y}-${pad(mo)}-${pad(d)}`, time: `${pad(h)}:${pad(mi)}` };
}

function dayLabel(seconds) {
  const { day } = wall(seconds);
  if (day === wall(now()).day) return t.t('schedule.today');
  if (day === wall(now() + 86400).day) return t.t('schedule.tomorrow');
  return new Intl.DateTimeFormat(locale(), {
    timeZone: schoolZone(), weekday: 'short', day: 'numeric', month: 'short',
  }).format(new Date(seconds * 1000));
}

/** The zone as people say it: "Moscow UTC+3". */
function zoneName() {
  const zone = schoolZone();
  const offset = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
    .formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value || '';
  const city = t.has(`zone.${zone}`) ? t.t(`zone.${zone}`) : zone.split('/').pop().replaceAll('_', ' ');
  return t.t('schedule.zone', { city, offset: offset.replace('GMT', 'UTC') });
}

// ---- the list ----------------------------------------------------------------------------------

export function renderTimetable() {
  const section = $('schedule-section');
  const shown = state.me && !(state.me.role === 'teacher' && !state.me.verified);
  section.hidden = !shown;
  if (!shown) return;
  $('schedule-button').hidden = !canSchedule();
  $('timetable').replaceChildren(...timetable.sessions.map(row));
  const empty = $('timetable-empty');
  empty.hidden = timetable.sessions.length > 0;
  localize(empty, t, canSchedule() ? 'schedule.emptyHost' : 'schedule.empty');
  localize($('schedule-zone'), t, 'schedule.zoneHint', { zone: zoneName() });
  const ids = timetable.sessions.map((s) => s.id).join(' ');
  if (ids !== timetable.shownIds) {
    timetable.shownIds = ids;
    for (const callback of rendered) callback();
  }
}

function row(session) {
  // Not a .session-row: the sessions list below has its own (and its tests look for those).
  const item = el('li', 'timetable-row');
  item.dataset.sessionId = session.id;
  item.dataset.state = session.state;
  item.dataset.kind = session.kind;
  if (timetable.fresh.has(session.id) && session.state === 'live') item.classList.add('fresh');
  item.append(slot(session));
  const main = el('div', 'session-main');
  const title = el('div', 'session-title');
  title.textContent = session.title;
  const meta = el('div', 'session-meta');
  meta.append(el('span', 'badge plain', `kind.${session.kind}`));
  const cls = classById(session.class_id);
  if (cls) {
    const name = el('span');
    name.textContent = cls.name;
    meta.append(name);
  }
  if (session.teacher) meta.append(el('span', 'teacher', 'schedule.teacher', { name: session.teacher }));
  main.append(title, meta);
  item.append(main, actions(session));
  return item;
}

/** When: the day and the time on the school's clock, and how long; "Started" once live. */
function slot(session) {
  const box = el('div', 'slot');
  if (session.state === 'live') {
    box.append(el('span', 'state live', 'schedule.started'));
    if (session.started_at) {
      const at = el('span', 'slot-length', 'schedule.startedAt', { time: wall(session.started_at).time });
      box.append(at);
    }
    return box;
  }
  const day = el('span', 'slot-day');
  day.textContent = dayLabel(session.scheduled_at);
  const time = el('span', 'slot-time');
  time.textContent = wall(session.scheduled_at).time;
  box.append(day, time);
  if (session.duration_minutes) box.append(el('span', 'slot-length', 'schedule.minutes', { n: session.duration_minutes }));
  return box;
}

function actions(session) {
  const box = el('div', 'session-actions');
  const host = hosts(session);
  // A parent sees their child's lesson come and start, and does not go in.
  if (session.kind === 'lesson' && state.me.role === 'parent') {
    box.append(el('span', 'waiting', 'schedule.forPupils'));
    return box;
  }
  if (session.state === 'live') {
    box.append(button('primary join-live', 'schedule.join', (b) => busy(b, () => enter(session, false))));
    return box;
  }
  if (!host) {
    // As the sessions list said it, before it left what is coming to this list.
    box.append(el('span', 'waiting', session.kind === 'staff_meeting' ? 'sessions.waitingHost' : 'sessions.waiting'));
    return box;
  }
  box.append(
    button('primary', 'sessions.start', (b) => busy(b, () => enter(session, true))),
    button('ghost', 'schedule.change', () => openForm(session)),
  );
  const cancel = confirming(el('button', 'ghost danger-text', 'schedule.cancel'), 'schedule.cancelConfirm', async () => {
    await api.cancelSession(session.id);
    toast('schedule.cancelled', { title: session.title });
    await refreshTimetable();
  });
  cancel.type = 'button';
  box.append(cancel);
  return box;
}

// ---- scheduling: a new lesson or meeting, or a change to one -----------------------------------

const canSchedule = () => isStaff() && state.classes.some((c) => teaches(c.id));

function openForm(session = null) {
  const form = $('schedule-form');
  timetable.editing = session;
  formErrors.clear(form);
  form.hidden = false;
  $('schedule-button').setAttribute('aria-expanded', 'true');
  const select = form.elements.class_id;
  const classes = state.classes.filter((c) => teaches(c.id));
  select.replaceChildren(...classes.map((c) => {
    const option = document.createElement('option');
    option.value = c.id;
    option.textContent = c.name;
    return option;
  }));
  form.elements.starts_at.min = wallValue(0);
  if (session) {
    select.value = session.class_id;
    form.elements.kind.value = session.kind;
    form.elements.title.value = session.title;
    form.elements.starts_at.value = session.starts_at.slice(0, 16);
    form.elements.duration_minutes.value = session.duration_minutes ?? '';
  } else {
    form.reset();
    form.elements.starts_at.value = wallValue(1, 9);
    form.elements.duration_minutes.value = String(DEFAULT_MINUTES);
  }
  select.disabled = Boolean(session);
  form.elements.kind.disabled = Boolean(session);
  localize($('schedule-form-heading'), t, session ? 'schedule.changeHeading' : 'schedule.new');
  localize($('schedule-submit'), t, session ? 'schedule.save' : 'schedule.submit');
  localize($('schedule-zone'), t, 'schedule.zoneHint', { zone: zoneName() });
  form.elements.title.focus();
}

function closeForm() {
  $('schedule-form').hidden = true;
  $('schedule-button').setAttribute('aria-expanded', 'false');
  timetable.editing = null;
}

/** Where the server's stable codes are shown: next to their field, in the page's language. */
const ERRORS = {
  title_required: ['title', 'api.title_required'],
  title_too_long: ['title', 'api.title_too_long'],
  time_malformed: ['starts_at', 'api.time_malformed'],
  time_in_past: ['starts_at', 'api.time_in_past'],
  duration_invalid: ['duration_minutes', 'api.duration_invalid'],
};

async function submit() {
  const form = $('schedule-form');
  formErrors.clear(form);
  const title = form.elements.title.value.trim();
  const startsAt = form.elements.starts_at.value;
  const problems = [];
  if (!title) problems.push(['title', 'api.title_required']);
  if (!startsAt) problems.push(['starts_at', 'meeting.needTime']);
  if (formErrors.some(form, problems)) return null;
  const minutes = form.elements.duration_minutes.value;
  const fields = { title, starts_at: startsAt, duration_minutes: minutes === '' ? null : Number(minutes) };
  const editing = timetable.editing;
  try {
    if (editing) {
      await api.reschedule(editing.id, fields);
    } else {
      await api.createSession({
        ...fields,
        kind: form.elements.kind.value,
        class_id: form.elements.class_id.value,
        duration_minutes: fields.duration_minutes ?? undefined,
      });
    }
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) return signOut();
    return formErrors.fromApi(form, err, ERRORS)?.focus();
  }
  closeForm();
  toast(editing ? 'schedule.changed' : 'schedule.scheduled', { title, time: typedTime(startsAt) });
  await refreshTimetable();
  return null;
}

/** "Mon, 7 Dec, 09:00": a datetime-local value as typed (the school's clock), for a notice. */
function typedTime(value) {
  const [day, time] = value.split('T');
  const [y, m, d] = day.split('-').map(Number);
  const date = new Intl.DateTimeFormat(locale(), {
    timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short',
  }).format(new Date(Date.UTC(y, m - 1, d)));
  return `${date}, ${time}`;
}

export function wireScheduleForm() {
  $('schedule-button').addEventListener('click', () => ($('schedule-form').hidden ? openForm() : closeForm()));
  $('schedule-cancel').addEventListener('click', closeForm);
  $('schedule-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy($('schedule-submit'), submit);
  });
  t.addEventListener('change', () => {
    if (state.me) renderTimetable();
  });
}
