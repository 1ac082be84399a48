"""Leaving a live room: by `leave`, by a host's removal or the session's end (`leave`
when the socket closes), or by dropping off (`go_away`: the place is kept for
`Absences.grace` seconds, then `expire` leaves as anyone does). `remove` takes a
participant out of the room and the SFU, closes the room with the last one, and tells
the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classroom.roster import Participant
from sfu.errors import SfuError

from . import hosting
from .absence import Away

if TYPE_CHECKING:
    from .session import Session


def may_come_back(session: Session) -> bool:
    """The socket closed by itself (no leave, no removal, no end): keep the place."""
    return (
        session.participant is not None
        and session.room is not None
        and not session.left
        and not session.closed_by_server
        and session.state.absences.grace > 0
    )


async def go_away(session: Session) -> None:
    assert session.participant is not None and session.room is not None
    session.left = True
    room, participant = session.room, session.participant
    rooms = session.state.rooms
    async with rooms.lock(room):
        try:
            await session.state.sfu.suspend_peer(room, participant.id)
        except SfuError:  # its room or SFU process is gone: nothing to come back to
            await remove(session, room, participant)
            await depart(session)
            return
        rooms.disconnect(room, participant.id)
        session.state.absences.add(
            Away(room, participant, session.resume_token, session),
            lambda away: expire(session, away),
        )
        rooms.broadcast(room, {"type": "participant_reconnecting", "participantId": participant.id})
    rooms.release_lock(room)


def expire(session: Session, away: Away) -> None:
    """Nobody came back within the grace period: leave as anyone does (tracked by the
    server's state, which awaits it before the classroom's store closes)."""

    async def leave() -> None:
        rooms = session.state.rooms
        async with rooms.lock(away.room):
            if session.state.absences.drop(away.room, away.participant.id) is None:
                return  # came back meanwhile
            await remove(session, away.room, away.participant)
        rooms.release_lock(away.room)
        await depart(session)

    session.state.spawn(leave())


async def depart(session: Session) -> None:
    """Close this session's attendance stay."""
    stay, session.stay = session.stay, None  # closed once, whoever else departs meanwhile
    if stay is not None and session.state.record is not None:
        await session.state.record.departed(stay)


async def leave(session: Session) -> None:
    if session.left:
        return
    session.left = True
    if session.starting is not None:
        session.state.rooms.stop_waiting(session.starting[1].room, session)
        session.starting = None
    if session.waiting is not None:
        _, claims, participant_id = session.waiting
        session.waiting = None
        session.state.rooms.leave_lobby(claims.room, participant_id)
        hosting.notify_lobby(session, claims.room)
    await depart(session)
    if session.participant is not None and session.room is not None:
        async with session.state.rooms.lock(session.room):
            await remove(session, session.room, session.participant)
        session.state.rooms.release_lock(session.room)


async def remove(session: Session, room: str, participant: Participant) -> None:
    try:
        await session.state.sfu.remove_peer(room, participant.id)
    except SfuError:
        pass  # the room (or its SFU process) is gone already: nothing left to release
    moderation = session.state.rooms.moderation(room)
    had_hand = participant.id in moderation.hands
    was_pinned = moderation.pinned == participant.id
    was_called = moderation.board.allowed == participant.id
    rooms = session.state.rooms
    emptied = rooms.detach(room, participant.id)
    if emptied:
        recording, moderation.recording = moderation.recording, None
        rooms.end_timeline(room)
        try:
            await session.state.sfu.close_room(room)  # which finishes its recording
        except SfuError:
            pass
        if recording is not None:
            session.state.recording_finished(room, recording)
    elif participant.audience:
        rooms.audience_changed(room)
    else:
        rooms.broadcast(room, {"type": "participant_left", "participantId": participant.id})
        if had_hand:
            hosting.broadcast_hands(session, room)
        if was_pinned:
            rooms.broadcast(room, {"type": "pinned", "participantId": None, "source": None})
        if was_called:  # the board is nobody's but the hosts' again (detach said so)
            board = moderation.board
            rooms.broadcast(
                room,
                {"type": "board_settings", "shown": board.shown, "allowed": "none", "by": None},
            )
    if participant.grants.moderate or emptied:
        await session.state.host_presence(room)
