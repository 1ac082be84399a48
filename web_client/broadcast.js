// /broadcast/{session}: an event's broadcast for the school's people, live or, once the event
// has ended, the whole of it on demand (its HLS playlist played by stream.js).

import * as api from './api.js';
import { localize } from './i18n.js';
import { $, applyLanguage, explainRefusal, t, wireLanguageSwitch, withLang } from './page.js';
import { playHls } from './stream.js';

const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
let broadcast = null;
let player = null;

function show(view) {
  for (const id of ['loading', 'refused', 'player']) $(id).hidden = id !== view;
}

async function load() {
  show('loading');
  try {
    broadcast = await api.getBroadcast(sessionId);
  } catch (err) {
    refuse(err);
    return;
  }
  show('player');
  $('broadcast-title').textContent = broadcast.title;
  translate();
  player?.stop();
  const video = $('video');
  try {
    player = await playHls(video, broadcast.playlist, () => note('stream.failed'));
  } catch {
    note('stream.unsupported');
  }
}

function note(key) {
  $('note').hidden = false;
  localize($('note'), t, key);
}

function refuse(err) {
  if (!explainRefusal(err, 'broadcast')) return;
  show('refused');
  translate();
}

function translate() {
  applyLanguage(broadcast ? t.t('broadcast.pageTitle', { title: broadcast.title }) : t.t('broadcast.heading'));
  if (broadcast) localize($('broadcast-state'), t, `broadcast.state.${broadcast.state}`);
}

function main() {
  $('back').href = withLang('/school');
  wireLanguageSwitch(translate);
  $('retry').addEventListener('click', load);
  load();
}

main();
