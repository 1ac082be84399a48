// The page: join view with preview, the waiting view (lesson not started, lobby), the lesson view
// (grid, controls, side panel with chat and, for hosts, the class panel) and the end view.
// It shows state and reports what the person asked for; app.js decides what happens.
//
// Events (CustomEvent): join, rejoin, togglemic, togglecam, togglescreen, togglehand, leave,
// chat {text}, resumeaudio, and request {action, args, notice, params, after} for the room's
// moderation (from hosting.js, lobby.js, polls.js: see moderation.js for the actions).

import { ChatPanel } from './chat.js';
import { HostPanel } from './hosting.js';
import { localize } from './i18n.js';
import { icon } from './icons.js';
import { PollCards, PollDialog } from './polls.js';
import { ParticipantGrid } from './tiles.js';

const TOAST_MS = 6000;
// Where the side panel (chat, class panel) is a sheet over the videos rather than a column:
// phones upright (narrow) and on their side (short). style.css has the same query.
const SHEET_QUERY = '(max-width: 760px), (max-height: 500px)';
// End screens after which coming back makes no sense: no "Join again" button.
const FINAL_ENDS = new Set(['sessionEnded', 'noHost', 'removed', 'denied', 'signedOut']);

export class LessonUI extends EventTarget {
  constructor(translator, doc = document) {
    super();
    this.joinKey = 'join.button'; // what the Join button says: a lesson's, a meeting's, a stage's
    this.sessionKind = null; // from the token: an event's pages speak of the event
    this.t = translator;
    this.doc = doc;
    const $ = (id) => doc.getElementById(id);
    this.$ = $;

    this.grid = new ParticipantGrid($('grid'), translator);
    this.grid.addEventListener('audioblocked', () => this.showSoundBanner(true));
    this.chat = new ChatPanel({
      list: $('chat-list'),
      empty: $('chat-empty'),
      form: $('chat-form'),
      input: $('chat-input'),
      translator,
    });
    this.chat.addEventListener('send', (ev) => this._emit('chat', ev.detail));
    this.chat.addEventListener('message', (ev) => {
      if (ev.detail.unread && !this._chatVisible()) this._setUnread(this.unread + 1);
    });
    this.unread = 0;

    /** Display name of a participant id; app.js knows the room and replaces this. */
    this.nameOf = (id) => id;
    this.host = new HostPanel({ doc, translator, nameOf: (id) => this.nameOf(id) });
    this.polls = new PollCards({ container: $('poll-stack'), translator });
    this.pollDialog = new PollDialog({ doc, translator });
    for (const source of [this.host, this.polls, this.pollDialog]) {
      source.addEventListener('request', (ev) => this._emit('request', ev.detail));
    }
    this.host.addEventListener('newpoll', () => this.pollDialog.open());

    this._wire('join-button', 'join');
    this._wire('view-toggle', 'toggleview');
    this._wire('rejoin-button', 'rejoin');
    this._wire('preview-mic', 'togglemic');
    this._wire('preview-cam', 'togglecam');
    this._wire('ctl-mic', 'togglemic');
    this._wire('ctl-cam', 'togglecam');
    this._wire('ctl-screen', 'togglescreen');
    this._wire('ctl-leave', 'leave');
    this._wire('stream-leave', 'leave');
    this._wire('ctl-hand', 'togglehand');
    this._wire('wait-leave', 'leave');
    this._wire('sound-button', 'resumeaudio');
    $('ctl-chat').addEventListener('click', () => this.toggleSide('chat'));
    $('ctl-host').addEventListener('click', () => this.toggleSide('host'));
    $('tab-chat').addEventListener('click', () => this.selectTab('chat'));
    $('tab-host').addEventListener('click', () => this.selectTab('host'));
    $('side-close').append(icon('close'));
    $('side-close').addEventListener('click', () => this.closeSide());
    this.tab = 'chat';
    this.isHost = false;
    this.sheet = globalThis.matchMedia?.(SHEET_QUERY);
    // Turning a phone, or resizing a window, can show or hide the chat; so can switching tabs.
    this.sheet?.addEventListener('change', () => this._markSide());
    doc.addEventListener('visibilitychange', () => this._markSide());
    doc.addEventListener('keydown', (ev) => {
      // Escape closes a sheet, unless a menu or a dialog above it takes the key first.
      const above = !this.$('tile-menu').hidden || doc.querySelector('dialog[open]');
      if (ev.key === 'Escape' && this._sheetShown() && !above) this.closeSide();
    });

    for (const button of doc.querySelectorAll('#lang-switch [data-lang]')) {
      button.addEventListener('click', () => translator.setLanguage(button.dataset.lang));
    }
    translator.addEventListener('change', () => this.translate());

    // Screen sharing needs getDisplayMedia, which phones do not have.
    this.canShareScreen = Boolean(globalThis.navigator?.mediaDevices?.getDisplayMedia);
    this.setControls({
      micOn: true, camOn: true, screenOn: false, canPublish: true, hasMic: true, hasCam: true,
      micLocked: false, handRaised: false,
    });
    this.translate();
  }

