"""What the SFU says to a participant still joining waits for their `joined`; an event's
audience is counted apart from its stage, and told its count at most once a second."""

from __future__ import annotations

import asyncio
from typing import Any

from classroom.moderation import Waiting
from classroom.roles import Grants, Role
from classroom.roster import Participant, Roster
from signaling.rooms import AUDIENCE_EVERY, LiveRooms


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


def watcher(pid: str) -> Participant:
    return Participant(pid, f"i-{pid}", pid, Role.GUEST, Grants(publish=False))


def test_an_audience_is_counted_apart_from_the_stage_and_fills_on_its_own() -> None:
    roster = Roster("r", max_participants=2, max_audience=3)
    performer = Participant("p_1", "i-1", "Маша", Role.PUPIL, Grants(publish=True))
    teacher = Participant("p_2", "i-2", "Ольга", Role.TEACHER, Grants(moderate=True))
    for person in (performer, teacher, watcher("p_3"), watcher("p_4")):
        roster.add(person)
    assert [p.id for p in roster.stage()] == ["p_1", "p_2"]
    assert [p.id for p in roster.stage(but="p_1")] == ["p_2"]
    assert roster.audience_count == 2
    assert roster.full_for(audience=False)  # two on the stage: its limit
    assert not roster.full_for(audience=True)  # the audience has room for one more
    roster.add(watcher("p_5"))
    assert roster.full_for(audience=True)


async def test_the_audience_count_is_sent_once_a_second_however_many_arrive() -> None:
    rooms = LiveRooms(max_participants=10)
    roster = rooms.roster("r")
    session = Recorder()
    rooms.attach("r", "p_1", session)  # type: ignore[arg-type]
    for n in range(50):
        roster.add(watcher(f"w_{n}"))
        rooms.audience_changed("r")
    assert session.sent == []
    await asyncio.sleep(AUDIENCE_EVERY + 0.2)
    assert session.sent == [{"type": "audience", "count": 50}]
    roster.remove("w_0")
    rooms.audience_changed("r")
    await asyncio.sleep(AUDIENCE_EVERY + 0.2)
    assert session.sent[-1] == {"type": "audience", "count": 49}


def test_the_active_speaker_is_told_to_the_stage_and_remembered_for_joins() -> None:
    rooms = LiveRooms(max_participants=10)
    roster = rooms.roster("r")
    teacher = Participant("p_1", "i-1", "Ольга", Role.TEACHER, Grants(moderate=True))
    pupil = Participant("p_2", "i-2", "Маша", Role.PUPIL, Grants(publish=True))
    sessions: dict[str, Recorder] = {}
    for person in (teacher, pupil, watcher("w_1")):
        roster.add(person)
        sessions[person.id] = Recorder()
        rooms.attach("r", person.id, sessions[person.id])  # type: ignore[arg-type]
    rooms.active_speaker("r", "p_2")
    assert rooms.speaker("r") == "p_2"
    rooms.active_speaker("r", None)
    assert rooms.speaker("r") is None
    told = [{"type": "active_speaker", "participantId": p} for p in ("p_2", None)]
    assert sessions["p_1"].sent == told
    assert sessions["p_2"].sent == told
    assert sessions["w_1"].sent == []  # the audience's page shows no one's tile
    rooms.active_speaker("gone", "p_9")  # a room signalling has forgotten: nobody to tell
    rooms.active_speaker("r", "p_1")
    for pid in ("p_1", "p_2", "w_1"):
        rooms.detach("r", pid)
    assert rooms.get("r") is None  # forgotten with the room


async def test_a_room_is_kept_while_anything_of_it_is_left_and_then_forgotten() -> None:
    rooms = LiveRooms(max_participants=10)
    teacher = Participant("p_1", "i-1", "Ольга", Role.TEACHER, Grants(moderate=True))
    rooms.roster("r").add(teacher)
    rooms.attach("r", "p_1", Recorder())  # type: ignore[arg-type]
    lobby = Recorder()
    rooms.enter_lobby("r", "p_2", lobby)  # type: ignore[arg-type]
    rooms.moderation("r").removed.add("i-9")
    async with rooms.lock("r"):
        assert rooms.detach("r", "p_1")  # the last one out: the room is empty...
    rooms.release_lock("r")
    assert rooms.present("r") is None
    assert rooms.lobby("r") == {"p_2": lobby}  # ...but its lobby and removals stay
    assert "i-9" in rooms.moderation("r").removed
    assert rooms.leave_lobby("r", "p_2") is lobby
    assert rooms.get("r") is not None  # the removals outlive it while the session goes on
    rooms.forget_room("r")  # the session ended
    assert rooms.get("r") is None
    waiting = Recorder()
    rooms.wait_for_start("s", waiting)  # type: ignore[arg-type]
    assert rooms.started("s") == [waiting] and rooms.started("s") == []
    assert rooms.get("s") is None


def test_the_lobby_lets_in_and_out_and_an_ended_room_stays_ended() -> None:
    rooms = LiveRooms(max_participants=10)
    for pid, identity in (("p_1", "i-1"), ("p_2", "i-2")):
        rooms.moderation("r").lobby[pid] = Waiting(pid, identity, pid, 0.0)
        rooms.enter_lobby("r", pid, Recorder())  # type: ignore[arg-type]
    assert [w["id"] for w in rooms.waiting("r")] == ["p_1", "p_2"]
    assert rooms.leave_lobby("r", "p_1", admitted=True) is not None
    assert rooms.moderation("r").admitted == {"i-1"}  # the lock will not keep them out
    assert [w["id"] for w in rooms.waiting("r")] == ["p_2"]
    rooms.forget_room("r")  # the session ended with p_2 still waiting
    assert rooms.leave_lobby("r", "p_2") is None  # its socket closes afterwards...
    assert rooms.waiting("r") == []
    assert rooms.get("r") is None  # ...and makes nothing of the room again
