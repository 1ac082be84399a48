"""The whiteboard in a real lesson's room (issue 18): a pupil's stroke is refused until the
teacher lets them draw, then every page gets it in the server's order; a late joiner and a
reconnecting page get the whole board in `joined`; undo, erase and clear reach everyone; a
full board and bad strokes get their codes and the room works on; the recording's timeline
keeps each change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.signal_client import SignalError
from classroom import board as b
from recording.sidecar import session_folder
from recording.timeline import read_timeline

from .class_lesson import Lesson


def stroke(points: list[float] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "board_stroke",
        "page": "blank",
        "tool": "pen",
        "color": "#1e88e5",
        "width": 3,
        "points": points if points is not None else [100, 100, 200, 150, 300, 120],
        **extra,
    }


def drawn(message: dict[str, Any]) -> dict[str, Any]:
    """The stroke as the server keeps and sends it."""
    kept = {k: v for k, v in message.items() if k != "type"}
    kept["points"] = [float(v) for v in kept["points"]]
    return kept


async def test_a_called_pupil_draws_the_teacher_sees_it_and_a_late_joiner_gets_it(
    lesson: Lesson,
) -> None:
    async with (
        lesson.joined("olga") as (olga, olga_joined),
        lesson.joined("anya") as (anya, anya_joined),
        lesson.joined("boris") as (boris, _),
    ):
        olga_id, anya_id = olga_joined["self"]["id"], anya_joined["self"]["id"]
        empty = {"shown": False, "allowed": "none", "pages": {}, "seq": 0}
        assert anya_joined["board"] == empty

        with pytest.raises(SignalError) as refused:
            await anya.request(stroke())
        assert refused.value.code == "board_not_allowed"

        await olga.request({"type": "board_show", "shown": True})
        allowed = await olga.request({"type": "board_allow", "who": anya_id})
        assert allowed == {"type": "ok", "id": allowed["id"], "allowed": anya_id}
        settings = {"type": "board_settings", "shown": True, "allowed": anya_id, "by": olga_id}
        assert await anya.wait_for("board_settings", lambda e: e["allowed"] != "none") == settings

        reply = await anya.request(stroke())
        assert reply == {"type": "ok", "id": reply["id"], "seq": 1}
        first = {**drawn(stroke()), "seq": 1, "by": anya_id}
        for client in (olga, anya, boris):
            assert await client.wait_for("board_stroke") == {
                "type": "board_stroke",
                "stroke": first,
            }
        with pytest.raises(SignalError) as refused:  # called: Anya, not Boris
            await boris.request(stroke())
        assert refused.value.code == "board_not_allowed"

        teachers = stroke([0, 0, 1600, 900], tool="rect", color="#e53935")
        assert (await olga.request(teachers))["seq"] == 2
        second = {**drawn(teachers), "seq": 2, "by": olga_id}
        await anya.wait_for("board_stroke", lambda e: e["stroke"]["seq"] == 2)

        board = {"shown": True, "allowed": anya_id, "pages": {"blank": [first, second]}, "seq": 2}
        async with lesson.joined("vera") as (_, vera_joined):
            assert vera_joined["board"] == board
        resume = anya_joined["resumeToken"]
        await anya.close()  # dropped, not left: the page reconnects
        async with lesson.joined("anya", resume=resume) as (anya_again, back):
            assert back.get("resumed") is True and back["board"] == board

            # Undo takes back one's own last stroke; the eraser, a touched stroke.
            undone = await anya_again.request({"type": "board_undo"})
            assert undone["seq"] == 1
            removed = {"type": "board_removed", "seqs": [1], "by": anya_id}
            assert await olga.wait_for("board_removed") == removed
            with pytest.raises(SignalError) as refused:
                await anya_again.request({"type": "board_undo"})
            assert refused.value.code == "board_nothing_to_undo"
            with pytest.raises(SignalError) as refused:  # the teacher's stroke is hers
                await anya_again.request({"type": "board_undo", "seq": 2})
            assert refused.value.code == "board_not_allowed"
            with pytest.raises(SignalError) as refused:
                await anya_again.request({"type": "board_clear"})
            assert refused.value.code == "not_host"

            await olga.request({"type": "board_allow", "who": "none"})
            await anya_again.wait_for("board_settings", lambda e: e["allowed"] == "none")
            with pytest.raises(SignalError) as refused:
                await anya_again.request(stroke())
            assert refused.value.code == "board_not_allowed"

            cleared = await olga.request({"type": "board_clear"})
            assert cleared["removed"] == 1
            await anya_again.wait_for("board_removed", lambda e: e["seqs"] == [2])
        async with lesson.joined("vera") as (_, vera_again):
            assert vera_again["board"] == {"shown": True, "allowed": "none", "pages": {}, "seq": 2}


async def test_a_called_pupil_who_leaves_is_called_no_more(lesson: Lesson) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("boris") as (boris, _):
        async with lesson.joined("anya") as (anya, anya_joined):
            await olga.request({"type": "board_allow", "who": anya_joined["self"]["id"]})
            await anya.request(stroke())
            await anya.request({"type": "leave"})
        settings = {"type": "board_settings", "shown": False, "allowed": "none", "by": None}
        assert await boris.wait_for("board_settings", lambda e: e["by"] is None) == settings
        async with lesson.joined("anya") as (anya, back):
            assert back["board"]["allowed"] == "none"
            assert [s["by"] for s in back["board"]["pages"]["blank"]] == [anya_joined["self"]["id"]]
            with pytest.raises(SignalError) as refused:
                await anya.request(stroke())
            assert refused.value.code == "board_not_allowed"


async def test_a_full_board_is_refused_until_cleared(lesson: Lesson) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, anya_joined):
        await olga.request({"type": "board_allow", "who": "all"})
        longest = [float(i % 700) for i in range(b.MAX_STROKE_POINTS)]  # 1000 points
        for _ in range(b.MAX_POINTS // 1000):
            await anya.request(stroke(longest))
        with pytest.raises(SignalError) as full:
            await anya.request(stroke([1, 2]))
        assert full.value.code == "board_full"
        with pytest.raises(SignalError) as full:
            await olga.request(stroke([1, 2]))  # the teacher too: the bound is the room's
        assert full.value.code == "board_full"
        # A late joiner and a reconnecting page get the whole board, in messages of
        # bounded size (it was one `joined` of 2.6 MB).
        whole = lesson.server.state.rooms.moderation(lesson.id).board.to_dict()
        assert len(json.dumps(whole)) > 2_500_000
        frames, late = await raw_join(lesson, await lesson.room_token("boris"))
        assert late == whole["pages"]
        assert max(frames) < b.PART_BYTES + 8_000  # the strokes' part and joined's own fields
        assert len(frames) >= 2_500_000 // b.PART_BYTES
        await anya.close()
        resume = {"resumeToken": anya_joined["resumeToken"]}
        frames, back = await raw_join(lesson, await lesson.room_token("anya"), resume)
        assert back == whole["pages"] and max(frames) < b.PART_BYTES + 8_000
        assert (await olga.request({"type": "board_clear"}))["removed"] == 200
        assert (await olga.request(stroke([1, 2])))["seq"] == 201


async def raw_join(
    lesson: Lesson, token: str, extra: dict[str, Any] | None = None
) -> tuple[list[int], dict[str, list[dict[str, Any]]]]:
    """Joins on a bare websocket: the sizes of the frames up to the board's last part, and
    the board's pages put together from `joined` and the `board_strokes` that follow it."""
    ws = await lesson.http.ws_connect(lesson.server.url.replace("http", "ws") + "/ws")
    try:
        await ws.send_json({"type": "join", "id": 1, "token": token, **(extra or {})})
        frames: list[int] = []
        pages: dict[str, list[dict[str, Any]]] = {}
        more = None
        while more != 0:
            frame = await ws.receive_str(timeout=10)
            frames.append(len(frame))
            message = json.loads(frame)
            assert message["type"] != "error", message
            if message["type"] == "joined":
                message = message["board"]
            elif message["type"] != "board_strokes":
                continue
            for page, strokes in message["pages"].items():
                pages.setdefault(page, []).extend(strokes)
            more = message.get("more", 0)
        return frames, pages
    finally:
        await ws.close()