  translate() {
    this.t.apply(this.doc);
    for (const button of this.doc.querySelectorAll('#lang-switch [data-lang]')) {
      button.setAttribute('aria-pressed', String(button.dataset.lang === this.t.lang));
    }
    this._labelChat(); // "1 unread" and "3 unread" may take different plural forms in Russian
  }

  show(view) {
    for (const name of ['join', 'wait', 'lesson', 'stream', 'end']) {
      this.$(`${name}-view`).hidden = name !== view;
    }
    this.doc.body.dataset.view = view;
  }

  /** Connected but not in yet: `kind` 'start' (the lesson has not started) or 'lobby'. */
  showWaiting(kind) {
    localize(this.$('wait-title'), this.t, this._ofKind(`wait.${kind}.title`));
    localize(this.$('wait-text'), this.t, this._ofKind(`wait.${kind}.text`));
    this.$('wait-view').dataset.kind = kind;
    this.show('wait');
  }

  // ---- join view -----------------------------------------------------------------------------

  /** What the token says about us (not verified here; the server checks it). */
  setIdentity({ name, role, room, title, kind }) {
    if (name) {
      this.$('join-name').textContent = name;
      this.$('join-who').hidden = false;
      this.$('preview-avatar').textContent = name.trim().slice(0, 1).toUpperCase();
    }
    const badge = this.$('join-role');
    badge.hidden = !role;
    if (role) localize(badge, this.t, `role.${role}`);
    // The token names what it opens; an older token only has the room id.
    this.sessionKind = kind || null;
    if (kind && kind !== 'lesson') {
      this.joinKey = kind === 'event' ? 'join.stage' : 'join.enter'; // no "Join lesson" there
      localize(this.$('join-button'), this.t, this.joinKey);
    }
    const known = kind && this.t.has(`join.heading.${kind}`);
    const heading = known ? `join.heading.${kind}` : 'join.headingRoom';
    if (title || room) localize(this.$('join-heading'), this.t, heading, { room: title || room });
    this.setRoomTitle(title || room);
  }

  setRoomTitle(room) {
    this.$('room-title').textContent = room || '';
  }

  setParticipantCount(count) {
    const el = this.$('participant-count');
    el.hidden = !count;
    if (count) localize(el, this.t, 'status.participants', { count });
  }

  setAudienceCount(count) {
    const el = this.$('audience-count');
    el.hidden = !count;
    if (count) localize(el, this.t, 'status.audience', { count });
  }

  /** An event's audience only watches: no preview, no camera or microphone controls. */
  setWatchOnly() {
    document.body.classList.add('watch-only');
    // An audience watches the stage: the chat is one button away (its badge counts what
    // comes), not a column taking a quarter of the screen from the performers.
    document.body.classList.add('chat-closed');
    this._markSide();
    localize(this.$('join-button'), this.t, 'join.watch');
    localize(this.$('join-hint'), this.t, 'join.watchHint');
  }

  /** An event's performer: the microphone is opened for music, and the page says so. */
  setMusicMode() {
    localize(this.$('join-hint'), this.t, 'join.musicHint');
  }

  setPreview(stream) {
    this.$('preview-video').srcObject = stream;
  }

  setJoinBusy(busy) {
    const button = this.$('join-button');
    button.disabled = busy;
    const idle = document.body.classList.contains('watch-only') ? 'join.watch' : this.joinKey;
    localize(button, this.t, busy ? 'join.joining' : idle);
  }

