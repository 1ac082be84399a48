"""A session's polls and answers: read back equal in the order asked, a changed answer
replaces the earlier one, a poll closes once, and one session's never show in another's."""

from __future__ import annotations

import pytest

from classroom.poll_records import PollAnswer, PollRecord
from classroom.store import Conflict
from tests.unit.repository_contract.records import Store, lesson, with_class

QUIZ = PollRecord("q-b", "l1", "Столица Франции?", ("Лион", "Париж"), False, "t1", 20.0, 1)
OPINION = PollRecord(
    "q-a",
    "l1",
    "Что повторить?",
    ("Дроби", "Проценты", "Уравнения"),
    True,
    "t1",
    30.5,
    show_results=True,
)


@pytest.fixture
async def lessons(store: Store) -> Store:
    await with_class(store, "p1", "p2")
    await store.add_session(lesson("l1", class_id="c1"))
    await store.add_session(lesson("l2", class_id="c1"))
    return store


async def test_polls_read_back_equal_in_the_order_they_were_asked(lessons: Store) -> None:
    store = lessons
    await store.add_poll(OPINION)
    await store.add_poll(QUIZ)
    assert await store.polls("l1") == [QUIZ, OPINION]
    assert await store.polls("l2") == []
    with pytest.raises(Conflict):
        await store.add_poll(QUIZ)
    assert await store.polls("l1") == [QUIZ, OPINION]


async def test_a_poll_closes_once_and_an_unknown_one_is_a_key_error(lessons: Store) -> None:
    store = lessons
    await store.add_poll(QUIZ)
    await store.close_poll("q-b", 40.25)
    await store.close_poll("q-b", 99.0)  # the session's end closes what is open: not this
    (closed,) = await store.polls("l1")
    assert closed.closed_at == 40.25
    with pytest.raises(KeyError) as raised:
        await store.close_poll("q-none", 1.0)
    assert raised.value.args == ("no poll 'q-none'",)


async def test_a_changed_answer_replaces_the_earlier_one(lessons: Store) -> None:
    store = lessons
    await store.add_poll(QUIZ)
    await store.add_poll(OPINION)
    await store.put_poll_answer(PollAnswer("q-a", "p1", "Петя", (0, 2), 31.0))
    await store.put_poll_answer(PollAnswer("q-b", "p2", "Маша", (1,), 21.0))
    await store.put_poll_answer(PollAnswer("q-b", "p1", "Петя", (0,), 22.0))
    await store.put_poll_answer(PollAnswer("q-b", "p1", "Пётр", (1,), 23.5))
    assert await store.poll_answers("l1") == [
        PollAnswer("q-b", "p2", "Маша", (1,), 21.0),
        PollAnswer("q-b", "p1", "Пётр", (1,), 23.5),
        PollAnswer("q-a", "p1", "Петя", (0, 2), 31.0),
    ]
    assert await store.poll_answers("l2") == []


async def test_another_sessions_polls_stay_apart(lessons: Store) -> None:
    store = lessons
    other = PollRecord("q-c", "l2", "Готовы?", ("Да", "Нет"), False, "t1", 5.0)
    await store.add_poll(QUIZ)
    await store.add_poll(other)
    await store.put_poll_answer(PollAnswer("q-c", "p2", "Маша", (0,), 6.0))
    assert await store.polls("l2") == [other]
    assert await store.poll_answers("l1") == []
    assert await store.poll_answers("l2") == [PollAnswer("q-c", "p2", "Маша", (0,), 6.0)]
