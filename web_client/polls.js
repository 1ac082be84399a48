// Quick polls: a card over the video for each poll (answer it; hosts watch the results, who
// chose what, and close it; a quick quiz marks its right answer, to each pupil once closed), and
// the host's "New poll" dialog. Reports 'request' events {action, args, notice, after}
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
    /** Who is in the room now besides us ({identity, name, host}), for "not answered yet". */
    this.present = () => [];
  }

  /** Someone came or went: the hosts' "not answered yet" lines again. */
  refresh() {
    for (const card of this.cards.values()) this._update(card);
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
      const mark = document.createElement('span');
      mark.className = 'poll-mark';
      mark.setAttribute('aria-hidden', 'true');
      label.append(input, optionText, count, mark);
      const bar = document.createElement('span');
      bar.className = 'poll-bar';
      bar.append(document.createElement('span'));
      item.append(label, bar);
      list.append(item);
      return { item, input, count, bar, mark };
    });
    const status = document.createElement('p');
    status.className = 'poll-status';
    // A quiz: how many were right (hosts), and who chose what (hosts, live and after).
    const score = document.createElement('p');
    score.className = 'poll-score';
    const people = document.createElement('ul');
    people.className = 'poll-people';
    const waiting = document.createElement('p'); // hosts: who is here and has not answered
    waiting.className = 'poll-waiting';
    const actions = document.createElement('div');
    actions.className = 'poll-actions';
    const voters = document.createElement('span');
    voters.className = 'poll-voters';
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = isHost ? 'soft' : 'primary';
    actions.append(voters, submit);
    form.append(list, score, people, waiting, status, actions);
    el.append(head, question, hint, form);

    const card = {
      el, poll, isHost, parts: { kickerText, toggle, dismiss, hint, rows, status, voters, submit, score, people, waiting },
    };
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
    const { kickerText, toggle, dismiss, hint, rows, status, voters, submit, score, people } = parts;
    const minimised = el.classList.contains('minimised');
    // A quiz's right option: hosts know it all along, everyone else once the poll closes.
    const quiz = Boolean(poll.quiz) || Number.isInteger(poll.correct);
    const known = Number.isInteger(poll.correct);
    el.classList.toggle('closed', poll.closed);
    el.classList.toggle('quiz', quiz);
    const kicker = quiz ? 'poll.kickerQuiz' : 'poll.kicker';
    localize(kickerText, this.t, poll.closed ? `${kicker}Closed` : kicker);
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
      const right = known && index === poll.correct;
      const wrong = known && !isHost && poll.closed && !right && Boolean(poll.mine?.includes(index));
      row.item.classList.toggle('correct', right);
      row.item.classList.toggle('wrong', wrong);
      row.mark.textContent = right ? '✓' : wrong ? '✗' : '';
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
    let statusKey = poll.closed
      ? results ? 'poll.closedResults' : 'poll.closedThanks'
      : !isHost && poll.mine ? 'poll.sent' : null;
    const answerText = known ? poll.options[poll.correct] : '';
    if (known && poll.closed && !isHost) {
      // The pupil's verdict: right, not right (and what was), or what was right.
      const mine = poll.mine || [];
      statusKey = !mine.length ? 'poll.rightAnswer' : mine.length === 1 && mine[0] === poll.correct ? 'poll.youRight' : 'poll.youWrong';
    }
    status.hidden = !statusKey;
    status.classList.toggle('verdict-right', statusKey === 'poll.youRight');
    status.classList.toggle('verdict-wrong', statusKey === 'poll.youWrong');
    if (statusKey) localize(status, this.t, statusKey, { answer: answerText });

    score.hidden = !(isHost && quiz);
    if (isHost && quiz) {
      const right = poll.right ?? 0;
      localize(score, this.t, 'poll.score', { right, count: total, percent: total ? Math.round((right / total) * 100) : 0 });
    }
    this._drawPeople(people, poll, isHost, quiz);
    this._drawWaiting(parts.waiting, poll, isHost);
  }

  /** Hosts, while the poll is open: the names of those present who have not answered. */
  _drawWaiting(line, poll, isHost) {
    const answered = new Set((Array.isArray(poll.answers) ? poll.answers : []).map((a) => a.identity));
    const names = this.present()
      .filter((p) => !p.host && !answered.has(p.identity))
      .map((p) => p.name)
      .sort((a, b) => a.localeCompare(b));
    line.hidden = !isHost || poll.closed || !this.present().some((p) => !p.host);
    if (line.hidden) return;
    line.classList.toggle('all-answered', !names.length);
    line.dataset.names = names.join('\n'); // for tests; the text is the people's own names
    if (names.length) localize(line, this.t, 'poll.waiting', { names: names.join(', '), count: names.length });
    else localize(line, this.t, 'poll.allAnswered');
  }

  /** Hosts: each pupil's answer, by name, with ✓ or ✗ in a quiz. */
  _drawPeople(list, poll, isHost, quiz) {
    const answers = isHost && Array.isArray(poll.answers) ? poll.answers : [];
    list.hidden = !answers.length;
    list.replaceChildren(...answers.map((answer) => {
      const item = document.createElement('li');
      item.className = 'poll-person';
      item.dataset.identity = answer.identity;
      const name = document.createElement('span');
      name.className = 'poll-person-name';
      name.textContent = answer.name; // people's text: never HTML
      const chose = document.createElement('span');
      chose.className = 'poll-person-choice';
      chose.textContent = answer.choices.map((c) => poll.options[c]).join(', ');
      item.append(name, chose);
      if (quiz) {
        item.classList.add(answer.right ? 'right' : 'wrong');
        const mark = document.createElement('span');
        mark.className = 'poll-mark';
        mark.textContent = answer.right ? '✓' : '✗';
        mark.dataset.i18nTitle = answer.right ? 'poll.markRight' : 'poll.markWrong';
        item.append(mark);
      }
      return item;
    }));
    this.t.apply(list);
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
    this.quiz = $('poll-quiz');
    this.quiz.addEventListener('change', () => this._quizChanged());
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
    this._quizChanged();
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
    // A quiz marks its right answer with the radio before it.
    const correct = document.createElement('input');
    correct.type = 'radio';
    correct.name = 'poll-correct';
    correct.className = 'poll-correct-input';
    correct.dataset.i18nTitle = 'poll.markCorrect';
    correct.hidden = !this.quiz.checked;
    const remove = smallButton('poll-remove-option', '×');
    remove.dataset.i18nTitle = 'poll.removeOption';
    remove.addEventListener('click', () => {
      item.remove();
      this._renumber();
    });
    item.append(correct, input, remove);
    this.options.append(item);
    this._renumber();
    if (focus) input.focus();
  }

  /** Placeholders "Answer 1…"; remove buttons only above the minimum; add only below the maximum. */
  _renumber() {
    const items = [...this.options.children];
    items.forEach((item, i) => {
      const input = item.querySelector('.poll-option-input');
      input.dataset.i18nPlaceholder = 'poll.optionPlaceholder';
      input.dataset.i18nArgs = JSON.stringify({ n: i + 1 });
      item.querySelector('button').hidden = items.length <= MIN_OPTIONS;
      item.querySelector('.poll-correct-input').dataset.i18nArgs = JSON.stringify({ n: i + 1 });
    });
    this.addButton.hidden = items.length >= MAX_OPTIONS;
    this.t.apply(this.options);
  }

  /** A quiz has one right answer: its radios show, and "several answers" is off. */
  _quizChanged() {
    const quiz = this.quiz.checked;
    for (const radio of this.options.querySelectorAll('.poll-correct-input')) radio.hidden = !quiz;
    this.options.classList.toggle('quiz', quiz);
    if (quiz) this.multiple.checked = false;
    this.multiple.disabled = quiz;
  }

  _submit() {
    const question = this.question.value.trim();
    // Empty answers are dropped: the right one is counted among those that are left.
    const filled = [...this.options.children]
      .map((item) => ({ text: item.querySelector('.poll-option-input').value.trim(), right: item.querySelector('.poll-correct-input').checked }))
      .filter((o) => o.text);
    const options = filled.map((o) => o.text);
    if (!question) return this._showError('poll.needQuestion');
    if (options.length < MIN_OPTIONS) return this._showError('poll.needOptions');
    if (new Set(options).size !== options.length) return this._showError('poll.sameOptions');
    const quiz = this.quiz.checked;
    const correct = quiz ? filled.findIndex((o) => o.right) : -1;
    if (quiz && correct < 0) return this._showError('poll.needCorrect');
    this._showError(null);
    this.startButton.disabled = true;
    const poll = {
      question, options, multiple: !quiz && this.multiple.checked, showResults: this.showResults.checked,
      correct: quiz ? correct : null,
    };
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
