"""The whiteboard's state (classroom.board): strokes kept in the server's order, undo of
one's own last stroke, erase, clear, who may draw, and the bounds that make a board full."""

from __future__ import annotations

import json
from typing import Any

import pytest

from classroom import board as b
from classroom.board import Board, BoardError
from classroom.moderation import RoomModeration


def pen(points: list[float] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "page": "blank",
        "tool": "pen",
        "color": "#e53935",
        "width": 4,
        "points": points if points is not None else [10, 20, 30.04, 40],
        **extra,
    }


def test_strokes_are_numbered_in_arrival_order_and_kept_by_page() -> None:
    board = Board()
    first = board.add("p1", pen())
    second = board.add("p2", pen(page={"materialId": "m1", "page": 3}, tool="highlighter"))
    third = board.add("p1", pen([1, 2], tool="text", text="x = 5"))
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert board.points == 5
    assert board.to_dict() == {
        "shown": False,
        "allowed": "none",
        "seq": 3,
        "pages": {
            "blank": [
                {
                    "seq": 1,
                    "by": "p1",
                    "page": "blank",
                    "tool": "pen",
                    "color": "#e53935",
                    "width": 4,
                    "points": [10.0, 20.0, 30.0, 40.0],
                },
                {
                    "seq": 3,
                    "by": "p1",
                    "page": "blank",
                    "tool": "text",
                    "color": "#e53935",
                    "width": 4,
                    "points": [1.0, 2.0],
                    "text": "x = 5",
                },
            ],
            "m1:3": [
                {
                    "seq": 2,
                    "by": "p2",
                    "page": "m1:3",
                    "tool": "highlighter",
                    "color": "#e53935",
                    "width": 4,
                    "points": [10.0, 20.0, 30.0, 40.0],
                }
            ],
        },
    }


def test_undo_takes_back_the_senders_last_stroke_only() -> None:
    board = Board()
    board.add("p1", pen())
    board.add("p2", pen())
    board.add("p1", pen([0, 0, 1, 1, 2, 2]))
    assert board.undo("p1").seq == 3
    assert board.undo("p1").seq == 1
    with pytest.raises(BoardError) as nothing:
        board.undo("p1")
    assert nothing.value.code == "board_nothing_to_undo"
    assert [s.seq for s in board.strokes.values()] == [2]
    assert board.points == 2
    # Numbers are never reused: a page that saw 3 removed does not confuse it with a new one.
    assert board.add("p1", pen()).seq == 4


def test_erase_a_host_any_stroke_a_pupil_their_own() -> None:
    board = Board()
    board.add("teacher", pen())
    board.add("p1", pen())
    with pytest.raises(BoardError) as refused:
        board.erase(1, "p1", host=False)
    assert refused.value.code == "board_not_allowed"
    assert board.erase(2, "p1", host=False).seq == 2
    with pytest.raises(BoardError) as missing:
        board.erase(2, "teacher", host=True)
    assert missing.value.code == "board_stroke_invalid"
    assert board.erase(1, "teacher", host=True).by == "teacher"
    assert board.strokes == {} and board.points == 0


def test_clear_one_page_or_all() -> None:
    board = Board()
    board.add("p1", pen())
    board.add("p1", pen(page={"materialId": "m1", "page": 1}))
    board.add("p2", pen())
    assert board.clear("blank") == [1, 3]
    assert list(board.strokes) == [2]
    assert board.clear() == [2]
    assert board.points == 0 and board.to_dict()["pages"] == {}


def test_who_may_draw() -> None:
    board = Board()
    assert board.may_draw("t", host=True)
    assert not board.may_draw("p1", host=False)
    board.allow("all")
    assert board.may_draw("p1", host=False) and board.may_draw("p2", host=False)
    assert not board.may_draw("viewer", host=False, audience=True)
    board.allow("p2")
    assert not board.may_draw("p1", host=False) and board.may_draw("p2", host=False)
    board.allow("none")
    assert not board.may_draw("p2", host=False)


def test_the_board_is_full_at_its_stroke_bound() -> None:
    board = Board()
    for _ in range(b.MAX_STROKES):
        board.add("p1", pen([0, 0]))
    with pytest.raises(BoardError) as full:
        board.add("p1", pen([0, 0]))
    assert full.value.code == "board_full"
    assert len(board.strokes) == b.MAX_STROKES
    board.undo("p1")
    assert board.add("p1", pen([0, 0])).seq == b.MAX_STROKES + 1  # a refusal takes no number


