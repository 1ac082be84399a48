// Quick polls: a card over the video for each poll (answer it; hosts watch the results and close
// it), and the host's "New poll" dialog. Reports 'request' events {action, args, notice, after}
// naming RoomState methods (moderation.js); app.js sends them and calls `after(ok)`.

import { localize } from './i18n.js';
import { icon } from './icons.js';

const MAX_OPTIONS = 10; // docs/protocol.md: 2–10 options
const MIN_OPTIONS = 2;

export class PollCards extends EventTarget {
  constructor({ container, translator }) {
    super();
    this.container = container;
    this.t = translator;
    /** pollId → {el, parts, poll, isHost} */
    this.cards = new Map();
  }

  /** Draws `poll` (a RoomState poll: with counts, voters, mine, closed) as a new or updated card. */
  show(poll, isHost) {
    let card = this.cards.get(poll.id);
    if (!card) {
      if (poll.closed && !isHost && !poll.showResults) return; // nothing left to see or do
      card = this._build(poll, isHost);
      this.cards.set(poll.id, card);
      this.container.prepend(card.el); // the newest on top
    }
    card.poll = poll;
    this._update(card);
  }

  clear() {
    this.container.replaceChildren();
    this.cards.clear();
  }

  _build(poll, isHost) {
    const el = document.createElement('article');
    el.className = 'poll-card';
    el.dataset.pollId = poll.id;
    el.classList.toggle('host', isHost);

    const head = document.createElement('header');
    head.className = 'poll-head';
    const kicker = document.createElement('span');
    kicker.className = 'poll-kicker';
    const kickerText = document.createElement('span');
    kicker.append(icon('poll'), kickerText);
    const toggle = smallButton('poll-toggle', '–');
    toggle.addEventListener('click', () => {
      el.classList.toggle('minimised');
      this._update(card);
    });
    const dismiss = smallButton('poll-dismiss', '×');
    dismiss.dataset.i18nTitle = 'poll.dismiss';
    dismiss.addEventListener('click', () => {
      el.remove();
      this.cards.delete(poll.id);
    });
    head.append(kicker, toggle, dismiss);

    const question = document.createElement('h3');
    question.className = 'poll-question';
    question.textContent = poll.question; // people's text: never HTML
    const hint = document.createElement('p');
    hint.className = 'poll-hint';

    const form = document.createElement('form');
    form.className = 'poll-form';
    const list = document.createElement('ul');
    list.className = 'poll-options';
    const rows = poll.options.map((text, index) => {
      const item = document.createElement('li');
      item.className = 'poll-option';
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = poll.multiple ? 'checkbox' : 'radio';
      input.name = `poll-${poll.id}`;
      input.value = String(index);
      input.hidden = isHost; // hosts run the poll; they do not answer it
      const optionText = document.createElement('span');
      optionText.className = 'poll-text';
      optionText.textContent = text;
      const count = document.createElement('span');
      count.className = 'poll-count';
      label.append(input, optionText, count);
      const bar = document.createElement('span');
      bar.className = 'poll-bar';
      bar.append(document.createElement('span'));
      item.append(label, bar);
      list.append(item);
      return { item, input, count, bar };
    });
    const status = document.createElement('p');
    status.className = 'poll-status';
    const actions = document.createElement('div');
    actions.className = 'poll-actions';
    const voters = document.createElement('span');
    voters.className = 'poll-voters';
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = isHost ? 'soft' : 'primary';
    actions.append(voters, submit);
    form.append(list, status, actions);
    el.append(head, question, hint, form);

    const card = { el, poll, isHost, parts: { kickerText, toggle, dismiss, hint, rows, status, voters, submit } };
    form.addEventListener('change', () => this._update(card));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = card.poll.id;
      if (isHost) {
        this._request('closePoll', [id]);
      } else {
        const choices = rows.filter((r) => r.input.checked).map((r) => Number(r.input.value));
        if (choices.length) this._request('answerPoll', [id, choices], 'notice.answered');
      }
    });
    return card;
  }

  _update(card) {
    const { el, poll, isHost, parts } = card;
    const { kickerText, toggle, dismiss, hint, rows, status, voters, submit } = parts;
    const minimised = el.classList.contains('minimised');
    el.classList.toggle('closed', poll.closed);
    localize(kickerText, this.t, poll.closed ? 'poll.kickerClosed' : 'poll.kicker');
    toggle.textContent = minimised ? '+' : '–';
    toggle.dataset.i18nTitle = minimised ? 'poll.expand' : 'poll.minimise';
    toggle.setAttribute('aria-expanded', String(!minimised));
    dismiss.hidden = !poll.closed;
    this.t.apply(el.querySelector('.poll-head'));

    localize(hint, this.t, isHost ? 'poll.hintHost' : poll.multiple ? 'poll.hintMultiple' : 'poll.hintSingle');
    hint.hidden = poll.closed;

    // Results: hosts always; everyone else when the host chose to show them.
    const results = isHost || (poll.showResults && Array.isArray(poll.counts));
    el.classList.toggle('with-results', results);
    const counts = Array.isArray(poll.counts) ? poll.counts : poll.options.map(() => 0);
    const total = poll.voters || 0;
    rows.forEach((row, index) => {
      const n = counts[index] ?? 0;
      const share = total ? Math.round((n / total) * 100) : 0;
      row.count.textContent = results ? `${n} · ${share}%` : '';
      row.bar.hidden = !results;
      row.bar.firstChild.style.width = `${share}%`;
      row.item.dataset.count = String(n);
      // Our own answer, once per answer: live results must not undo a choice being changed.
      if (poll.mine && poll.mine !== card.shownMine) row.input.checked = poll.mine.includes(index);
      row.input.disabled = poll.closed;
    });
    card.shownMine = poll.mine;
    voters.hidden = !results;
    localize(voters, this.t, 'poll.voters', { count: total });

    const picked = rows.filter((r) => r.input.checked).map((r) => Number(r.input.value));
    const same = poll.mine && picked.length === poll.mine.length && picked.every((c) => poll.mine.includes(c));
    if (isHost) {
      localize(submit, this.t, 'poll.close');
      submit.hidden = poll.closed;
    } else {
      localize(submit, this.t, poll.mine ? 'poll.change' : 'poll.submit');
      submit.hidden = poll.closed;
      submit.disabled = !picked.length || same;
    }
    const statusKey = poll.closed
      ? results ? 'poll.closedResults' : 'poll.closedThanks'
      : !isHost && poll.mine ? 'poll.sent' : null;
    status.hidden = !statusKey;
    if (statusKey) localize(status, this.t, statusKey);
  }

  _request(action, args, notice = null) {
    this.dispatchEvent(new CustomEvent('request', { detail: { action, args, notice } }));
  }
}