  /** Blocks joining for good (no token in the link). */
  disableJoin(key, params) {
    this.$('join-button').disabled = true;
    this.showJoinError(key, params);
  }

  /** No way in from this page: nothing to preview or switch on. */
  setRefused() {
    this.$('join-view').querySelector('.preview-controls').hidden = true;
    this.$('join-hint').hidden = true;
  }

  /** No way in without signing in: a link to /signin that comes back here. */
  offerSignIn(href) {
    this.$('join-signin-link').href = href;
    this.$('join-signin').hidden = false;
  }

  showJoinError(key, params) {
    const el = this.$('join-error');
    el.hidden = !key;
    if (key) localize(el, this.t, key, params);
  }

  showMediaError(key) {
    const el = this.$('media-error');
    el.hidden = !key;
    if (key) localize(el, this.t, key);
  }

  // ---- controls ------------------------------------------------------------------------------

  /**
   * Redraws the preview toggles and the lesson controls from one state object. `micLocked`: a
   * host muted us without leave to unmute; `handRaised`: we are in the queue of hands.
   */
  setControls(state) {
    this.controls = { ...this.controls, ...state };
    const c = this.controls;
    const mic = { on: c.micOn && c.hasMic, onIcon: 'mic', offIcon: 'micOff' };
    const cam = { on: c.camOn && c.hasCam, onIcon: 'camera', offIcon: 'cameraOff' };

    this._setButton('preview-mic', mic, null, mic.on ? 'controls.micMute' : 'controls.micUnmute', !c.hasMic);
    this._setButton('preview-cam', cam, null, cam.on ? 'controls.camMute' : 'controls.camUnmute', !c.hasCam);
    this._setButton('ctl-mic', mic, 'controls.mic',
      c.micLocked ? 'controls.micLocked' : mic.on ? 'controls.micMute' : 'controls.micUnmute',
      !c.canPublish || !c.hasMic || c.micLocked);
    this.$('ctl-mic').classList.toggle('locked', Boolean(c.micLocked));
    if (c.micLocked) {
      const lock = icon('lock');
      lock.classList.add('control-lock');
      this.$('ctl-mic').append(lock);
    }
    this._setButton('ctl-cam', cam, 'controls.cam', cam.on ? 'controls.camMute' : 'controls.camUnmute',
      !c.canPublish || !c.hasCam);
    const screen = { on: !c.screenOn, onIcon: 'screen', offIcon: 'screenStop' };
    this._setButton('ctl-screen', screen, c.screenOn ? 'controls.screenStop' : 'controls.screen',
      c.screenOn ? 'controls.screenStop' : 'controls.screen', !c.canPublish);
    this.$('ctl-screen').hidden = !this.canShareScreen;
    this.$('ctl-screen').classList.toggle('active', Boolean(c.screenOn));
    this.$('ctl-screen').classList.remove('off');
    const hand = c.handRaised ? 'controls.handLower' : 'controls.handRaise';
    this._setButton('ctl-hand', { on: true, onIcon: 'hand' }, hand, hand, false);
    this.$('ctl-hand').classList.toggle('active', Boolean(c.handRaised));
    this.$('ctl-hand').setAttribute('aria-pressed', String(Boolean(c.handRaised)));
    this._setButton('ctl-host', { on: true, onIcon: 'manage' }, 'controls.host', 'controls.host', false);
    this._setButton('ctl-chat', { on: true, onIcon: 'chat' }, 'controls.chat', 'controls.chat', false);
    // These two open and close the side panel: expanded or not (_markSide), never "pressed".
    for (const id of ['ctl-host', 'ctl-chat']) this.$(id).removeAttribute('aria-pressed');
    this._labelChat();
    this._setButton('ctl-leave', { on: true, onIcon: 'leave' }, 'controls.leave', 'controls.leave', false);

    const previewOff = this.$('preview-off');
    previewOff.hidden = cam.on;
    localize(this.$('preview-off-text'), this.t, c.hasCam ? 'join.cameraOff' : 'join.noCamera');
  }

  _setButton(id, { on, onIcon, offIcon }, labelKey, titleKey, disabled) {
    const button = this.$(id);
    button.replaceChildren(icon(on ? onIcon : offIcon));
    if (labelKey) {
      const label = document.createElement('span');
      label.className = 'control-label';
      label.dataset.i18n = labelKey;
      button.append(label);
    }
    button.dataset.i18nTitle = titleKey;
    button.classList.toggle('off', !on);
    button.setAttribute('aria-pressed', String(!on));
    button.disabled = Boolean(disabled);
    this.t.apply(button);
  }

