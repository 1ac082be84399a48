"""A recording's timeline: events in order with the server's time, a torn last line ignored."""

from __future__ import annotations

import json
from pathlib import Path

from recording.timeline import TIMELINE, Timeline, read_timeline


def test_events_are_written_in_order_with_their_time(tmp_path: Path) -> None:
    moments = iter([10.0, 11.5, 12.0])
    timeline = Timeline(tmp_path / "rec", clock=lambda: next(moments))
    timeline.add({"type": "present", "participants": []})
    timeline.add({"type": "chat", "text": "Здравствуйте"})
    timeline.add({"type": "recording", "on": False})
    last = timeline.close()
    assert last is not None
    last.result(timeout=10)
    timeline.add({"type": "chat", "text": "too late"})  # closed: nothing more
    assert read_timeline(tmp_path / "rec") == [
        {"at": 10.0, "type": "present", "participants": []},
        {"at": 11.5, "type": "chat", "text": "Здравствуйте"},
        {"at": 12.0, "type": "recording", "on": False},
    ]


def test_a_line_cut_short_by_a_crash_is_left_out(tmp_path: Path) -> None:
    (tmp_path / TIMELINE).write_text('{"at": 1.0, "type": "chat"}\n{"at": 2.0, "ty')
    assert read_timeline(tmp_path) == [{"at": 1.0, "type": "chat"}]
    assert read_timeline(tmp_path / "none") == []


def test_the_boards_lines_stop_at_the_budget_and_say_so(tmp_path: Path) -> None:
    timeline = Timeline(tmp_path, clock=lambda: 1.0, board_budget=1000)
    stroke = {"type": "board_stroke", "stroke": {"seq": 1, "points": [100.5] * 40}}
    one = len(json.dumps({"at": 1.0, **stroke})) + 1
    assert 334 < one < 500  # so two fit in 1000 and a third does not
    for _ in range(5):  # a board cleared and drawn again, and again
        timeline.add(stroke)
        timeline.add({"type": "chat", "text": "дальше"})  # the rest of the room goes on
    timeline.add({"type": "board_removed", "seqs": [1], "by": "p_1"})
    last = timeline.close()
    assert last is not None
    last.result(timeout=10)
    assert [e["type"] for e in read_timeline(tmp_path)] == [
        "board_stroke",
        "chat",
        "board_stroke",
        "chat",
        "board_unrecorded",
        "chat",
        "chat",
        "chat",
    ]
