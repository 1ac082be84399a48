// The menu on a tile: a host's on another person's camera (mute, allow unmuting, pin for
// everyone, lower the hand, remove), and everyone's on a shared screen (pin it on this page; a
// host also for everyone). Nothing here talks to the server (see hosting.js).

import { localize } from './i18n.js';
import { ConfirmDialog } from './widgets.js';

/**
 * One menu element, moved to the pressed button: a host's for a person (`open`), anyone's for a
 * shared screen (`openScreen`). Emits 'request' {action, args, notice?, params?} naming a
 * RoomState method, and 'localpin' {key} for a pin on this page only (null: none).
 */
export class TileMenu extends EventTarget {
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
    this._show(button, items[0]);
  }

  /**
   * `screen`: {id, key, name, pinned, local, host} — whose screen, its tile's key, whether a
   * host pinned it for everyone, whether it is pinned on this page, whether we are a host.
   */
  openScreen(button, screen) {
    if (!this.el.hidden && this.anchor === button) {
      this.close();
      return;
    }
    this.anchor = button;
    this.el.dataset.participantId = screen.id;
    const heading = document.createElement('div');
    heading.className = 'menu-heading';
    localize(heading, this.t, 'tile.screen', { name: screen.name });
    const here = screen.local ? null : screen.key;
    const items = [
      this._item(screen.local ? 'menu.unpinForMe' : 'menu.pinForMe', () =>
        this.dispatchEvent(new CustomEvent('localpin', { detail: { key: here } }))),
    ];
    if (screen.host) {
      items.push(this._item(screen.pinned ? 'menu.unpinForEveryone' : 'menu.pin', () =>
        this._request('pin', screen.pinned ? [null] : [screen.id, 'screen'])));
    }
    this.el.replaceChildren(heading, ...items);
    this._show(button, items[0]);
  }

  close() {
    this.el.hidden = true;
    this.anchor?.setAttribute('aria-expanded', 'false');
  }

  _show(button, first) {
    this.el.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    this._place(button);
    first.focus();
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
