// /school's sessions: live, upcoming and past lessons, meetings and consultations with their
// buttons (start, join, end, the lesson's record), the poll that makes a Join button appear by itself,
// and the staff meeting form (teachers and admins).

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, button, el, t, toast, withLang } from './page.js';
import {
  busy, classById, confirming, enter, hosts, isStaff, signOut, state, timeText,
} from './school-common.js';
import { eventActions, eventMeta } from './school-events.js';
import { inTimetable, timetableShowsComing } from './school-schedule.js';
import { recordButton, showsRecord } from './school-lesson-record.js';
import { recordingsButton } from './school-recordings.js';
import { wireTimedForm } from './school-timed-form.js';

const PAST_SHOWN = 5;

const rendered = new Set(); // called after each redraw (the class cards' Start/Join buttons)

export function onSessionsRendered(callback) {
  rendered.add(callback);
}

export async function refreshSessions() {
  state.sessions = await api.listSessions();
  renderSessions();
}

export function renderSessions() {
  const live = state.sessions.filter((s) => s.state === 'live');
  // What is coming is the timetable's (above): listed here too, a lesson showed twice. Here
  // only what it does not show (one scheduled over an hour ago and never started).
  const upcoming = state.sessions
    .filter((s) => s.state === 'scheduled' && !inTimetable(s.id))
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
  localize(empty, t, timetableShowsComing() ? 'sessions.emptyComing' : isStaff() ? 'sessions.emptyHost' : 'sessions.emptyMember');
  $('staff-button').hidden = !isStaff();
  $('event-button').hidden = !isStaff();
  for (const callback of rendered) callback();
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
  row.dataset.kind = session.kind;
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
  // A live lesson nobody runs is about to end by itself: say so, not just "live".
  if (session.state === 'live' && session.room && !session.room.host && session.room.ends_at) {
    meta.append(timeText(el('span', 'no-host'), 'sessions.noHostUntil', session.room.ends_at));
  }
  if (session.kind === 'event') meta.append(...eventMeta(session));
  main.append(title, meta);
  row.append(main, sessionActions(session, row));
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

function sessionActions(session, row) {
  const box = el('div', 'session-actions');
  const host = hosts(session);
  if (session.state === 'scheduled' && host) {
    box.append(button('primary', 'sessions.start', (b) => busy(b, () => enter(session, true))));
  }
  if (session.state === 'scheduled' && !host) {
    // A staff meeting is started by whoever organised it, not by "the teacher".
    box.append(el('span', 'waiting', session.kind === 'staff_meeting' ? 'sessions.waitingHost' : 'sessions.waiting'));
  }
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
  // issue 18: the lesson's record (attendance of the whole class, polls) opens under the row.
  if (showsRecord(session)) box.append(recordButton(session, row));
  if (session.kind === 'event' && host && session.state !== 'ended') box.append(...eventActions(session, row));
  if (session.kind === 'event' && session.state === 'ended') {
    const watch = el('a', 'button ghost', 'sessions.broadcast');
    watch.href = withLang(`/broadcast/${encodeURIComponent(session.id)}`);
    box.append(watch);
  }
  if (session.recordings > 0) box.append(recordingsButton(session, row));
  return box;
}

/** Looks again (every 15 s, and when the tab comes back): a Join button appears by itself. */
export async function pollSessions() {
  if (document.visibilityState !== 'visible' || !state.me || !$('loading').hidden) return;
  try {
    const sessions = await api.listSessions();
    if (JSON.stringify(sessions) !== JSON.stringify(state.sessions)) {
      state.sessions = sessions;
      renderSessions();
    }
  } catch (err) {
    // A lost connection is retried by the next poll; an expired sign-in is not.
    if (err instanceof ApiError && err.signedOut) signOut();
  }
}

// ---- staff meetings: every teacher and admin of the school is invited ---------------------------

export function wireStaffForm() {
  wireTimedForm({
    ids: {
      form: 'staff-form', toggle: 'staff-button', cancel: 'staff-cancel', submit: 'staff-submit',
      whenField: 'staff-when-field',
    },
    kind: 'staff_meeting',
    keys: {
      defaultTitle: 'staff.defaultTitle', startNow: 'staff.startNow', schedule: 'staff.schedule',
      scheduled: 'staff.scheduled',
    },
    onScheduled: refreshSessions,
  });
}