BAD_REQUESTS = [
    (stroke(tool="spray"), "board_stroke_invalid"),
    (stroke(color="#123456"), "board_stroke_invalid"),
    (stroke(width=100), "board_stroke_invalid"),
    (stroke([1, 2, 3]), "board_stroke_invalid"),
    (stroke([0.5] * (b.MAX_STROKE_POINTS + 2)), "board_stroke_invalid"),
    (stroke([1, "2"]), "board_stroke_invalid"),
    (stroke([1, 2], tool="text", text="x" * (b.MAX_TEXT + 1)), "board_stroke_invalid"),
    (stroke(page={"materialId": "m1", "page": 0}), "board_stroke_invalid"),
    (stroke(width="3"), "bad_message"),
    (stroke(points="1,2"), "bad_message"),
    (stroke(page=7), "bad_message"),
    (stroke(text=5), "bad_message"),
    ({"type": "board_undo", "seq": 0}, "bad_message"),
    ({"type": "board_undo", "seq": 99}, "board_stroke_invalid"),
    ({"type": "board_allow", "who": 3}, "bad_message"),
    ({"type": "board_allow", "who": "p_nobody"}, "bad_message"),
    ({"type": "board_show", "shown": "yes"}, "bad_message"),
    ({"type": "board_clear", "page": 4}, "bad_message"),
    ({"type": "board_clear", "page": {"materialId": ""}}, "bad_message"),
]