  /** Hosts get the class panel beside the chat (tabs), and a control button for it. */
  setHost(isHost) {
    this.isHost = isHost;
    this.$('side-tabs').hidden = !isHost;
    this.$('ctl-host').hidden = !isHost;
    if (!isHost) this.selectTab('chat');
  }

  /**
   * The control buttons open the side panel on their tab, or close it if it shows that tab. On a
   * computer the panel is a column beside the videos, open at first; on a phone it is a sheet
   * over them, closed at first, so that the videos and the controls fit the screen.
   */
  toggleSide(tab) {
    if (this._sideOpen() && this.tab === tab) {
      this.closeSide();
      return;
    }
    if (this._isSheet()) this.doc.body.classList.add('sheet-open');
    else this.doc.body.classList.remove('chat-closed');
    this.selectTab(tab);
  }

  closeSide() {
    // Focus inside the panel would fall to the page's start: give it to the panel's button.
    const hadFocus = this.$('side').contains(this.doc.activeElement);
    if (this._isSheet()) this.doc.body.classList.remove('sheet-open');
    else this.doc.body.classList.add('chat-closed');
    this._markSide();
    if (hadFocus) this.$(this.tab === 'host' ? 'ctl-host' : 'ctl-chat').focus();
  }

  selectTab(tab) {
    this.tab = tab;
    for (const [name, panel] of [['chat', 'chat'], ['host', 'host-panel']]) {
      this.$(panel).hidden = name !== tab;
      this.$(`tab-${name}`).setAttribute('aria-selected', String(name === tab));
    }
    this._markSide();
  }

  _markSide() {
    const open = this._sideOpen();
    for (const [id, tab] of [['ctl-chat', 'chat'], ['ctl-host', 'host']]) {
      const button = this.$(id);
      button.classList.toggle('active', open && this.tab === tab);
      button.setAttribute('aria-expanded', String(open && this.tab === tab));
      button.setAttribute('aria-controls', 'side');
    }
    if (this._chatVisible()) this._setUnread(0);
  }

  _isSheet() {
    return Boolean(this.sheet?.matches);
  }

  _sideOpen() {
    const body = this.doc.body.classList;
    return this._isSheet() ? body.contains('sheet-open') : !body.contains('chat-closed');
  }

  _sheetShown() {
    return this._isSheet() && this._sideOpen();
  }

  /** Someone can read the chat now: its tab is open, and the browser tab is in front. */
  _chatVisible() {
    return this.tab === 'chat' && this._sideOpen() && this.doc.visibilityState !== 'hidden';
  }

  /** The lobby's size on the host's control button and tab: someone is at the door. */
  setLobbyCount(count) {
    const button = this.$('ctl-host');
    if (count) button.dataset.unread = count > 9 ? '9+' : String(count);
    else delete button.dataset.unread;
    const badge = this.$('tab-host-badge');
    badge.hidden = !count;
    badge.textContent = String(count);
  }

  /** Out of the room: nothing of its moderation stays on screen. */
  /** The grid / speaker view switch, naming the view a press turns to; null hides it. */
  setViewToggle(view) {
    const button = this.$('view-toggle');
    button.hidden = view === null;
    if (view === null) return;
    localize(button, this.t, view === 'grid' ? 'view.toSpeaker' : 'view.toGrid');
    button.setAttribute('aria-pressed', String(view === 'speaker'));
  }

  resetRoom() {
    this.$('toasts').replaceChildren(); // the room's notices mean nothing after it
    this.polls.clear();
    this.setLocked(false);
    this.setRecording(false);
    this.setLobbyCount(0);
    this.doc.body.classList.remove('sheet-open'); // the next lesson starts on its videos
    this._setUnread(0);
    this.host.menu.close();
    this.host.setHands([]);
    this.host.setLobby([]);
    for (const dialog of this.doc.querySelectorAll('dialog[open]')) dialog.close();
  }

