// What a host (teacher, admin) sees beyond everyone else: the class panel (lock, mute everyone,
// raised hands, the lobby, new poll) and a menu on each other person's tile.
//
// Nothing here talks to the server: every action is reported as a 'request' event
// {action, args, notice?} naming a RoomState method (moderation.js); app.js sends it and shows
// errors. `notice` is an i18n key to toast once the server said ok.

import { localize } from './i18n.js';
import { icon } from './icons.js';
import { LobbyList } from './lobby.js';
import { actionButton, setCount } from './widgets.js';

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

/**
 * The host's menu for one person: mute (with or without leave to unmute), allow unmuting, pin,
 * lower the hand, remove (after a confirmation). One menu element, moved to the pressed button.
 */
class TileMenu extends EventTarget {
  constructor({ doc, translator }) {
    super();
    this.doc = doc;
    this.t = translator;
    this.el = doc.getElementById('tile-menu');
    this.confirm = new ConfirmDialog({ doc, translator });
    this.anchor = null;
    // Any click elsewhere, Escape, scrolling or resizing closes it: it must not float stale.
    doc.addEventListener('click', (ev) => {
      if (!this.el.hidden && !this.el.contains(ev.target) && !this.anchor?.contains(ev.target)) this.close();
    });
    doc.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.el.hidden) {
        this.close();
        this.anchor?.focus();
      }
    });
    globalThis.addEventListener?.('resize', () => this.close());
  }

  /** `person`: {id, name, pinned, hand} — what the menu offers depends on it. */
  open(button, person) {
    if (!this.el.hidden && this.anchor === button) {
      this.close();
      return;
    }
    this.anchor = button;
    this.el.dataset.participantId = person.id;
    const heading = document.createElement('div');
    heading.className = 'menu-heading';
    heading.textContent = person.name;
    const items = [
      this._item('menu.mute', () => this._request('muteParticipant', [person.id, true], 'notice.mutedOne', person)),
      this._item('menu.muteLocked', () =>
        this._request('muteParticipant', [person.id, false], 'notice.mutedOneLocked', person)),
      this._item('menu.allowUnmute', () => this._request('allowUnmute', [person.id], 'notice.allowed', person)),
      this._item(person.pinned ? 'menu.unpin' : 'menu.pin', () =>
        this._request('pin', [person.pinned ? null : person.id])),
    ];
    if (person.hand) items.push(this._item('menu.lowerHand', () => this._request('lowerHand', [person.id])));
    const remove = this._item('menu.remove', () => this._confirmRemove(person));
    remove.classList.add('danger');
    const separator = document.createElement('hr');
    this.el.replaceChildren(heading, ...items, separator, remove);
    this.el.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    this._place(button);
    items[0].focus();
  }

  close() {
    this.el.hidden = true;
    this.anchor?.setAttribute('aria-expanded', 'false');
  }

  _place(button) {
    // Fixed position beside the button, kept inside the window (a phone is 375 px wide).
    const box = button.getBoundingClientRect();
    const width = this.el.offsetWidth;
    const height = this.el.offsetHeight;
    const left = Math.max(8, Math.min(box.right - width, innerWidth - width - 8));
    const below = box.bottom + 4;
    const top = below + height > innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
    this.el.style.left = `${left}px`;
    this.el.style.top = `${top}px`;
  }

  _item(key, onClick) {
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'menu-item';
    item.setAttribute('role', 'menuitem');
    localize(item, this.t, key);
    item.addEventListener('click', () => {
      this.close();
      onClick();
    });
    return item;
  }

  async _confirmRemove(person) {
    const ok = await this.confirm.ask({
      title: ['remove.title', { name: person.name }],
      text: ['remove.text', { name: person.name }],
      confirm: 'remove.confirm',
    });
    if (ok) this._request('removeParticipant', [person.id], 'notice.removed', person);
  }

  _request(action, args, notice = null, person = null) {
    const detail = { action, args, notice, params: person ? { name: person.name } : undefined };
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

/** A modal yes/no question; resolves true when the person confirmed. */
class ConfirmDialog {
  constructor({ doc, translator }) {
    this.t = translator;
    this.dialog = doc.getElementById('confirm-dialog');
    this.title = doc.getElementById('confirm-title');
    this.text = doc.getElementById('confirm-text');
    this.ok = doc.getElementById('confirm-ok');
  }

  ask({ title, text, confirm }) {
    localize(this.title, this.t, ...title);
    localize(this.text, this.t, ...text);
    localize(this.ok, this.t, confirm);
    this.dialog.returnValue = '';
    this.dialog.showModal();
    return new Promise((resolve) => {
      this.dialog.addEventListener('close', () => resolve(this.dialog.returnValue === 'ok'), { once: true });
    });
  }
}
