// Breakout groups (issue 18): the host's "Groups" section of the class panel (set up: how
// many, at random / by hand / pupils choose, how long; while they run: each group with its
// members, a countdown, Visit / Back, Speak to all, +5 min, End), and everyone's banner over
// the stage (their group, the time left; in choose mode, a button per group). The groups are
// parts of the one room (docs/protocol.md "Breakout groups"): the server decides whose media
// this page receives; here the grid hides the tiles of people outside our group, and the chat
// tags a group's messages.

import { localize } from './i18n.js';

const MINUTE = 60;
const EXTEND_SECONDS = 5 * MINUTE;
const DEFAULT_MINUTES = 10;
const MAX_GROUPS = 20; // docs/protocol.md
const WARN_MS = 60_000;

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "4:05" from milliseconds (never below 0:00). */
export function clock(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Whose scope (a group's index, or null: the main room) an identity is in. */
export function scopeOf(state, identity, host) {
  if (!state) return null;
  if (host) return state.visits?.[identity] ? state.visits[identity] - 1 : null;
  const index = state.groups.findIndex((g) => g.members.includes(identity));
  return index < 0 ? null : index;
}

export class Breakouts {
  /**
   * @param {object} options
   * @param {import('./i18n.js').Translator} options.translator
   * @param {(key: string, params?: object, tone?: string) => void} options.toast
   * @param {(error: Error) => void} options.showError
   * @param {{setScope(ids: Set<string>|null): void}} options.grid
   * @param {{system(key: string, params?: object): void}} options.chat
   */
  constructor({ translator, toast, showError, grid, chat }) {
    this.t = translator;
    this.toast = toast;
    this.showError = showError;
    this.grid = grid;
    this.chat = chat;
    this.client = null;
    this.state = null; // the server's `breakout` (null: everyone in the main lesson)
    this.mode = 'random';
    this.count = 2;
    this.minutes = DEFAULT_MINUTES;
    this.plan = new Map(); // by hand: identity → group index (-1: stays in the main room)
    this.ticker = null;
    this.warned = null; // the end time last warned of
    this.startedAt = 0; // when this page learnt of the groups (no warning for a 1-minute breakout)
    this.banner = $('breakout-banner');
    this.section = $('host-breakout');
    translator.addEventListener?.('change', () => this._draw());
  }

  attach(client, joined) {
    this.client = client;
    this.state = joined.breakout ?? null;
    this.startedAt = Date.now();
    client.addEventListener('roomevent', (ev) => {
      const message = ev.detail.message;
      if (message.type === 'breakout' && client === this.client) this._changed(message);
    });
    // Someone came or went: the host's lists and our grid's scope follow.
    for (const type of ['participantjoined', 'participantleft', 'participantupdated']) {
      client.addEventListener(type, () => {
        if (client === this.client) this._draw();
      });
    }
    this._draw();
  }

  reset() {
    this.client = null;
    this.state = null;
    this._draw();
  }

  get isHost() {
    return Boolean(this.client?.grants?.moderate);
  }

  get identity() {
    return this.client?.self?.identity ?? null;
  }

  /** The people in the room who are not hosts (whom groups are made of). */
  pupils() {
    if (!this.client) return [];
    return [...this.client.participants.values()].filter((p) => !p.host);
  }

  _changed(message) {
    const was = this.state;
    this.state = message.breakout;
    if (!was) this.startedAt = Date.now();
    if (was && !this.state) {
      this.toast('breakout.over', null, 'info');
      this.chat.system('breakout.over');
    } else if (!was && this.state && !this.isHost) {
      this.toast('breakout.begun', null, 'info');
    }
    this._draw();
  }

  // ---- requests -----------------------------------------------------------------------------

  async _request(type, body) {
    try {
      return await this.client.request(type, body);
    } catch (err) {
      this.showError(err);
      return null;
    }
  }

  start() {
    const count = this.count;
    const seconds = Math.round(this.minutes * MINUTE);
    if (this.mode === 'hand') {
      const groups = Array.from({ length: count }, () => []);
      for (const pupil of this.pupils()) {
        const index = this.plan.get(pupil.identity) ?? -1;
        if (index >= 0 && index < count) groups[index].push(pupil.identity);
      }
      return this._request('breakout_start', { groups, seconds });
    }
    return this._request('breakout_start', { count, mode: this.mode, seconds });
  }

  // ---- drawing ------------------------------------------------------------------------------

  _draw() {
    clearInterval(this.ticker);
    this.ticker = null;
    this._scope();
    this._banner();
    if (this.section) {
      this.section.hidden = !this.isHost;
      if (this.isHost) this._panel();
    }
    if (this.state) this.ticker = setInterval(() => this._tick(), 1000);
  }

  _tick() {
    const ms = this.state ? this.state.endsAt - Date.now() : 0;
    // A minute before the end, once per end time (more time given warns again).
    if (this.state && ms <= WARN_MS && ms > 0 && this.warned !== this.state.endsAt) {
      this.warned = this.state.endsAt;
      if (this.state.endsAt - this.startedAt > WARN_MS) this.toast('breakout.oneMinute', null, 'info');
    }
    const left = clock(ms);
    for (const node of document.querySelectorAll('.breakout-time')) {
      localize(node, this.t, 'breakout.left', { time: left });
    }
  }

  /** Our grid shows the people we share a scope with, and hosts speaking to all. */
  _scope() {
    const { state, client } = this;
    if (!state || !client) {
      this.grid.setScope(null);
      return;
    }
    const mine = scopeOf(state, this.identity, this.isHost);
    const shown = new Set();
    for (const [id, person] of client.participants) {
      const speaking = person.host && state.speaking.includes(person.identity);
      if (speaking || scopeOf(state, person.identity, person.host) === mine) shown.add(id);
    }
    this.grid.setScope(shown);
  }

  _groupName(index) {
    return this.t.t('breakout.group', { n: index + 1 });
  }

  _banner() {
    const { banner, state } = this;
    if (!banner) return;
    banner.hidden = !state;
    banner.replaceChildren();
    if (!state) return;
    const mine = scopeOf(state, this.identity, this.isHost);
    const title = el('strong', 'breakout-title');
    if (mine !== null) {
      localize(title, this.t, this.isHost ? 'breakout.visiting' : 'breakout.inGroup', { n: mine + 1 });
    } else {
      localize(title, this.t, this.isHost ? 'breakout.hostMain' : 'breakout.pupilMain');
    }
    banner.dataset.group = mine === null ? '' : String(mine + 1);
    const time = el('span', 'breakout-time');
    banner.append(title, time);
    const speakers = state.speaking.filter((identity) => identity !== this.identity);
    if (speakers.length) banner.append(localize(el('span', 'breakout-speaking'), this.t, 'breakout.teacherSpeaks'));
    if (!this.isHost && state.choosing) {
      const choices = el('span', 'breakout-choices');
      choices.append(localize(el('span', 'breakout-choose-label'), this.t, 'breakout.choose'));
      state.groups.forEach((_, index) => {
        const button = el('button', index === mine ? 'primary small' : 'soft small', this._groupName(index));
        button.type = 'button';
        button.dataset.group = String(index + 1);
        button.setAttribute('aria-pressed', String(index === mine));
        button.addEventListener('click', () => this._request('breakout_choose', { group: index + 1 }));
        choices.append(button);
      });
      banner.append(choices);
    }
    if (this.isHost && mine !== null) {
      const back = el('button', 'soft small', this.t.t('breakout.back'));
      back.type = 'button';
      back.id = 'breakout-banner-back';
      back.addEventListener('click', () => this._request('breakout_visit', { group: null }));
      banner.append(back);
    }
    this._tick();
  }

  _panel() {
    const body = $('host-breakout-body');
    body.replaceChildren();
    if (this.state) this._running(body);
    else this._setup(body);
  }

  _setup(body) {
    const pupils = this.pupils();
    const count = this.count;
    const numbers = el('div', 'breakout-numbers');
    const groups = field('breakout-count', this.t.t('breakout.count'), count, 2, MAX_GROUPS);
    const minutes = field('breakout-minutes', this.t.t('breakout.minutes'), this.minutes, 1, 120);
    numbers.append(groups.wrap, minutes.wrap);
    groups.input.addEventListener('change', () => {
      this.count = Math.min(MAX_GROUPS, Math.max(2, Math.round(Number(groups.input.value)) || 2));
      this._panel();
    });
    minutes.input.addEventListener('input', () => {
      const value = Number(minutes.input.value);
      this.minutes = value > 0 ? Math.min(120, value) : DEFAULT_MINUTES;
    });
    const modes = el('div', 'breakout-modes');
    modes.setAttribute('role', 'radiogroup');
    for (const mode of ['random', 'hand', 'choose']) {
      const label = el('label', 'breakout-mode');
      const input = el('input');
      input.type = 'radio';
      input.name = 'breakout-mode';
      input.value = mode;
      input.id = `breakout-mode-${mode}`;
      input.checked = this.mode === mode;
      input.addEventListener('change', () => {
        this.mode = mode;
        this._panel();
      });
      label.append(input, el('span', '', this.t.t(`breakout.mode.${mode}`)));
      modes.append(label);
    }
    body.append(numbers, modes);
    if (this.mode === 'hand') body.append(this._plan(pupils, count));
    const start = el('button', 'primary', this.t.t('breakout.start'));
    start.type = 'button';
    start.id = 'breakout-start';
    start.disabled = pupils.length < 2;
    start.addEventListener('click', () => this.start());
    body.append(start);
    if (pupils.length < 2) body.append(el('p', 'host-empty', this.t.t('breakout.fewPupils')));
  }

  /** By hand: a select per pupil; pupils not placed yet are dealt round the groups. */
  _plan(pupils, count) {
    const list = el('ul', 'host-list breakout-plan');
    pupils.forEach((pupil, n) => {
      if (!this.plan.has(pupil.identity) || this.plan.get(pupil.identity) >= count) {
        this.plan.set(pupil.identity, n % count);
      }
      const select = this._groupSelect(count, this.plan.get(pupil.identity), (index) => {
        this.plan.set(pupil.identity, index);
      });
      select.dataset.identity = pupil.identity;
      list.append(this._row(pupil.name, select));
    });
    return list;
  }

  _groupSelect(count, selected, onChange) {
    const select = el('select', 'breakout-select');
    select.setAttribute('aria-label', this.t.t('breakout.moveTo'));
    const main = el('option', '', this.t.t('breakout.main'));
    main.value = '-1';
    select.append(main);
    for (let index = 0; index < count; index++) {
      const option = el('option', '', this._groupName(index));
      option.value = String(index);
      select.append(option);
    }
    select.value = String(selected ?? -1);
    select.addEventListener('change', () => onChange(Number(select.value)));
    return select;
  }

  _row(name, control) {
    const item = el('li', 'host-item breakout-person');
    item.append(el('span', 'host-name', name), control);
    return item;
  }

  _running(body) {
    const { state } = this;
    const mine = scopeOf(state, this.identity, true);
    const speaking = state.speaking.includes(this.identity);
    const bar = el('div', 'breakout-bar');
    const time = el('span', 'breakout-time');
    const speak = el('button', speaking ? 'primary small' : 'soft small', this.t.t(speaking ? 'breakout.speaking' : 'breakout.speak'));
    speak.type = 'button';
    speak.id = 'breakout-speak';
    speak.setAttribute('aria-pressed', String(speaking));
    speak.addEventListener('click', () => this._request('breakout_speak', { on: !speaking }));
    const extend = el('button', 'soft small', this.t.t('breakout.extend'));
    extend.type = 'button';
    extend.id = 'breakout-extend';
    extend.addEventListener('click', () => this._request('breakout_extend', { seconds: EXTEND_SECONDS }));
    const end = el('button', 'danger-solid small', this.t.t('breakout.end'));
    end.type = 'button';
    end.id = 'breakout-end';
    end.addEventListener('click', () => this._request('breakout_end', {}));
    bar.append(time, speak, extend, end);
    body.append(bar);

    const byIdentity = new Map(this.pupils().map((p) => [p.identity, p]));
    const count = state.groups.length;
    const move = (identity) => (index) =>
      this._request('breakout_move', { identity, group: index < 0 ? null : index + 1 });
    state.groups.forEach((group, index) => {
      const card = el('section', 'breakout-group');
      card.dataset.group = String(index + 1);
      card.classList.toggle('visited', mine === index);
      const head = el('header', 'breakout-group-head');
      const present = group.members.filter((identity) => byIdentity.has(identity));
      const heading = el('h4', '', this._groupName(index));
      heading.append(el('span', 'breakout-size', String(present.length)));
      head.append(heading);
      const visit = el('button', mine === index ? 'primary small' : 'soft small', this.t.t(mine === index ? 'breakout.backShort' : 'breakout.visit'));
      visit.type = 'button';
      visit.className += ' breakout-visit';
      visit.addEventListener('click', () => this._request('breakout_visit', { group: mine === index ? null : index + 1 }));
      head.append(visit);
      card.append(head);
      const list = el('ul', 'host-list');
      for (const identity of present) {
        const select = this._groupSelect(count, index, move(identity));
        select.dataset.identity = identity;
        list.append(this._row(byIdentity.get(identity).name, select));
      }
      if (!present.length) list.append(el('li', 'host-empty', this.t.t('breakout.nobody')));
      card.append(list);
      body.append(card);
    });
    const outside = [...byIdentity.values()].filter((p) => scopeOf(state, p.identity, false) === null);
    if (outside.length) {
      const card = el('section', 'breakout-group main');
      card.append(el('h4', '', this.t.t('breakout.unassigned')));
      const list = el('ul', 'host-list');
      for (const pupil of outside) {
        const select = this._groupSelect(count, -1, move(pupil.identity));
        select.dataset.identity = pupil.identity;
        list.append(this._row(pupil.name, select));
      }
      card.append(list);
      body.append(card);
    }
  }
}

function field(id, label, value, min, max) {
  const wrap = el('label', 'breakout-field');
  const input = el('input');
  input.type = 'number';
  input.id = id;
  input.min = String(min);
  input.max = String(max);
  input.value = String(value);
  input.inputMode = 'numeric';
  wrap.append(el('span', '', label), input);
  return { wrap, input };
}
