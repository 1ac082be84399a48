"""The stage replayed from a recording's timeline: which page, at which zoom, with which strokes,
at any moment; forward and from the start (a seek back)."""

from __future__ import annotations

from typing import Any

from recording.stage import Replay, Stage, material_file, material_ids, stage_at


def material(page: int, zoom: float = 1.0, mid: str = "m1") -> dict[str, Any]:
    return {"id": mid, "title": "Дроби.pdf", "pages": 4, "page": page, "zoom": zoom}


def stroke(seq: int, page: str, color: str = "#1e88e5") -> dict[str, Any]:
    return {
        "seq": seq,
        "by": "t",
        "page": page,
        "tool": "pen",
        "color": color,
        "width": 4,
        "points": [100.0, 100.0, 500.0, 400.0],
    }


EVENTS: list[dict[str, Any]] = [
    {"at": 100.0, "type": "present", "participants": []},
    {"at": 101.0, "type": "material", "material": material(1), "by": "t"},
    {"at": 102.0, "type": "material", "material": material(3), "by": "t"},
    {"at": 103.0, "type": "board_stroke", "stroke": stroke(1, "m1:3")},
    {"at": 104.0, "type": "board_stroke", "stroke": stroke(2, "m1:1", "#e53935")},
    {"at": 105.0, "type": "material", "material": material(3, 2.0), "by": "t"},
    {"at": 106.0, "type": "board_removed", "seqs": [1], "by": "t"},
    {"at": 107.0, "type": "material", "material": None, "by": "t"},
    {"at": 108.0, "type": "board_settings", "shown": True, "allowed": "none", "by": "t"},
    {"at": 109.0, "type": "board_stroke", "stroke": stroke(3, "blank")},
    {"at": 110.0, "type": "board_settings", "shown": False, "allowed": "none", "by": "t"},
]


def test_nothing_is_on_the_stage_before_a_material_is_shown() -> None:
    assert stage_at(EVENTS, 100.5) is None
    assert stage_at([], 1e12) is None


def test_the_page_and_its_strokes_at_each_moment() -> None:
    assert stage_at(EVENTS, 101.0) == Stage(material(1), 1, 1.0, ())
    assert stage_at(EVENTS, 102.5) == Stage(material(3), 3, 1.0, ())
    at_stroke = stage_at(EVENTS, 103.0)
    assert at_stroke == Stage(material(3), 3, 1.0, (stroke(1, "m1:3"),))
    assert at_stroke.key == "m1:3"
    # A stroke on another page is not on this one; the zoom changes, the strokes stay.
    assert stage_at(EVENTS, 105.5) == Stage(material(3, 2.0), 3, 2.0, (stroke(1, "m1:3"),))
    assert stage_at(EVENTS, 106.0) == Stage(material(3, 2.0), 3, 2.0, ())
    assert stage_at(EVENTS, 107.5) is None
    blank = stage_at(EVENTS, 109.5)
    assert blank == Stage(None, 1, 1.0, (stroke(3, "blank"),))
    assert blank.key == "blank"
    assert stage_at(EVENTS, 111.0) is None


def test_forward_replay_agrees_with_starting_again_at_every_moment() -> None:
    replay = Replay(EVENTS)
    changes = []
    for tenth in range(995, 1115):
        t = tenth / 10
        assert replay.advance(t) == stage_at(EVENTS, t), t
        changes.append(replay.changes)
    assert changes == sorted(changes) and changes[-1] == 10


def test_a_recording_begun_mid_lesson_starts_from_the_board_snapshot() -> None:
    events = [
        {"at": 50.0, "type": "material", "material": material(2), "by": None},
        {
            "at": 50.0,
            "type": "board",
            "board": {
                "shown": False,
                "allowed": "none",
                "pages": {"m1:2": [stroke(7, "m1:2")], "blank": [stroke(5, "blank")]},
                "seq": 7,
            },
        },
        {"at": 51.0, "type": "board_stroke", "stroke": stroke(8, "m1:2", "#000000")},
    ]
    assert stage_at(events, 50.0) == Stage(material(2), 2, 1.0, (stroke(7, "m1:2"),))
    assert stage_at(events, 52.0) == Stage(
        material(2), 2, 1.0, (stroke(7, "m1:2"), stroke(8, "m1:2", "#000000"))
    )


def test_events_out_of_order_or_malformed_are_placed_by_time_or_left_out() -> None:
    events = [
        {"at": 3.0, "type": "board_stroke", "stroke": stroke(1, "m1:1")},
        {"at": 1.0, "type": "material", "material": material(1), "by": "t"},
        {"type": "material", "material": material(4), "by": "t"},  # no time: left out
        {"at": 2.0, "type": "board_stroke", "stroke": {"page": "m1:1"}},  # no seq
        {"at": 2.5, "type": "material", "material": {"page": 2}, "by": "t"},  # no id: none
    ]
    assert stage_at(events, 2.7) is None
    assert stage_at(events, 2.0) == Stage(material(1), 1, 1.0, ())


def test_the_materials_shown_and_their_kept_files() -> None:
    assert material_ids(EVENTS) == ["m1"]
    assert material_file("m1") == "material-m1.pdf"


def test_past_the_recording_s_board_budget_the_board_is_no_longer_shown() -> None:
    # recording/timeline.py writes one `board_unrecorded` line and no board line after it:
    # the page keeps its material, the strokes known are dropped, the blank board closes.
    events = [
        *EVENTS[:4],  # page 3 of m1 with stroke 1 on it
        {"at": 103.5, "type": "board_unrecorded"},
        {"at": 104.0, "type": "material", "material": material(2), "by": "t"},
    ]
    assert stage_at(events, 103.2) == Stage(material(3), 3, 1.0, (stroke(1, "m1:3"),))
    assert stage_at(events, 103.5) == Stage(material(3), 3, 1.0, ())
    assert stage_at(events, 104.0) == Stage(material(2), 2, 1.0, ())
    blank = [
        {"at": 1.0, "type": "board_settings", "shown": True, "allowed": "none", "by": "t"},
        {"at": 2.0, "type": "board_stroke", "stroke": stroke(1, "blank")},
        {"at": 3.0, "type": "board_unrecorded"},
    ]
    assert stage_at(blank, 2.5) == Stage(None, 1, 1.0, (stroke(1, "blank"),))
    assert stage_at(blank, 3.0) is None
