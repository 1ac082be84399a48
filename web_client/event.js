// /event/{link}: an event's link for families without an account. Shows which event of which
// school it is, asks the name to watch under, and opens the event as a watch-only guest (no
// camera, no microphone). A wrong link, or an event that is over, says so.

import { keepRoomToken, lessonPath } from './room-token.js';
import * as api from './api.js';
import { ApiError } from './api.js';
import { localize } from './i18n.js';
import { $, applyLanguage, errorText, formErrors, t, wireLanguageSwitch, withLang } from './page.js';

const DEAD = new Set(['not_found', 'session_ended']);

// The link is the last path segment; the server routes /event/{link} here.
const link = decodeURIComponent(location.pathname.split('/').filter(Boolean).slice(1).join('/'));
let event = null;

function show(view) {
  for (const id of ['loading', 'dead', 'event']) $(id).hidden = id !== view;
}

async function load() {
  show('loading');
  try {
    event = link ? await api.openEvent(link) : null;
  } catch (err) {
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    localize($('dead-title'), t, 'event.unreachable');
    localize($('dead-text'), t, ...errorText(err));
    $('retry').hidden = false;
    show('dead');
    return translate();
  }
  if (!event) return showDead('not_found');
  $('event-school').textContent = event.school;
  $('event-title').textContent = event.title;
  localize($('event-lead'), t, event.state === 'live' ? 'event.live' : 'event.notYet');
  show('event');
  translate();
  $('event-name').focus();
}

function showDead(code) {
  localize($('dead-title'), t, `event.dead.${code}.title`);
  localize($('dead-text'), t, `event.dead.${code}.text`);
  $('retry').hidden = true;
  show('dead');
  translate();
}

async function watch(ev) {
  ev.preventDefault();
  const form = $('event-form');
  formErrors.clear(form);
  const name = form.elements.name.value.trim();
  if (formErrors.some(form, name ? [] : [['name', 'field.nameInvalid']])) return;
  const submit = $('event-submit');
  submit.disabled = true;
  try {
    const admitted = await api.joinEvent(link, name);
    // The guest's token goes to the lesson page through this tab, never through its address.
    keepRoomToken(admitted.session, admitted.token);
    location.assign(withLang(lessonPath(admitted.session)));
  } catch (err) {
    submit.disabled = false;
    if (err instanceof ApiError && DEAD.has(err.code)) return showDead(err.code);
    formErrors.fromApi(form, err);
  }
}

function translate() {
  applyLanguage(event ? t.t('event.pageTitle', { title: event.title }) : t.t('app.name'));
}

function main() {
  wireLanguageSwitch(translate);
  $('retry').addEventListener('click', load);
  $('event-form').addEventListener('submit', watch);
  load();
}

main();