  /** The recording mark in the top bar: everyone sees that the lesson is being recorded. */
  setRecording(recording) {
    const badge = this.$('recording-badge');
    badge.hidden = !recording;
    badge.replaceChildren();
    const dot = document.createElement('span');
    dot.className = 'rec-dot';
    dot.setAttribute('aria-hidden', 'true');
    const text = document.createElement('span');
    localize(text, this.t, 'recording.badge');
    badge.append(dot, text);
    badge.dataset.i18nTitle = 'recording.badgeTitle';
    this.t.apply(badge);
  }

  /** The lock in the top bar: everyone sees that no one new can come in. */
  setLocked(locked) {
    const badge = this.$('lock-badge');
    badge.hidden = !locked;
    badge.replaceChildren(icon('lock'));
    const text = document.createElement('span');
    localize(text, this.t, 'lock.badge');
    badge.append(text);
    badge.dataset.i18nTitle = 'lock.badgeTitle';
    this.t.apply(badge);
  }

  _setUnread(count) {
    if (count === this.unread) return;
    this.unread = count;
    this._labelChat();
  }

  /** The chat button's badge, and its name and tooltip with the count: "Chat, 3 unread". */
  _labelChat() {
    const button = this.$('ctl-chat');
    const count = this.unread;
    if (count) {
      button.dataset.unread = count > 9 ? '9+' : String(count);
      const form = `controls.chatUnread.${new Intl.PluralRules(this.t.lang).select(count)}`;
      button.dataset.i18nTitle = this.t.has(form) ? form : 'controls.chatUnread.other';
      button.dataset.i18nArgs = JSON.stringify({ count });
    } else {
      delete button.dataset.unread;
      button.dataset.i18nTitle = 'controls.chat';
      delete button.dataset.i18nArgs;
    }
    this.t.apply(button);
  }

  // ---- status, banners, toasts ---------------------------------------------------------------

  /** A short line in the top bar (null hides it); `tone` is 'info' or 'warn'. */
  setStatus(key, params, tone = 'info') {
    const el = this.$('status');
    el.hidden = !key;
    el.dataset.tone = tone;
    if (key) localize(el, this.t, key, params);
  }

  showSoundBanner(show) {
    this.$('sound-banner').hidden = !show;
  }

  /** Shows an error (or notice, tone 'info') for a few seconds. `key` is an i18n key. */
  toast(key, params, tone = 'error') {
    const el = document.createElement('div');
    el.className = `toast ${tone}`;
    el.setAttribute('role', tone === 'error' ? 'alert' : 'status');
    localize(el, this.t, key, params);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.textContent = '×';
    close.setAttribute('aria-label', 'OK');
    const wrapper = document.createElement('div');
    // The whole notice goes: removing only its text left an empty box with its × for seconds.
    close.addEventListener('click', () => wrapper.remove());
    wrapper.className = 'toast-wrap';
    wrapper.append(el, close);
    this.$('toasts').append(wrapper);
    setTimeout(() => wrapper.remove(), TOAST_MS);
  }

  /**
   * The end view, after leaving ('left'), or when the server closed the lesson for us: 'ended',
   * 'replaced', 'unstable', and for good 'sessionEnded', 'removed', 'denied' (no "Join again").
   */
  /** The event's HLS instead of the room: `reason` is the server's code ('room_full',
   * 'use_hls'); the note says why, and that it runs a few seconds behind. */
  showStream(title, reason) {
    this.$('stream-title').textContent = title || '';
    localize(this.$('stream-note'), this.t, `stream.note.${reason}`);
    this.show('stream');
    return this.$('stream-video');
  }

  streamNote(key) {
    localize(this.$('stream-note'), this.t, key);
  }

  showEnd(kind, params) {
    localize(this.$('end-title'), this.t, this._ofKind(`${kind}.title`));
    localize(this.$('end-text'), this.t, this._ofKind(`${kind}.text`), params);
    localize(this.$('rejoin-button'), this.t, this._ofKind('left.rejoin'));
    this.$('end-view').dataset.kind = kind;
    this.$('rejoin-button').hidden = FINAL_ENDS.has(kind);
    this.show('end');
  }

  /** `key`'s wording for this session's kind where it has one ("the event has ended"), else
   * the lesson's. */
  _ofKind(key) {
    const own = this.sessionKind && `${key}.${this.sessionKind}`;
    return own && this.t.has(own) ? own : key;
  }

  _wire(id, eventName) {
    this.$(id).addEventListener('click', () => this._emit(eventName));
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