/** The host's form for a new poll: a question, 2–10 answers, two choices. */
export class PollDialog extends EventTarget {
  constructor({ doc = document, translator }) {
    super();
    this.t = translator;
    const $ = (id) => doc.getElementById(id);
    this.dialog = $('poll-dialog');
    this.form = $('poll-form');
    this.question = $('poll-question');
    this.options = $('poll-options');
    this.addButton = $('poll-add-option');
    this.multiple = $('poll-multiple');
    this.showResults = $('poll-show-results');
    this.error = $('poll-error');
    this.startButton = $('poll-start');
    this.addButton.addEventListener('click', () => this._addOption('', true));
    $('poll-cancel').addEventListener('click', () => this.dialog.close());
    this.form.addEventListener('input', () => this._showError(null)); // the fix is under way
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this._submit();
    });
  }

  open() {
    this.form.reset();
    this.options.replaceChildren();
    for (let i = 0; i < MIN_OPTIONS; i++) this._addOption('');
    this._showError(null);
    this.startButton.disabled = false;
    this.dialog.showModal();
    this.question.focus();
  }

  _addOption(value, focus = false) {
    if (this.options.children.length >= MAX_OPTIONS) return;
    const item = document.createElement('li');
    const input = document.createElement('input');
    input.type = 'text';
    input.maxLength = 100;
    input.value = value;
    input.className = 'poll-option-input';
    input.autocomplete = 'off';
    const remove = smallButton('poll-remove-option', '×');
    remove.dataset.i18nTitle = 'poll.removeOption';
    remove.addEventListener('click', () => {
      item.remove();
      this._renumber();
    });
    item.append(input, remove);
    this.options.append(item);
    this._renumber();
    if (focus) input.focus();
  }

  /** Placeholders "Answer 1…"; remove buttons only above the minimum; add only below the maximum. */
  _renumber() {
    const items = [...this.options.children];
    items.forEach((item, i) => {
      const input = item.querySelector('input');
      input.dataset.i18nPlaceholder = 'poll.optionPlaceholder';
      input.dataset.i18nArgs = JSON.stringify({ n: i + 1 });
      item.querySelector('button').hidden = items.length <= MIN_OPTIONS;
    });
    this.addButton.hidden = items.length >= MAX_OPTIONS;
    this.t.apply(this.options);
  }

  _submit() {
    const question = this.question.value.trim();
    const options = [...this.options.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
    if (!question) return this._showError('poll.needQuestion');
    if (options.length < MIN_OPTIONS) return this._showError('poll.needOptions');
    if (new Set(options).size !== options.length) return this._showError('poll.sameOptions');
    this._showError(null);
    this.startButton.disabled = true;
    const poll = { question, options, multiple: this.multiple.checked, showResults: this.showResults.checked };
    const after = (ok) => {
      this.startButton.disabled = false;
      if (ok) this.dialog.close();
    };
    this.dispatchEvent(new CustomEvent('request', {
      detail: { action: 'createPoll', args: [poll], notice: null, after },
    }));
  }

  _showError(key) {
    this.error.hidden = !key;
    if (key) localize(this.error, this.t, key);
  }
}

function smallButton(className, text) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  button.textContent = text;
  return button;
}