@pytest.mark.parametrize(("message", "code"), BAD_REQUESTS)
async def test_a_bad_request_gets_its_code_and_the_board_stays(
    lesson: Lesson, message: dict[str, Any], code: str
) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        await olga.request(stroke())
        with pytest.raises(SignalError) as refused:
            await olga.request(message)
        assert refused.value.code == code
        # The room works on: the next stroke is the next number, everyone gets it.
        assert (await olga.request(stroke([5, 5])))["seq"] == 2
        await anya.wait_for("board_stroke", lambda e: e["stroke"]["seq"] == 2)
        async with lesson.joined("boris") as (_, late):
            assert [s["seq"] for s in late["board"]["pages"]["blank"]] == [1, 2]


async def test_each_board_change_is_in_the_recordings_timeline(lesson: Lesson) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        page = {"materialId": "m1", "page": 2}
        await olga.request(stroke(page=page))
        started = await olga.request({"type": "start_recording"})
        await olga.request(stroke(tool="highlighter", color="#fdd835"))
        await olga.request({"type": "board_undo"})
        await olga.request({"type": "board_clear"})
        await anya.wait_for("board_removed", lambda e: e["seqs"] == [1])
        await olga.request({"type": "stop_recording"})
    recordings = lesson.server.state.recordings
    assert recordings is not None
    directory = session_folder(Path(recordings), lesson.id) / started["recordingId"]
    events = [e for e in read_timeline(directory) if e["type"].startswith("board")]
    # The board as it was when recording began, then every change, each with its time.
    assert [(e["type"], e.get("seqs")) for e in events] == [
        ("board", None),
        ("board_stroke", None),
        ("board_removed", [2]),
        ("board_removed", [1]),
    ]
    assert list(events[0]["board"]["pages"]) == ["m1:2"]
    assert events[1]["stroke"]["tool"] == "highlighter"
    assert all(isinstance(e["at"], float) for e in events)
