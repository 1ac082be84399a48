// The page: join view with preview, the lesson view (grid, controls, chat) and the end view.
// It shows state and reports what the person asked for; app.js decides what happens.
//
// Events (CustomEvent): join, rejoin, togglemic, togglecam, togglescreen, togglechat, leave,
// chat {text}, resumeaudio.

import { ChatPanel } from './chat.js';
import { localize } from './i18n.js';
import { icon } from './icons.js';
import { ParticipantGrid } from './tiles.js';

const TOAST_MS = 6000;

export class LessonUI extends EventTarget {
  constructor(translator, doc = document) {
    super();
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
    this.chat.addEventListener('message', () => this._countUnread());
    this.unread = 0;

    this._wire('join-button', 'join');
    this._wire('rejoin-button', 'rejoin');
    this._wire('preview-mic', 'togglemic');
    this._wire('preview-cam', 'togglecam');
    this._wire('ctl-mic', 'togglemic');
    this._wire('ctl-cam', 'togglecam');
    this._wire('ctl-screen', 'togglescreen');
    this._wire('ctl-leave', 'leave');
    this._wire('sound-button', 'resumeaudio');
    $('ctl-chat').addEventListener('click', () => this.toggleChat());

    for (const button of doc.querySelectorAll('#lang-switch [data-lang]')) {
      button.addEventListener('click', () => translator.setLanguage(button.dataset.lang));
    }
    translator.addEventListener('change', () => this.translate());

    // Screen sharing needs getDisplayMedia, which phones do not have.
    this.canShareScreen = Boolean(globalThis.navigator?.mediaDevices?.getDisplayMedia);
    this.setControls({ micOn: true, camOn: true, screenOn: false, canPublish: true, hasMic: true, hasCam: true });
    this.translate();
  }

  translate() {
    this.t.apply(this.doc);
    for (const button of this.doc.querySelectorAll('#lang-switch [data-lang]')) {
      button.setAttribute('aria-pressed', String(button.dataset.lang === this.t.lang));
    }
  }

  show(view) {
    for (const name of ['join', 'lesson', 'end']) this.$(`${name}-view`).hidden = name !== view;
    this.doc.body.dataset.view = view;
  }

  // ---- join view -----------------------------------------------------------------------------

  /** What the token says about us (not verified here; the server checks it). */
  setIdentity({ name, role, room }) {
    if (name) {
      this.$('join-name').textContent = name;
      this.$('join-who').hidden = false;
      this.$('preview-avatar').textContent = name.trim().slice(0, 1).toUpperCase();
    }
    const badge = this.$('join-role');
    badge.hidden = !role;
    if (role) localize(badge, this.t, `role.${role}`);
    if (room) localize(this.$('join-heading'), this.t, 'join.headingRoom', { room });
    this.setRoomTitle(room);
  }

  setRoomTitle(room) {
    this.$('room-title').textContent = room || '';
  }

  setParticipantCount(count) {
    const el = this.$('participant-count');
    el.hidden = !count;
    if (count) localize(el, this.t, 'status.participants', { count });
  }

  setPreview(stream) {
    this.$('preview-video').srcObject = stream;
  }

  setJoinBusy(busy) {
    const button = this.$('join-button');
    button.disabled = busy;
    localize(button, this.t, busy ? 'join.joining' : 'join.button');
  }

  /** Blocks joining for good (no token in the link). */
  disableJoin(key) {
    this.$('join-button').disabled = true;
    this.showJoinError(key);
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

  /** Redraws the preview toggles and the lesson controls from one state object. */
  setControls({ micOn, camOn, screenOn, canPublish, hasMic, hasCam }) {
    this.controls = { ...this.controls, micOn, camOn, screenOn, canPublish, hasMic, hasCam };
    const c = this.controls;
    const mic = { on: c.micOn && c.hasMic, onIcon: 'mic', offIcon: 'micOff' };
    const cam = { on: c.camOn && c.hasCam, onIcon: 'camera', offIcon: 'cameraOff' };

    this._setButton('preview-mic', mic, null, mic.on ? 'controls.micMute' : 'controls.micUnmute', !c.hasMic);
    this._setButton('preview-cam', cam, null, cam.on ? 'controls.camMute' : 'controls.camUnmute', !c.hasCam);
    this._setButton('ctl-mic', mic, 'controls.mic', mic.on ? 'controls.micMute' : 'controls.micUnmute',
      !c.canPublish || !c.hasMic);
    this._setButton('ctl-cam', cam, 'controls.cam', cam.on ? 'controls.camMute' : 'controls.camUnmute',
      !c.canPublish || !c.hasCam);
    const screen = { on: !c.screenOn, onIcon: 'screen', offIcon: 'screenStop' };
    this._setButton('ctl-screen', screen, c.screenOn ? 'controls.screenStop' : 'controls.screen',
      c.screenOn ? 'controls.screenStop' : 'controls.screen', !c.canPublish);
    this.$('ctl-screen').hidden = !this.canShareScreen;
    this.$('ctl-screen').classList.toggle('active', Boolean(c.screenOn));
    this.$('ctl-screen').classList.remove('off');
    this._setButton('ctl-chat', { on: true, onIcon: 'chat' }, 'controls.chat', 'controls.chat', false);
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

  toggleChat(open) {
    const show = open ?? this.doc.body.classList.contains('chat-closed');
    this.doc.body.classList.toggle('chat-closed', !show);
    this.$('ctl-chat').classList.toggle('active', show);
    if (show) this._setUnread(0);
  }

  _countUnread() {
    const hidden = this.doc.body.classList.contains('chat-closed');
    if (hidden) this._setUnread(this.unread + 1);
  }

  _setUnread(count) {
    this.unread = count;
    const button = this.$('ctl-chat');
    if (count) button.dataset.unread = count > 9 ? '9+' : String(count);
    else delete button.dataset.unread;
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

  /** Shows an error (or notice) for a few seconds. `key` is an i18n key. */
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
    close.addEventListener('click', () => el.remove());
    const wrapper = document.createElement('div');
    wrapper.className = 'toast-wrap';
    wrapper.append(el, close);
    this.$('toasts').append(wrapper);
    setTimeout(() => wrapper.remove(), TOAST_MS);
  }

  /** The end view, after leaving ('left') or when the server ended the lesson ('ended'). */
  showEnd(kind) {
    localize(this.$('end-title'), this.t, `${kind}.title`);
    localize(this.$('end-text'), this.t, `${kind}.text`);
    this.show('end');
  }

  _wire(id, eventName) {
    this.$(id).addEventListener('click', () => this._emit(eventName));
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
