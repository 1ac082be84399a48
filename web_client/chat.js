// The chat panel: the message list and the form that sends one.

import { localize } from './i18n.js';

const MAX_LENGTH = 2000; // docs/protocol.md: 1–2000 characters

export class ChatPanel extends EventTarget {
  /**
   * Emits 'send' {text} when the person submits a message, and 'message' {unread} when one is
   * shown: `unread` for a live message from someone else (what the chat button counts).
   */
  constructor({ list, empty, form, input, translator }) {
    super();
    this.list = list;
    this.empty = empty;
    this.input = input;
    this.translator = translator;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = input.value.trim().slice(0, MAX_LENGTH);
      if (!text) return;
      this.dispatchEvent(new CustomEvent('send', { detail: { text } }));
    });
  }

  /** Clears the input once the server accepted the message (kept on failure, to retry). */
  sent() {
    this.input.value = '';
  }

  /**
   * Shows a message: {from: {id, name}, text, ts} — `own` when we wrote it; `replayed` when the
   * server sent it again on (re)joining, which is history, not news to count as unread.
   */
  add({ from, text, ts, group }, own, { replayed = false } = {}) {
    const item = document.createElement('li');
    item.className = own ? 'chat-message own' : 'chat-message';
    const meta = document.createElement('div');
    meta.className = 'chat-meta';
    const who = document.createElement('span');
    who.className = 'chat-from';
    who.textContent = from?.name || '?';
    const time = document.createElement('time');
    const date = typeof ts === 'number' ? new Date(ts * 1000) : new Date();
    time.dateTime = date.toISOString();
    time.textContent = date.toLocaleTimeString(this.translator.lang, { hour: '2-digit', minute: '2-digit' });
    meta.append(who, time);
    // Said while breakout groups ran (docs/protocol.md): in which group, or the main room.
    if (group !== undefined) {
      const tag = document.createElement('span');
      tag.className = 'chat-group';
      if (group === null) localize(tag, this.translator, 'breakout.main');
      else localize(tag, this.translator, 'breakout.group', { n: group });
      who.after(tag);
    }
    const body = document.createElement('div');
    body.className = 'chat-text';
    body.textContent = text; // never HTML: anyone in the room can write here
    item.append(meta, body);
    this._append(item, !own && !replayed);
  }

  /** A quiet line such as "Anna joined", translated now and after a language switch. */
  system(key, params) {
    const item = document.createElement('li');
    item.className = 'chat-system';
    localize(item, this.translator, key, params);
    this._append(item, false);
  }

  clear() {
    this.list.replaceChildren();
    this.empty.hidden = false;
  }

  _append(item, unread) {
    // Follow new messages only if the reader was already at the bottom.
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(item);
    this.empty.hidden = true;
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    this.dispatchEvent(new CustomEvent('message', { detail: { unread } }));
  }
}
