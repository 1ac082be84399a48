"""Polls: one answer per person (the latest counts), choices checked, closed polls refuse."""

import pytest

from classroom.polls import Poll, PollError


def poll(multiple: bool = False) -> Poll:
    return Poll.create("q1", "  Сколько будет 2 + 2? ", ["3", "4", " 5 "], multiple, False)


def test_a_changed_answer_replaces_the_earlier_one() -> None:
    p = poll()
    assert (p.question, p.options) == ("Сколько будет 2 + 2?", ["3", "4", "5"])
    p.answer("anya", [0])
    p.answer("vanya", [1])
    p.answer("anya", [1])
    assert p.results() == {"pollId": "q1", "counts": [0, 2, 0], "voters": 2}
    assert p.mine("anya") == [1] and p.mine("nobody") == []


def test_multiple_choice_counts_each_option_once() -> None:
    p = poll(multiple=True)
    p.answer("anya", [2, 0, 2])
    assert p.counts() == [1, 0, 1]


@pytest.mark.parametrize(
    ("choices", "code", "message"),
    [
        ([0, 1], "poll_one_choice", "this poll takes one choice"),
        ([], "poll_option_out_of_range", "choose among options 0 to 2"),
        ([3], "poll_option_out_of_range", "choose among options 0 to 2"),
        ([-1], "poll_option_out_of_range", "choose among options 0 to 2"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    choices: list[int], code: str, message: str
) -> None:
    p = poll()
    p.answer("anya", [1])
    with pytest.raises(PollError, match=message) as refused:
        p.answer("anya", choices)
    assert refused.value.code == code
    assert p.counts() == [0, 1, 0]


def test_a_closed_poll_takes_no_answers() -> None:
    p = poll()
    p.closed = True
    with pytest.raises(PollError, match="this poll is closed") as refused:
        p.answer("anya", [0])
    assert refused.value.code == "poll_closed"


@pytest.mark.parametrize(
    ("question", "options", "message"),
    [
        ("", ["a", "b"], "the question must have 1 to 300 characters"),
        ("q" * 301, ["a", "b"], "the question must have 1 to 300 characters"),
        ("Ok?", ["a"], "a poll has 2 to 10 options"),
        ("Ok?", [str(i) for i in range(11)], "a poll has 2 to 10 options"),
        ("Ok?", ["a", "  "], "each option must have 1 to 100 characters"),
        ("Ok?", ["a", "a "], "options must differ"),
    ],
)
def test_a_poll_must_make_sense(question: str, options: list[str], message: str) -> None:
    with pytest.raises(PollError, match=message) as refused:
        Poll.create("q", question, options, False, False)
    assert refused.value.code == "poll_invalid"


@pytest.mark.parametrize(
    ("correct", "multiple", "message"),
    [
        (3, False, "the correct option must be one of 0 to 2"),
        (-1, False, "the correct option must be one of 0 to 2"),
        (0, True, "a quiz is single choice: one right option"),
    ],
)
def test_a_quizs_correct_option_must_be_one_of_its_options(
    correct: int, multiple: bool, message: str
) -> None:
    with pytest.raises(PollError, match=message) as refused:
        Poll.create("q", "2 + 2?", ["3", "4", "5"], multiple, False, correct)
    assert refused.value.code == "poll_correct_not_an_option"


def test_a_quiz_tells_its_hosts_who_was_right_and_everyone_the_answer_once_closed() -> None:
    p = Poll.create("q1", "2 + 2?", ["3", "4", "5"], False, False, correct=1, asked_at=5.0)
    p.answer("vanya", [0], "Ваня", 7.0)
    p.answer("anya", [1], "Аня", 6.0)
    assert p.to_dict() == {
        "id": "q1",
        "question": "2 + 2?",
        "options": ["3", "4", "5"],
        "multiple": False,
        "showResults": False,
        "closed": False,
        "quiz": True,
    }
    assert p.to_dict(host=True)["correct"] == 1
    assert p.host_results() == {
        "pollId": "q1",
        "counts": [1, 1, 0],
        "voters": 2,
        "answers": [
            {"identity": "anya", "name": "Аня", "choices": [1], "right": True},
            {"identity": "vanya", "name": "Ваня", "choices": [0], "right": False},
        ],
        "correct": 1,
        "right": 1,
    }
    p.closed = True
    assert p.to_dict()["correct"] == 1


def test_a_poll_comes_back_from_its_record_with_its_answers() -> None:
    p = Poll.create("q1", "2 + 2?", ["3", "4"], False, True, correct=1, asked_at=5.0)
    answer = p.answer("anya", [1], "Аня", 6.0)
    record = p.record("lesson-1", "olga")
    assert (record.session_id, record.asked_by, record.correct, record.show_results) == (
        "lesson-1",
        "olga",
        1,
        True,
    )
    again = Poll.restore(record, [answer])
    assert again == p
