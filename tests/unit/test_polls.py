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


def test_multiple_choice_counts_each_option_once() -> None:
    p = poll(multiple=True)
    p.answer("anya", [2, 0, 2])
    assert p.counts() == [1, 0, 1]


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([0, 1], "this poll takes one choice"),
        ([], "choose among options 0 to 2"),
        ([3], "choose among options 0 to 2"),
        ([-1], "choose among options 0 to 2"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(choices: list[int], message: str) -> None:
    p = poll()
    p.answer("anya", [1])
    with pytest.raises(PollError, match=message):
        p.answer("anya", choices)
    assert p.counts() == [0, 1, 0]


def test_a_closed_poll_takes_no_answers() -> None:
    p = poll()
    p.closed = True
    with pytest.raises(PollError, match="this poll is closed"):
        p.answer("anya", [0])


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
    with pytest.raises(PollError, match=message):
        Poll.create("q", question, options, False, False)