def test_the_board_is_full_at_its_point_bound() -> None:
    board = Board()
    longest = [float(i % 100) for i in range(b.MAX_STROKE_POINTS)]  # 1000 points
    for _ in range(b.MAX_POINTS // 1000):
        board.add("p1", pen(longest))
    assert board.points == b.MAX_POINTS
    with pytest.raises(BoardError) as full:
        board.add("p1", pen([0, 0]))
    assert full.value.code == "board_full"
    assert board.points == b.MAX_POINTS and len(board.strokes) == 200
    board.clear()
    assert board.add("p1", pen([0, 0])).seq == 201


BAD_STROKES = [
    {"tool": "spray"},
    {"color": "#123456"},
    {"width": 0},
    {"width": 65},
    {"width": 2.5},
    {"points": []},
    {"points": [1, 2, 3]},
    {"points": [0.0] * (b.MAX_STROKE_POINTS + 2)},
    {"points": [1, "2"]},
    {"points": [1, True]},
    {"points": [1, float("nan")]},
    {"points": [1, float("inf")]},
    {"points": [1, 1e9]},
    {"tool": "line", "points": [1, 2]},
    {"tool": "rect", "points": [1, 2, 3, 4, 5, 6]},
    {"tool": "text", "points": [1, 2]},
    {"tool": "text", "points": [1, 2], "text": "   "},
    {"tool": "text", "points": [1, 2], "text": "x" * (b.MAX_TEXT + 1)},
    {"tool": "text", "points": [1, 2, 3, 4], "text": "ab"},
    {"text": "only text strokes have text"},
    {"page": "other"},
    {"page": {"materialId": "m1", "page": 0}},
    {"page": {"materialId": "m:1", "page": 1}},
    {"page": {"materialId": "", "page": 1}},
    {"page": None},
]


@pytest.mark.parametrize("change", BAD_STROKES)
def test_a_bad_stroke_is_refused_and_changes_nothing(change: dict[str, Any]) -> None:
    board = Board()
    board.add("p1", pen())
    with pytest.raises(BoardError) as refused:
        board.add("p1", {**pen(), **change})
    assert refused.value.code == "board_stroke_invalid"
    assert list(board.strokes) == [1] and board.points == 2 and board.next_seq == 2


def test_the_longest_stroke_and_text_are_accepted() -> None:
    board = Board()
    board.add("p1", pen([1.25] * b.MAX_STROKE_POINTS))
    board.add("p1", pen([1, 2], tool="text", text="я" * b.MAX_TEXT))
    board.add("p1", pen([0, 0, 1600, 900], tool="ellipse", color="#ffffff", width=64))
    assert board.points == b.MAX_STROKE_POINTS // 2 + 1 + 2


def test_a_called_participant_who_leaves_is_called_no_more() -> None:
    moderation = RoomModeration()
    moderation.board.allow("p1")
    assert moderation.forget("p2") is False and moderation.board.allowed == "p1"
    assert moderation.forget("p1") is True and moderation.board.allowed == "none"
    moderation.board.allow("all")
    assert moderation.forget("p1") is False and moderation.board.allowed == "all"


def test_a_joiner_gets_a_small_board_whole_and_a_large_one_in_parts() -> None:
    board = Board()
    board.add("p1", pen())
    board.add("p1", pen(page={"materialId": "m1", "page": 2}))
    first, rest = board.parts()
    assert rest == [] and "more" not in first
    assert first == board.to_dict()

    for _ in range(8):  # 208 bytes each: one a part under a 400-byte budget
        board.add("p2", pen([float(i) for i in range(20)]))
    sizes = [s.size for s in board.strokes.values()]
    assert sizes[0] == len(json.dumps(board.strokes[1].to_dict()))
    first, rest = board.parts(budget=400)
    assert first["more"] == len(rest) >= 2
    assert [m["more"] for m in rest] == list(range(len(rest) - 1, -1, -1))
    assert all(m["type"] == "board_strokes" for m in rest)
    for part in [first, *rest]:
        assert sum(len(json.dumps(s)) for ss in part["pages"].values() for s in ss) <= 400
    # Put together, in order, they are the whole board.
    seqs = [s["seq"] for part in [first, *rest] for ss in part["pages"].values() for s in ss]
    assert sorted(seqs) == list(board.strokes) and len(seqs) == 10
    assert {k: first[k] for k in ("shown", "allowed", "seq")} == {
        "shown": False,
        "allowed": "none",
        "seq": 10,
    }
