// /recordings/{session}/{recording}: a recorded lesson to rewatch, with its chat beside it.
//
// Right after the lesson each participant's camera and microphone play as one WebM; the whole
// lesson (everyone, the speaker large) follows once composed, and the page offers it as soon
// as it is ready, at the same moment of the lesson. The chat scrolls with the playback:
// what was written by then is shown, what comes later is dimmed, and a click on a line jumps
// there. Every time in the recording is the server's clock; each video says where its 0 is.
// While a material or the blank board was on the lesson's stage, its page and strokes show
// beside the video as they were at the video's moment (playback-stage.js), after a seek too.

import * as api from './api.js';
import { localize } from './i18n.js';
import {
  $, applyLanguage, button, el, explainRefusal, t, wireLanguageSwitch, withLang,
} from './page.js';
import { PlaybackStage } from './playback-stage.js';
import { clock } from './school-recordings.js';
import { pollsAt, stageAt, stageEvents } from './stage-replay.js';

const REFRESH_MS = 3000; // while the lesson video is being prepared
const SHOWN_EVENTS = new Set(['chat', 'participant_joined', 'participant_left']);

const [sessionId, recordingId] = location.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
let recording = null;
let source = null; // {key, name, origin, label | labelKey}
const names = new Map(); // participant id → name, from the timeline
let stageTimeline = []; // the events that change the stage, in time order
let slides = null; // the PlaybackStage
let shownStage = ''; // what the slide shows now: "key|changes", '' for none
let shownPoll = ''; // the poll card's content now, as JSON ('' for none)

function show(view) {
  for (const id of ['loading', 'refused', 'player']) $(id).hidden = id !== view;
}

async function load() {
  show('loading');
  try {
    recording = await api.getRecording(sessionId, recordingId);
  } catch (err) {
    return refuse(err);
  }
  learnNames(recording.timeline);
  show('player');
  $('recording-title').textContent = recording.title || t.t('playback.untitled');
  choose(preferredSource());
  renderEvents();
  stageTimeline = stageEvents(recording.timeline);
  followStage();
  watchComposition();
  translate();
}

function refuse(err) {
  if (!explainRefusal(err, 'playback')) return;
  show('refused');
  translate();
}

/** Everyone the timeline names: those present when recording began, then who joined. */
function timelinePeople(timeline) {
  return timeline.flatMap((event) => {
    if (event.type === 'present') return event.participants || [];
    return event.type === 'participant_joined' && event.participant ? [event.participant] : [];
  });
}

function learnNames(timeline) {
  for (const person of timelinePeople(timeline)) if (person.id && person.name) names.set(person.id, person.name);
}

function hostIds() {
  return timelinePeople(recording.timeline).filter((p) => p.host && p.id).map((p) => p.id);
}

// ---- what plays --------------------------------------------------------------------------------

function sources() {
  const list = [];
  if (recording.composed) {
    list.push({ key: 'composed', name: recording.composed, origin: recording.composed_origin, labelKey: 'playback.wholeLesson' });
  }
  for (const p of recording.playback) {
    list.push({ key: p.participant, name: p.name, origin: p.origin, label: names.get(p.participant) || p.participant });
  }
  return list;
}

/** The whole lesson when it is ready, else the teacher's own recording. */
function preferredSource() {
  const list = sources();
  const hosts = hostIds();
  return list.find((s) => s.key === 'composed') || list.find((s) => hosts.includes(s.key)) || list[0] || null;
}

/** Plays `next`, at the same moment of the lesson as what played before it. */
function choose(next) {
  const video = $('video');
  if (!next) {
    video.hidden = true;
    note('playback.nothing');
    return;
  }
  const at = source && video.currentTime ? source.origin + video.currentTime : null;
  const playing = !video.paused;
  source = next;
  video.src = api.recordingFileUrl(sessionId, recordingId, next.name);
  video.dataset.source = next.key;
  if (at !== null) {
    video.addEventListener('loadedmetadata', () => {
      video.currentTime = Math.max(0, at - next.origin);
      if (playing) video.play().catch(() => {});
    }, { once: true });
  }
  renderSources();
  renderNote();
}

function renderSources() {
  const box = $('sources');
  const buttons = sources().map((s) => {
    const b = button(`chip${s.key === source?.key ? ' active' : ''}`, s.labelKey || null, () => choose(s));
    if (s.label) b.textContent = s.label;
    b.dataset.source = s.key;
    b.setAttribute('aria-pressed', String(s.key === source?.key));
    return b;
  });
  box.replaceChildren(...buttons);
  box.hidden = buttons.length < 2;
}

function note(key, params) {
  const node = $('note');
  node.hidden = !key;
  node.replaceChildren();
  if (key) localize(node, t, key, params);
  return node;
}

function renderNote() {
  const status = recording.composition;
  if (recording.composed) {
    if (source?.key !== 'composed') {
      const node = note('playback.wholeReady');
      node.append(' ', button('secondary small', 'playback.watchWhole', () => choose(sources()[0])));
    } else {
      note(null);
    }
  } else if (status?.state === 'composing') {
    note('playback.preparing', { percent: Math.round((status.progress || 0) * 100) });
  } else if (status?.state === 'queued') {
    note('playback.queued');
  } else {
    note(null);
  }
}

/** Until the lesson video is ready, ask now and then how far it is. */
function watchComposition() {
  const pending = () => !recording.composed && ['queued', 'composing'].includes(recording.composition?.state);
  if (!pending()) return;
  const timer = setInterval(async () => {
    try {
      const fresh = await api.getRecording(sessionId, recordingId);
      recording = { ...recording, composed: fresh.composed, composed_origin: fresh.composed_origin, composition: fresh.composition };
    } catch {
      return; // a lost connection: try again at the next tick
    }
    if (!pending()) clearInterval(timer);
    renderSources();
    renderNote();
  }, REFRESH_MS);
}

