// A session's record on /school (issue 18): the "Lesson record" button of a live or past
// session opens, under its row, the whole class's attendance (who came, when, for how long,
// and who did not, in the school's time zone, with the CSV for Excel) for its teachers and the
// school's admins, and its polls: each pupil's answer for them, one's own answer (right or not)
// for a pupil.

import * as api from './api.js';
import { localize } from './i18n.js';
import { button, el, t } from './page.js';
import { busy, failed, hosts } from './school-common.js';

/** Whether the row gets the button: hosts of a live or past session, anyone after it ended. */
export function showsRecord(session) {
  return session.state === 'ended' || (session.state === 'live' && hosts(session));
}

/** The row's button; it opens and closes the record below the row. */
export function recordButton(session, row) {
  const toggle = button('ghost', 'record.button');
  toggle.classList.add('record-button');
  toggle.setAttribute('aria-expanded', 'false');
  toggle.addEventListener('click', () =>
    busy(toggle, async () => {
      const open = row.querySelector('.record-panel');
      if (open) {
        open.remove();
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      const panel = el('div', 'record-panel');
      panel.setAttribute('role', 'region');
      panel.setAttribute('aria-label', t.t('record.region', { title: session.title }));
      row.append(panel);
      toggle.setAttribute('aria-expanded', 'true');
      await fill(panel, session);
    }),
  );
  return toggle;
}

async function fill(panel, session) {
  const host = hosts(session);
  let polls;
  let roll = null;
  try {
    [polls, roll] = await Promise.all([
      api.sessionPolls(session.id),
      host ? api.sessionRoll(session.id) : Promise.resolve(null),
    ]);
  } catch (err) {
    failed(err);
    panel.replaceChildren(el('p', 'empty', 'record.loadFailed'));
    return;
  }
  const parts = [];
  if (roll) parts.push(attendanceSection(session, roll));
  parts.push(pollsSection(polls));
  panel.replaceChildren(...parts);
}

// ---- attendance ---------------------------------------------------------------------------------

function attendanceSection(session, roll) {
  const section = el('section', 'record-attendance');
  const head = el('div', 'record-head');
  head.append(el('h4', null, 'record.attendance'));
  head.append(button('ghost small', 'record.csv', (b) => busy(b, () => downloadAttendance(session))));
  section.append(head);
  // Each part localized on its own: a language switch redraws a node's whole text.
  const summary = el('p', 'record-summary');
  if (roll.expected) {
    summary.append(el('span', null, 'record.came', { present: roll.present, expected: roll.expected }));
    const absent = roll.roll.filter((r) => r.expected && !r.present).map((r) => r.name);
    if (absent.length) {
      summary.append(' ', el('span', 'record-absent-names', 'record.absentNames', { names: absent.join(', ') }));
    }
  } else {
    summary.append(el('span', null, 'record.cameCount', { count: roll.roll.length }));
  }
  section.append(summary);
  if (roll.roll.length) {
    const table = el('table', 'roll-table');
    const head = el('tr');
    for (const key of ['record.name', 'record.joined', 'record.left', 'record.minutes']) head.append(el('th', null, key));
    const body = el('tbody');
    body.append(...roll.roll.map(rollRow));
    table.append(el('thead'), body);
    table.tHead.append(head);
    section.append(table);
  }
  section.append(el('p', 'record-zone', 'record.zone', { zone: roll.time_zone }));
  return section;
}

function rollRow(entry) {
  const row = el('tr', entry.present ? 'present' : 'absent');
  row.dataset.userId = entry.user_id;
  const name = el('td', 'roll-name');
  name.textContent = entry.name;
  if (!entry.expected) name.append(' ', el('span', 'badge plain', 'record.guest'));
  row.append(name);
  if (!entry.present) {
    const absent = el('td', 'roll-absent', 'record.absent');
    absent.colSpan = 3;
    row.append(absent);
    return row;
  }
  row.append(timeCell(entry.joined), timeCell(entry.left, 'record.stillThere'));
  const minutes = el('td', 'roll-minutes');
  // Less than a minute is not "0": the pupil did come.
  minutes.textContent = entry.minutes < 1
    ? '<1'
    : new Intl.NumberFormat(t.lang, { maximumFractionDigits: 0 }).format(entry.minutes);
  if (entry.stays > 1) minutes.append(' ', el('span', 'roll-stays', 'record.stays', { count: entry.stays }));
  row.append(minutes);
  return row;
}

/** The school's wall-clock time, as the server wrote it ("2026-12-06T09:05:00+03:00" → "09:05"). */
function timeCell(iso, missingKey) {
  const cell = el('td', 'roll-time');
  if (iso) cell.textContent = iso.slice(11, 16);
  else if (missingKey) localize(cell, t, missingKey);
  return cell;
}

/** The CSV needs the bearer token, so it is fetched and handed to the browser as a file. */
export async function downloadAttendance(session) {
  const { blob, filename } = await api.attendanceCsv(session.id, t.lang);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- polls --------------------------------------------------------------------------------------

function pollsSection({ everyone, polls }) {
  const section = el('section', 'record-polls');
  section.append(el('h4', null, 'record.polls', { count: polls.length }));
  if (!polls.length) {
    section.append(el('p', 'empty', 'record.noPolls'));
    return section;
  }
  const list = el('ol', 'record-poll-list');
  list.append(...polls.map((poll) => pollItem(poll, everyone)));
  section.append(list);
  return section;
}

function pollItem(poll, everyone) {
  const item = el('li', 'record-poll');
  item.dataset.pollId = poll.id;
  const question = el('div', 'record-question');
  if (poll.quiz) question.append(el('span', 'badge quiz-badge', 'record.quiz'), ' ');
  question.append(document.createTextNode(poll.question));
  item.append(question);

  const options = el('ul', 'record-options');
  poll.options.forEach((text, index) => {
    const option = el('li', 'record-option');
    const right = poll.correct === index;
    option.classList.toggle('correct', right);
    const label = el('span', 'record-option-text');
    label.textContent = text;
    option.append(label);
    if (everyone) {
      const n = poll.counts[index] ?? 0;
      const share = poll.voters ? Math.round((n / poll.voters) * 100) : 0;
      const count = el('span', 'record-option-count');
      count.textContent = `${n} · ${share}%`;
      option.append(count);
      option.style.setProperty('--share', `${share}%`);
    }
    if (right) {
      const mark = el('span', 'poll-mark');
      mark.textContent = '✓';
      option.append(mark);
    }
    options.append(option);
  });
  item.append(options);

  if (everyone) {
    const facts = el('p', 'record-facts');
    if (poll.quiz && poll.voters) {
      localize(facts, t, 'record.score', { right: poll.right, count: poll.voters, percent: Math.round((poll.right / poll.voters) * 100) });
    } else {
      localize(facts, t, 'record.voters', { count: poll.voters });
    }
    item.append(facts);
    if (poll.answers.length) item.append(answersList(poll));
  } else {
    item.append(myAnswer(poll));
  }
  return item;
}

/** Hosts: each pupil's answer by name, ✓ or ✗ in a quiz. */
function answersList(poll) {
  const list = el('ul', 'record-answers');
  for (const answer of poll.answers) {
    const row = el('li', 'record-answer');
    row.dataset.userId = answer.user_id;
    if (answer.right !== null) row.classList.add(answer.right ? 'right' : 'wrong');
    const name = el('span', 'record-answer-name');
    name.textContent = answer.name;
    const chose = el('span', 'record-answer-choice');
    chose.textContent = answer.choices.map((c) => poll.options[c]).join(', ');
    row.append(name, chose);
    if (answer.right !== null) {
      const mark = el('span', 'poll-mark');
      mark.textContent = answer.right ? '✓' : '✗';
      mark.dataset.i18nTitle = answer.right ? 'poll.markRight' : 'poll.markWrong';
      row.append(mark);
    }
    list.append(row);
  }
  t.apply(list);
  return list;
}

/** A pupil or parent: their own answer, and whether it was right. */
function myAnswer(poll) {
  const line = el('p', 'record-mine');
  const [answer] = poll.answers;
  if (!answer) return localize(line, t, 'record.noAnswer');
  const chosen = answer.choices.map((c) => poll.options[c]).join(', ');
  if (answer.right === true) line.classList.add('right');
  if (answer.right === false) line.classList.add('wrong');
  const key = answer.right === true ? 'record.mineRight' : answer.right === false ? 'record.mineWrong' : 'record.mine';
  return localize(line, t, key, { answer: chosen });
}
