// The REST API under /api (GET /api/openapi.json; signaling/api.py).
// No DOM here: the pages (signin.js, school.js, join.js) decide what to show.
//
// The sign-in is an HttpOnly cookie the server sets (signaling/cookies.py): no script of ours,
// nor one injected into a page, ever holds the account's token, and no URL carries it.

/** A refused request: `status` 0 and code 'network' when the server could not be reached;
 * `field` names the request's field at fault, when the server says which. */
export class ApiError extends Error {
  constructor(status, code, message, field = null, body = null) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body; // the whole answer: a refused class list's `report`, say
    /** Seconds to wait before trying again (too_many_attempts), when the server said. */
    this.retryAfter = null;
  }

  /** The sign-in is gone (expired, revoked): unlike a wrong password, which is also a 401. */
  get signedOut() {
    return this.status === 401 && this.code !== 'bad_credentials';
  }
}

// Earlier versions kept the token in localStorage, readable by any script: forget it.
try {
  localStorage.removeItem('classroom.apiToken');
} catch {
  /* storage disabled: nothing was kept there either */
}

/** One request; resolves to the fetch Response when it is 2xx, else rejects with ApiError. */
async function send(method, path, { body } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'network', err?.message || 'network error');
  }
  if (response.ok) return response;
  let data = null;
  try {
    data = await response.json();
  } catch {
    /* a proxy's HTML error page, say */
  }
  const error = data?.error;
  const refused = new ApiError(
    response.status,
    error?.code || `http_${response.status}`,
    error?.message || response.statusText,
    error?.field || null,
    data,
  );
  refused.retryAfter = Number(response.headers.get('Retry-After')) || null;
  throw refused;
}

async function json(method, path, options) {
  const response = await send(method, path, options);
  return response.json();
}

const enc = encodeURIComponent;

// ---- sign-in and invite links (no sign-in needed) ----------------------------------------------

/** Signs in: the server sets the cookie. Resolves to {user, expires_in, token}. */
export const login = (loginName, password) =>
  json('POST', '/api/auth/login', { body: { login: loginName, password } });

/** Ends this device's sign-in (the server clears the cookie); never rejects. */
export async function logout() {
  try {
    await json('POST', '/api/auth/logout');
  } catch {
    /* signed out already, or the server is unreachable: the page leaves either way */
  }
}

/** Ends every sign-in of the account, this one included. */
export const logoutEverywhere = () => json('POST', '/api/auth/logout-everywhere');

export const openInvite = (id) => json('GET', `/api/invites/${enc(id)}`);

/** Whether an event's whole audience watches its HLS broadcast (its hosts). The session. */
export const setAudience = (sessionId, hlsOnly) =>
  json('PUT', `/api/sessions/${enc(sessionId)}/audience`, { body: { hls_only: hlsOnly } });

/** An event's broadcast: {title, state, playlist} (live, or the whole of it once ended). */
export const getBroadcast = (sessionId) => json('GET', `/api/sessions/${enc(sessionId)}/broadcast`);

/** An event's guest link, for its hosts: {link, url}. */
export const eventLink = (sessionId) => json('GET', `/api/sessions/${enc(sessionId)}/event-link`);

/** What an event link is for: {title, state, school}. */
export const openEvent = (link) => json('GET', `/api/events/${enc(link)}`);

/** A watch-only guest's entry to the event: {token, url, title, state}. */
export const joinEvent = (link, name) =>
  json('POST', `/api/events/${enc(link)}/join`, { body: { name } });

/** `fields`: {name, login, password, child_id?}. Resolves to {token, expires_in, user}. */
export const redeemInvite = (id, fields) =>
  json('POST', `/api/invites/${enc(id)}/redeem`, { body: fields });

/** The signed-in pupil joins the link's class, or the parent links a child (`childId`) of it.
 * Resolves to the updated user. */
export const acceptInvite = (id, childId) =>
  json('POST', `/api/invites/${enc(id)}/accept`, { body: childId ? { child_id: childId } : {} });

// ---- me, people, classes -----------------------------------------------------------------------

export const me = () => json('GET', '/api/me');

/** Refused with bad_credentials (a 401, yet still signed in) when `old` is wrong. */
export const changePassword = (old, password) =>
  json('POST', '/api/me/password', { body: { old, new: password } });

/** `fields`: {name?, parents_see_recordings?} (admins). Resolves to the school. */
export const updateSchool = (fields) => json('PATCH', '/api/school', { body: fields });

export const listUsers = async () => (await json('GET', '/api/users')).users;

export const createTeacher = (fields) => json('POST', '/api/users', { body: fields });

export const eraseUser = (userId, confirm) =>
  json('POST', `/api/users/${enc(userId)}/erase`, { body: { confirm } });
export const verifyTeacher = (userId) => json('POST', `/api/users/${enc(userId)}/verify`);

export const listClasses = async () => (await json('GET', '/api/classes')).classes;

/** The class with `members`: [{id, name, role}]. */
export const getClass = (classId) => json('GET', `/api/classes/${enc(classId)}`);

export const createClass = (name) => json('POST', '/api/classes', { body: { name } });

export const assignTeacher = (classId, teacherId) =>
  json('POST', `/api/classes/${enc(classId)}/teachers`, { body: { teacher_id: teacherId } });

// ---- invite links ------------------------------------------------------------------------------

export const listInvites = async (classId) =>
  (await json('GET', `/api/classes/${enc(classId)}/invites`)).invites;

/** `options`: {role: 'pupil'|'parent', ttl?, max_uses?, child_id?}. */
export const createInvite = (classId, options) =>
  json('POST', `/api/classes/${enc(classId)}/invites`, { body: options });

