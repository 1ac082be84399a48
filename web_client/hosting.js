// What a host (teacher, admin) sees beyond everyone else: the class panel (lock, mute everyone,
// raised hands, the lobby, new poll); the menu on the tiles is tilemenu.js's.
//
// Nothing here talks to the server: every action is reported as a 'request' event
// {action, args, notice?} naming a RoomState method (moderation.js); app.js sends it and shows
// errors. `notice` is an i18n key to toast once the server said ok.

import { localize } from './i18n.js';
import { icon } from './icons.js';
import { LobbyList } from './lobby.js';
import { TileMenu } from './tilemenu.js';
import { ConfirmDialog, actionButton, setCount } from './widgets.js';

export class HostPanel extends EventTarget {
  /**
   * @param {{doc: Document, translator: object, nameOf: (id: string) => string}} options
   * `nameOf` gives a participant's display name (the panels list ids the server sent).
   */
  constructor({ doc = document, translator, nameOf }) {
    super();
    this.doc = doc;
    this.t = translator;
    this.nameOf = nameOf;
    const $ = (id) => doc.getElementById(id);
    this.$ = $;
    this.locked = false;
    this.lobby = new LobbyList({ doc, translator });
    this.lobby.addEventListener('request', (ev) => this._emit(ev.detail));
    this.menu = new TileMenu({ doc, translator });
    this.menu.addEventListener('request', (ev) => this._emit(ev.detail));

    $('host-lock').addEventListener('click', () =>
      this._emit({ action: 'lockRoom', args: [!this.locked] }));
    this.recording = false;
    $('host-record').addEventListener('click', () => {
      const on = !this.recording;
      this._emit({ action: 'setRecording', args: [on], notice: on ? 'notice.recordingStarted' : 'notice.recordingSaved' });
    });
    $('host-mute-all').addEventListener('click', () => {
      const allow = $('host-mute-all-allow').checked;
      this._emit({ action: 'muteAll', args: [allow] });
    });
    $('host-lower-all').addEventListener('click', () => this._emit({ action: 'lowerAllHands', args: [] }));
    $('host-new-poll').addEventListener('click', () => this.dispatchEvent(new Event('newpoll')));
    this.confirm = new ConfirmDialog({ doc, translator });
    $('host-end').addEventListener('click', async () => {
      const ok = await this.confirm.ask({
        title: ['endAll.title'], text: ['endAll.text'], confirm: 'endAll.confirm',
      });
      if (ok) this._emit({ action: 'endForEveryone', args: [] });
    });
    const muteAll = $('host-mute-all');
    const label = document.createElement('span');
    localize(label, translator, 'host.muteAll');
    muteAll.append(icon('micOff'), label);
    this.setLocked(false);
    this.setRecording(false);
  }

  /** The record button: start, or stop and save. */
  setRecording(recording) {
    this.recording = recording;
    const button = this.$('host-record');
    button.replaceChildren(icon(recording ? 'stop' : 'record'));
    const label = document.createElement('span');
    localize(label, this.t, recording ? 'host.stopRecording' : 'host.record');
    button.append(label);
    button.setAttribute('aria-pressed', String(recording));
    button.classList.toggle('recording', recording);
    localize(this.$('host-record-state'), this.t, recording ? 'host.recordingState' : 'host.notRecordingState');
  }

  setLocked(locked) {
    this.locked = locked;
    const button = this.$('host-lock');
    button.replaceChildren(icon(locked ? 'unlock' : 'lock'));
    const label = document.createElement('span');
    localize(label, this.t, locked ? 'host.unlock' : 'host.lock');
    button.append(label);
    button.setAttribute('aria-pressed', String(locked));
    const state = this.$('host-lock-state');
    state.classList.toggle('locked', locked);
    localize(state, this.t, locked ? 'host.lockedState' : 'host.openState');
  }

  /** The queue of raised hands, in order, each with a Lower button. */
  setHands(queue) {
    const list = this.$('host-hands-list');
    list.replaceChildren(
      ...queue.map((id) => {
        const item = document.createElement('li');
        item.className = 'host-item';
        const name = document.createElement('span');
        name.className = 'host-name';
        name.textContent = this.nameOf(id);
        const lower = actionButton(this.t, 'host.lower', () =>
          this._emit({ action: 'lowerHand', args: [id] }));
        item.append(icon('hand'), name, lower);
        item.dataset.participantId = id;
        return item;
      }),
    );
    this.$('host-hands-empty').hidden = queue.length > 0;
    this.$('host-lower-all').hidden = queue.length < 2;
    setCount(this.$('host-hands-count'), queue.length);
  }

  setLobby(waiting) {
    this.lobby.set(waiting);
  }

  _emit(detail) {
    this.dispatchEvent(new CustomEvent('request', { detail }));
  }
}

/** A host's Leave: resolves 'leave', 'end' (for everyone) or 'cancel'. */
export function askHostLeaving(doc = document) {
  const dialog = doc.getElementById('leave-dialog');
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue || 'cancel'), { once: true });
  });
}