// ---- the chat beside it ------------------------------------------------------------------------

function renderEvents() {
  const items = recording.timeline.filter((e) => SHOWN_EVENTS.has(e.type)).map(eventItem);
  $('events').replaceChildren(...items);
  $('events-empty').hidden = items.length > 0;
  follow();
}

function eventItem(event) {
  const item = el('li', `replay-item ${event.type === 'chat' ? 'said' : 'came'}`);
  item.dataset.at = String(event.at);
  const time = el('button', 'replay-time');
  time.type = 'button';
  time.addEventListener('click', () => seekTo(event.at));
  const body = el('div', 'replay-body');
  if (event.type === 'chat') {
    const who = el('span', 'replay-who');
    who.textContent = event.from?.name || '';
    const text = el('span', 'replay-text');
    text.textContent = event.text;
    body.append(who, text);
  } else {
    const id = event.participant?.id || event.participantId;
    const name = event.participant?.name || names.get(id) || '';
    body.append(el('span', 'replay-text', event.type === 'participant_joined' ? 'playback.joined' : 'playback.left', { name }));
  }
  item.append(time, body);
  return item;
}

function seekTo(at) {
  if (!source) return;
  const video = $('video');
  video.currentTime = Math.max(0, at - source.origin);
  follow();
}

/** Marks what was said by now, dims what comes later, and keeps the latest line in view. */
function follow() {
  if (!source) return;
  const now = source.origin + $('video').currentTime;
  let latest = null;
  for (const item of $('events').children) {
    const at = Number(item.dataset.at);
    const time = item.querySelector('.replay-time');
    time.textContent = clock(Math.max(0, at - source.origin));
    const past = at <= now;
    item.classList.toggle('later', !past);
    item.classList.remove('current');
    if (past) latest = item;
  }
  if (latest) {
    latest.classList.add('current');
    const list = $('events');
    const top = latest.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + latest.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 2);
    }
  }
}

// ---- the slide beside it ----------------------------------------------------------------------

/** A material's PDF: the recording's own copy, else the class's (if it still has it). */
function pdfUrl(material) {
  const kept = recording.materials?.[material.id];
  return kept ? api.recordingFileUrl(sessionId, recordingId, kept) : material.url;
}

/** The slide as it was at the video's moment (on play, pause, seeking either way). */
function followStage() {
  if (!slides) {
    slides = new PlaybackStage({
      box: $('slide'),
      view: $('slide-view'),
      pdfUrl,
      onShown: (on) => $('player').classList.toggle('with-slide', on),
    });
  }
  const at = source ? source.origin + $('video').currentTime : -Infinity;
  renderPoll(pollsAt(recording.timeline, at).at(-1) ?? null);
  const stage = source ? stageAt(stageTimeline, at) : null;
  const now = stage ? `${stage.key}|${stage.changes}` : '';
  if (now === shownStage) return;
  shownStage = now;
  slides.show(stage);
}

/** The poll card: its question, its options with the counts the class saw, and whether closed. */
function renderPoll(state, force = false) {
  const now = state ? JSON.stringify(state) : '';
  if (now === shownPoll && !force) return;
  shownPoll = now;
  const card = $('replay-poll');
  card.hidden = !state;
  if (!state) return;
  const { poll, counts, voters, closed, correct } = state;
  card.dataset.pollId = poll.id;
  card.classList.toggle('closed', closed);
  localize($('replay-poll-kicker'), t, closed ? 'poll.kickerClosed' : 'poll.kicker');
  $('replay-poll-question').textContent = poll.question;
  const total = counts ? Math.max(1, voters) : 0;
  $('replay-poll-options').replaceChildren(...poll.options.map((option, i) => {
    const item = el('li', `replay-poll-option${closed && correct === i ? ' correct' : ''}`);
    const label = el('span', 'replay-poll-text');
    label.textContent = option;
    item.append(label);
    if (counts) {
      const count = el('span', 'replay-poll-count');
      count.textContent = String(counts[i] ?? 0);
      const bar = el('span', 'replay-poll-bar');
      const fill = el('i');
      fill.style.width = `${Math.round(((counts[i] ?? 0) / total) * 100)}%`;
      bar.append(fill);
      item.append(count, bar);
    }
    return item;
  }));
  const votersLine = $('replay-poll-voters');
  votersLine.hidden = !counts;
  if (counts) localize(votersLine, t, 'poll.voters', { count: voters });
}

// ---- language ----------------------------------------------------------------------------------

function translate() {
  applyLanguage(recording?.title ? t.t('playback.pageTitle', { title: recording.title }) : t.t('playback.heading'));
  if (recording) {
    localize($('recording-when'), t, 'playback.when', { time: when(recording.started), length: clock(recording.duration || 0) });
    renderSources();
    renderPoll(shownPoll ? JSON.parse(shownPoll) : null, true);
  }
}

function when(seconds) {
  return new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(seconds * 1000));
}

function main() {
  $('back').href = withLang('/school');
  wireLanguageSwitch(translate);
  $('retry').addEventListener('click', load);
  $('video').addEventListener('timeupdate', follow);
  $('video').addEventListener('seeked', follow);
  for (const event of ['timeupdate', 'seeking', 'seeked', 'play', 'pause', 'loadedmetadata']) {
    $('video').addEventListener(event, followStage);
  }
  load();
}

main();