export const revokeInvite = (inviteId) => json('DELETE', `/api/invites/${enc(inviteId)}`);

// ---- sessions ----------------------------------------------------------------------------------

export const listSessions = async () => (await json('GET', '/api/sessions')).sessions;

/** `fields`: {kind, title, class_id?, guest_id?, scheduled_at? (unix seconds)}. */
export const createSession = (fields) => json('POST', '/api/sessions', { body: fields });

export const startSession = (id) => json('POST', `/api/sessions/${enc(id)}/start`);

export const endSession = (id) => json('POST', `/api/sessions/${enc(id)}/end`);

/** {token, url, lobby, host, session}: open `url` to enter the live room. */
export const joinSession = (id) => json('POST', `/api/sessions/${enc(id)}/join`);

// ---- a lesson's record (issue 18): its polls and the whole class's attendance ----------------

/** {everyone, polls: [{id, question, options, multiple, quiz, correct, asked_at, closed_at,
 * answers: [{user_id, name, choices, answered_at, right}], counts?, voters?, right?}]}: every
 * answer for the session's hosts and the school's admins, one's own for anyone else. */
export const sessionPolls = (id) => json('GET', `/api/sessions/${enc(id)}/polls`);
export const classQuizzes = (classId) => json('GET', `/api/classes/${enc(classId)}/quizzes`);

/** {time_zone, expected, present, absent, roll: [{user_id, name, expected, present, joined,
 * left (local ISO times in the school's zone), minutes, stays}]} (hosts, admins). */
export const sessionRoll = (id) => json('GET', `/api/sessions/${enc(id)}/roll`);

/** The whole class's attendance CSV as {blob, filename}: it needs the bearer token, so no plain
 * link. `lang` 'ru' gives Excel's Russian layout (';', decimal commas), 'en' the English one. */
export async function attendanceCsv(id, lang = 'ru') {
  const response = await send('GET', `/api/sessions/${enc(id)}/attendance.csv?lang=${enc(lang)}`);
  const disposition = response.headers.get('Content-Disposition') || '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] || `attendance-${id}.csv`;
  return { blob: await response.blob(), filename };
}

// ---- recordings --------------------------------------------------------------------------------

/** A session's recordings, newest first: [{id, started, stopped, duration, composed,
 * composition: {state, progress?}|null, …}]. */
export const listRecordings = async (sessionId) =>
  (await json('GET', `/api/sessions/${enc(sessionId)}/recordings`)).recordings;

/** One recording: {playback: [{participant, name, origin}], composed, composed_origin,
 * composition, timeline, …}. */
export const getRecording = (sessionId, recordingId) =>
  json('GET', `/api/sessions/${enc(sessionId)}/recordings/${enc(recordingId)}`);

export const deleteRecording = (sessionId, recordingId) =>
  json('DELETE', `/api/sessions/${enc(sessionId)}/recordings/${enc(recordingId)}`);

/** A recording's file for a <video> element (the sign-in cookie goes with its requests). */
export const recordingFileUrl = (sessionId, recordingId, name) =>
  `/api/sessions/${enc(sessionId)}/recordings/${enc(recordingId)}/files/${enc(name)}`;

// ---- running a school: password links, deactivation, class lists (admin_routes.py) ----------

/** Whose password a link sets: {name, login, school, expires_at, first}. No token needed. */
export const openPasswordLink = (secret) =>
  json('GET', `/api/password-links/${enc(secret)}`, { auth: false });

/** Sets the password and uses the link up: {login, name}. Sign in with them afterwards. */
export const usePasswordLink = (secret, password) =>
  json('POST', `/api/password-links/${enc(secret)}`, { body: { password }, auth: false });

/** A one-time link for the person to set a new password: {user_id, url, expires_at}. */
export const makePasswordLink = (userId) => json('POST', `/api/users/${enc(userId)}/password-link`);

export const deactivateUser = (userId) => json('POST', `/api/users/${enc(userId)}/deactivate`);

export const reactivateUser = (userId) => json('POST', `/api/users/${enc(userId)}/reactivate`);

/** The pupil leaves the class (not the school). Resolves to the class. */
export const removePupil = (classId, userId) =>
  json('DELETE', `/api/classes/${enc(classId)}/pupils/${enc(userId)}`);

/** A class list's preview (`dryRun`) or its import: {valid, rows, problems, accounts, class?}.
 * A list with problems is refused with import_invalid; the error's body holds its `report`. */
export const importClassList = (classId, csv, dryRun) =>
  json('POST', `/api/classes/${enc(classId)}/import`, { body: { csv, dry_run: dryRun } });

// ---- rules the server enforces, checked early so forms can say what is wrong -------------------

/** The server's login rule (classroom/service.py LOGIN), after trimming and lower-casing. */
export const LOGIN_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const PASSWORD_MIN = 8;
export const NAME_MAX = 100;

// ---- the timetable (issue 18) ------------------------------------------------------------------

/** {time_zone, sessions}: live and upcoming sessions I see, soonest first, with their teacher. */
export const upcomingSessions = () => json('GET', '/api/sessions/upcoming');

/** A scheduled session's new title, start (starts_at, the school's clock) or length. */
export const reschedule = (id, fields) =>
  json('PATCH', `/api/sessions/${enc(id)}/schedule`, { body: fields });

export const cancelSession = (id) => json('POST', `/api/sessions/${enc(id)}/cancel`);

/** The Server-Sent Events stream of the sessions I see (web_client/school-live.js). */
export const SESSION_EVENTS = '/api/sessions/events';
