"""What the SFU says to a participant still joining waits for their `joined`."""

from __future__ import annotations

from typing import Any

from signaling.rooms import LiveRooms


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def test_an_offer_for_a_participant_still_joining_is_held_until_joined() -> None:
    rooms = LiveRooms(max_participants=10)
    rooms.expect("r", "p_new")
    # The worker's event crossed the pipe before the add_peer reply resumed the join.
    rooms.subscribe_offer("r", "p_new", "v=0 offer", [{"mid": "0"}])
    rooms.video_quality("r", "p_new", "t_1", "reduced")
    session = Recorder()
    rooms.attach("r", "p_new", session)  # type: ignore[arg-type]
    assert session.sent == []  # not before `joined`
    held = rooms.arrived("r", "p_new")
    assert held == [
        {"type": "subscribe_offer", "sdp": "v=0 offer", "tracks": [{"mid": "0"}]},
        {"type": "video_quality", "trackId": "t_1", "quality": "reduced"},
    ]
    rooms.subscribe_offer("r", "p_new", "v=0 next", [])  # joined: straight to the session
    assert session.sent == [{"type": "subscribe_offer", "sdp": "v=0 next", "tracks": []}]
    assert rooms.arrived("r", "p_new") == []


def test_an_offer_for_nobody_known_is_dropped() -> None:
    rooms = LiveRooms(max_participants=10)
    rooms.subscribe_offer("r", "p_gone", "v=0", [])
    assert rooms.arrived("r", "p_gone") == []
