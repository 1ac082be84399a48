// /school's class cards: the class's quiz history (GET /api/classes/{id}/quizzes) — the quick
// quizzes its lessons asked and each pupil's score, right of all asked; its teachers and the
// admins see every pupil, a pupil their own. Loaded when opened: most cards are never opened.

import { classQuizzes } from './api.js';
import { el } from './page.js';
import { formatTime } from './school-common.js';

/** The card's "Quiz results" section (closed until opened; then fetched every opening). */
export function quizzesSection(cls) {
  const details = el('details', 'quizzes');
  details.dataset.classId = cls.id;
  const body = el('div', 'quiz-body');
  details.append(el('summary', null, 'quizzes.heading'), body);
  details.addEventListener('toggle', async () => {
    if (!details.open) return;
    body.replaceChildren(el('p', 'quiz-note', 'quizzes.loading'));
    try {
      draw(body, await classQuizzes(cls.id));
    } catch {
      body.replaceChildren(el('p', 'quiz-note', 'quizzes.failed'));
    }
  });
  return details;
}

function draw(body, history) {
  const { quizzes, pupils } = history;
  if (!quizzes.length) {
    body.replaceChildren(el('p', 'quiz-note', 'quizzes.none'));
    return;
  }
  const table = el('table', 'quiz-scores');
  const head = el('tr');
  head.append(el('th', null, 'quizzes.pupil'), el('th', 'quiz-score', 'quizzes.score'));
  table.append(el('thead'), el('tbody'));
  table.tHead.append(head);
  for (const pupil of pupils) {
    const row = el('tr', pupil.in_class ? null : 'left-class');
    row.dataset.userId = pupil.user_id;
    const name = el('td', 'quiz-name');
    name.textContent = pupil.name; // people's text: never HTML
    const percent = pupil.total ? Math.round((pupil.right / pupil.total) * 100) : 0;
    const score = el('td', 'quiz-score', 'quizzes.right', { right: pupil.right, total: pupil.total, percent });
    row.append(name, score);
    table.tBodies[0].append(row);
  }
  const asked = el('ol', 'quiz-list');
  for (const quiz of quizzes) {
    const item = el('li');
    const question = el('span', 'quiz-question');
    question.textContent = quiz.question;
    const when = el('small', 'quiz-when');
    when.textContent = `${quiz.session_title} · ${formatTime(quiz.asked_at)}`;
    item.append(question, when);
    asked.append(item);
  }
  const key = history.everyone ? 'quizzes.summary' : 'quizzes.summaryMine';
  body.replaceChildren(el('p', 'quiz-note', key, { count: quizzes.length }), table, el('h4', null, 'quizzes.asked'), asked);
}
