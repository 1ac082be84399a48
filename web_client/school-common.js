// What the parts of /school share: what the API said (`state`), who may do what, times in the
// page's language, busy buttons, and entering a session's live room.

import { keepRoomToken, lessonPath } from './room-token.js';
import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { errorText, t, toast, withLang } from './page.js';

const CONFIRM_MS = 4000; // how long "End for everyone?" waits for the second click
const KEEP_BUSY = Symbol('keep busy'); // the page is navigating away: leave the button disabled

export const state = {
  me: null,
  school: null,
  classes: [],
  details: new Map(), // class id → the class with `members` (null if it could not be loaded)
  invites: new Map(), // class id → its invite links (teachers and admins only)
  sessions: [],
  timeZone: null, // the school's, from the timetable (school-schedule.js)
  users: [], // admins only
  showAllPast: false,
};

// ---- times ---------------------------------------------------------------------------------

/** The page's language, or the browser's regional variant of it (en-GB dates in Britain). */
export function locale() {
  const nav = navigator.language || '';
  return nav.toLowerCase().startsWith(t.lang) ? nav : t.lang;
}

export const now = () => Date.now() / 1000;

// ---- the school's clock (issue 18): times are typed and shown in the school's zone, whatever
// the browser's; the zone comes with the timetable (GET /api/sessions/upcoming) or, once the
// school has a setting of its own, with the school.
const DEFAULT_ZONE = 'Europe/Moscow';

export function schoolZone() {
  return state.school?.time_zone || state.timeZone || DEFAULT_ZONE;
}

/** [year, month, day, hour, minute] of the unix time `seconds` on the school's clock. */
export function wallParts(seconds) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: schoolZone(), year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(seconds * 1000));
  const part = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  return [part.year, part.month, part.day, part.hour, part.minute];
}

/** The unix time of a wall-clock "YYYY-MM-DDTHH:MM" on the school's clock (NaN if none). */
export function fromWall(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!match) return NaN;
  const [y, mo, d, h, mi] = match.slice(1).map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi) / 1000;
  // The zone's offset at that moment, asked twice: once near it, once at the answer (DST).
  let at = asUtc;
  for (let i = 0; i < 2; i += 1) {
    const [wy, wmo, wd, wh, wmi] = wallParts(at);
    at = asUtc - (Date.UTC(wy, wmo - 1, wd, wh, wmi) / 1000 - at);
  }
  return at;
}

const dayNumber = (seconds) => {
  const [y, m, d] = wallParts(seconds);
  return Date.UTC(y, m - 1, d) / 86400000;
};

/** "today, 14:30", "tomorrow, 18:00", or "25 Nov 2025, 18:00" in the page's language. */
export function formatTime(seconds) {
  const date = new Date(seconds * 1000);
  const zone = schoolZone();
  const time = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(date);
  const days = dayNumber(seconds) - dayNumber(now());
  if (days === 0) return t.t('time.today', { time });
  if (days === 1) return t.t('time.tomorrow', { time });
  if (days === -1) return t.t('time.yesterday', { time });
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(date);
}

/** Marks `node` to show `key` with {time} = the unix time `seconds`, redrawn on a language switch. */
export function timeText(node, key, seconds, params = {}) {
  node.dataset.ts = String(seconds);
  node.dataset.tsKey = key;
  node.dataset.tsParams = JSON.stringify(params);
  return drawTime(node);
}

export function drawTime(node) {
  const params = JSON.parse(node.dataset.tsParams || '{}');
  return localize(node, t, node.dataset.tsKey, { ...params, time: formatTime(Number(node.dataset.ts)) });
}

/** A datetime-local value on the school's clock, `days` from now, at `hour`:00 (or now). */
export function wallValue(days, hour) {
  const pad = (n) => String(n).padStart(2, '0');
  const [y, mo, d, h, mi] = wallParts(now() + days * 86400);
  const time = hour === undefined ? `${pad(h)}:${pad(mi)}` : `${pad(hour)}:00`;
  return `${y}-${pad(mo)}-${pad(d)}T${time}`;
}

/** A datetime-local input that cannot go back in time, by default tomorrow at 18:00. */
export function prepareWhen(input) {
  input.min = wallValue(0);
  if (!input.value) input.value = wallValue(1, 18);
}

/** The unix time a datetime-local input holds (the school's clock), or [null, i18n key of what
 * is wrong]. */
export function readWhen(input) {
  const at = fromWall(input.value);
  if (!input.value || Number.isNaN(at)) return [null, 'meeting.needTime'];
  if (at < now()) return [null, 'meeting.inPast'];
  return [Math.round(at), null];
}

// ---- who may do what (the server decides; this only hides buttons that would be refused) -----

export const isAdmin = () => state.me.role === 'admin';
const isVerifiedTeacher = () => state.me.role === 'teacher' && state.me.verified;
export const isStaff = () => isAdmin() || isVerifiedTeacher();
export const classById = (id) => state.classes.find((c) => c.id === id);

export function teaches(classId) {
  return isAdmin() || (isVerifiedTeacher() && Boolean(classById(classId)?.teachers.includes(state.me.id)));
}

export function hosts(session) {
  return isAdmin() || (isVerifiedTeacher() && (teaches(session.class_id) || session.created_by === state.me.id));
}

// ---- redrawing ------------------------------------------------------------------------------

/** Runs `draw`, which replaces what is under `root`, and opens again the <details> that were
 * open (by their class card, class and data-key): a redraw after an action keeps the place. */
export function keepingOpen(root, draw) {
  const key = (node) =>
    `${node.closest('[data-class-id]')?.dataset.classId || ''}|${node.className}|${node.dataset.key || ''}`;
  const open = new Set([...root.querySelectorAll('details[open]')].map(key));
  draw();
  for (const node of root.querySelectorAll('details')) if (open.has(key(node))) node.open = true;
}

// ---- signing out, failures, busy buttons -------------------------------------------------

export async function signOut() {
  await api.logout();
  location.replace(withLang('/signin'));
}

/** Any request's failure: an expired sign-in goes back to /signin, the rest becomes a toast. */
export function failed(err) {
  if (err instanceof ApiError && err.signedOut) {
    signOut();
    return;
  }
  toast(...errorText(err), 'error');
}

/** Runs `work` with `node` disabled and marked busy; a second click meanwhile does nothing. */
export async function busy(node, work) {
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
export function confirming(node, askKey, action) {
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

// ---- entering a session --------------------------------------------------------------------

/** Starts the session if asked, then opens its live room (the lesson page). */
export async function enter(session, start) {
  if (start) await api.startSession(session.id);
  const admission = await api.joinSession(session.id);
  // The room token goes to the lesson page through this tab, never through its address.
  keepRoomToken(session.id, admission.token);
  location.assign(withLang(lessonPath(session.id)));
  return KEEP_BUSY;
}

/** Creates a session, starts it and opens its room: a lesson, a consultation, a staff meeting. */
export async function startNew(fields) {
  return enter(await api.createSession(fields), true);
}
