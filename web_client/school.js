// /school: what a signed-in person sees. Teachers: their classes (start a lesson, invite links,
// parent meetings, consultations, members), staff meetings and sessions. Admins: the same for
// every class, plus the school's settings, people and classes. Pupils and parents: their classes
// and the sessions they may join.
//
// The page keeps what the API said in `state` (school-common.js) and draws from it; every string
// goes through localize() (or a [data-ts] time), so the RU/EN switch redraws the page in place.
// This module loads and wires; the parts are school-classes.js, school-sessions.js,
// school-admin.js and school-account.js.

import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import {
  $, applyLanguage, errorText, showFlash, t, toast, wireLanguageSwitch,
} from './page.js';
import { renderAccount, wireAccount } from './school-account.js';
import {
  fillAssignForm, fillSchoolForm, onSchoolChanged, renderAdmin, wireAdminForms,
} from './school-admin.js';
import { loadClass, renderClasses, updateStartButtons } from './school-classes.js';
import { drawTime, failed, isAdmin, signOut, state } from './school-common.js';
import { wireEventForm } from './school-events.js';
import { onPeopleChanged, wireImportDialog } from './school-people.js';
import { onSessionsRendered, pollSessions, renderSessions, wireStaffForm } from './school-sessions.js';
// The timetable and the server's news of sessions (issue 18).
import { connectLive, isLive } from './school-live.js';
import {
  markStarted, onTimetableChanged, refreshTimetable, renderTimetable, wireScheduleForm,
} from './school-schedule.js';

const POLL_MS = 15000; // a pupil waiting for the teacher sees the Join button appear by itself

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
    if (err instanceof ApiError && err.signedOut) return signOut();
    $('loading').hidden = true;
    $('load-error').hidden = false;
    localize($('load-error-text'), t, ...errorText(err));
    return;
  }
  $('loading').hidden = true;
  renderAll();
  await refreshTimetable().catch(failed);
  if (!liveStarted) liveStarted = connectLive(onNews, signOut);
}

let liveStarted = false;

/** News from the server (school-live.js): null after a (re)connection, when anything may have
 * changed; else one session's change. Either way the lists are fetched again, and redrawn
 * only if they changed (a redraw would undo a half-made "End for everyone?"). */
async function onNews(news) {
  if (!state.me) return;
  if (news?.change === 'started') {
    markStarted(news.session.id);
    toast('schedule.startedToast', { title: news.session.title });
  }
  try {
    await Promise.all([pollSessions(), refreshTimetable({ onlyChanged: true })]);
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) signOut();
  }
}

/** After a person or a class changed (deactivated, taken out, imported): what the API says now. */
async function refreshPeople() {
  try {
    const [classes, users] = await Promise.all([
      api.listClasses(),
      isAdmin() ? api.listUsers() : [],
    ]);
    state.classes = classes;
    state.users = users;
    await Promise.all(classes.map(loadClass));
  } catch (err) {
    failed(err);
    return;
  }
  renderClasses();
  if (isAdmin()) renderAdmin();
  translate();
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
  renderTimetable();
  if (isAdmin()) {
    fillSchoolForm();
    renderAdmin();
  }
  translate();
}

function renderTopbar() {
  const { me, school } = state;
  $('school-name').textContent = school.name;
  renderAccount();
  $('user-box').hidden = false;
  const badge = $('user-badge');
  let key = `role.${me.role}`;
  if (me.role === 'teacher') key = me.verified ? 'badge.verifiedTeacher' : 'badge.unverifiedTeacher';
  localize(badge, t, key);
  badge.className = `badge ${me.role === 'teacher' && me.verified ? 'verified' : 'plain'}`;
}

function translate() {
  applyLanguage(state.school ? t.t('school.title', { school: state.school.name }) : t.t('app.name'));
  for (const node of document.querySelectorAll('[data-ts]')) drawTime(node);
}

function main() {
  wireLanguageSwitch(() => {
    if (state.me && isAdmin()) fillAssignForm(); // option texts are plain text
    translate();
  });
  $('sign-out').addEventListener('click', signOut);
  $('retry').addEventListener('click', load);
  onSessionsRendered(updateStartButtons);
  onTimetableChanged(() => state.me && renderSessions()); // what the timetable shows, once
  onSchoolChanged(() => {
    renderTopbar();
    translate();
  });
  wireAccount();
  wireStaffForm();
  wireScheduleForm();
  wireEventForm();
  wireAdminForms();
  wireImportDialog();
  onPeopleChanged(refreshPeople);
  translate();
  showFlash();
  load();
  // A fallback only: while the server's news comes (school-live.js) there is nothing to poll.
  setInterval(() => {
    if (!isLive()) pollSessions();
  }, POLL_MS);
  document.addEventListener('visibilitychange', pollSessions);
  // For tests and the curious: what the page currently knows.
  globalThis.school = { state, reload: load };
}

main();
