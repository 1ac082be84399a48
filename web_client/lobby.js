// The host's list of people waiting in the lobby (parents at a parent meeting): Admit, Deny,
// Admit all. Reports 'request' events {action, args, notice, params}, like hosting.js.

import { localize } from './i18n.js';
import { actionButton, setCount } from './widgets.js';

export class LobbyList extends EventTarget {
  constructor({ doc = document, translator }) {
    super();
    this.t = translator;
    this.list = doc.getElementById('host-lobby-list');
    this.empty = doc.getElementById('host-lobby-empty');
    this.count = doc.getElementById('host-lobby-count');
    this.admitAll = doc.getElementById('host-admit-all');
    this.admitAll.addEventListener('click', () => this._request('admitAll', []));
  }

  /** `waiting`: [{id, name, since}] from `lobby_changed`, oldest first. */
  set(waiting) {
    this.list.replaceChildren(...waiting.map((person) => this._row(person)));
    this.empty.hidden = waiting.length > 0;
    this.admitAll.hidden = waiting.length < 2;
    setCount(this.count, waiting.length);
  }

  _row({ id, name, since }) {
    const item = document.createElement('li');
    item.className = 'host-item';
    item.dataset.participantId = id;
    const who = document.createElement('span');
    who.className = 'host-name';
    who.textContent = name;
    const time = document.createElement('time');
    time.className = 'host-since';
    const date = typeof since === 'number' ? new Date(since * 1000) : new Date();
    time.dateTime = date.toISOString();
    const clock = date.toLocaleTimeString(this.t.lang, { hour: '2-digit', minute: '2-digit' });
    localize(time, this.t, 'lobby.since', { time: clock });
    const admit = actionButton(this.t, 'lobby.admit', () =>
      this._request('admit', [id], 'notice.admitted', { name }), 'primary compact');
    const deny = actionButton(this.t, 'lobby.deny', () =>
      this._request('deny', [id], 'notice.denied', { name }), 'soft compact');
    const text = document.createElement('span');
    text.className = 'host-who';
    text.append(who, time);
    item.append(text, admit, deny);
    return item;
  }

  _request(action, args, notice = null, params = undefined) {
    this.dispatchEvent(new CustomEvent('request', { detail: { action, args, notice, params } }));
  }
}
