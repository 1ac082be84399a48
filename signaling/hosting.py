"""What a session's hosts (teachers, admins) and everyone else do to the room itself.

Hosts: mute one or all (at the SFU, so the media really stops), allow unmuting, remove,
lock, admit from or deny the lobby, pin, lower hands. Everyone: raise and lower their own
hand. The state lives in `classroom.moderation.RoomModeration`; this module applies it to
sockets and the SFU, and tells the room. Polls are `polling`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from classroom.roster import Participant

from . import polling, protocol, recording_control
from .errors import BAD_MESSAGE, NOT_HOST, ProtocolError

if TYPE_CHECKING:
    from .session import Session

CLOSE_REMOVED = 4003
"""Close code for someone a host removed or turned away from the lobby: do not reconnect."""

Handler = Callable[["Session", protocol.Request, Participant, str], Awaitable[None]]


def _host(me: Participant) -> None:
    if not me.grants.moderate:
        raise ProtocolError(NOT_HOST, "only the session's hosts may do this")


def _other(session: Session, room: str, request: protocol.Request) -> Participant:
    participant_id = request.body["participantId"]
    other = session.state.rooms.roster(room).participants.get(participant_id)
    if other is None:
        raise ProtocolError(BAD_MESSAGE, f"no participant {participant_id!r} in this room")
    return other


def _ok(session: Session, request: protocol.Request, **extra: Any) -> None:
    session.send({"type": "ok", "id": request.id, **extra})


def broadcast_hands(session: Session, room: str) -> None:
    hands = session.state.rooms.moderation(room).hands
    session.state.rooms.broadcast(room, {"type": "hands", "queue": list(hands)})


def notify_lobby(session: Session, room: str) -> None:
    """Tell every host who is waiting."""
    waiting = session.state.rooms.waiting(room)
    for host in session.state.rooms.hosts(room):
        host.send({"type": "lobby_changed", "waiting": waiting})


async def _mute_track(
    session: Session, room: str, target: Participant, source: str, allow_unmute: bool
) -> bool:
    """Mute `target`'s `source` at the SFU; False when nothing is published from it."""
    state = session.state
    moderation = state.rooms.moderation(room)
    if source == "microphone":
        if allow_unmute:
            moderation.mic_locked.discard(target.identity)
        else:
            moderation.mic_locked.add(target.identity)
    track = target.track_by_source(source)
    if track is not None and not track.get("muted"):
        await state.sfu.set_muted(room, target.id, track["id"], True)
        track["muted"] = True
        state.rooms.broadcast(
            room,
            {
                "type": "track_muted",
                "participantId": target.id,
                "trackId": track["id"],
                "muted": True,
            },
        )
    peer = state.rooms.session(room, target.id)
    if peer is not None:
        peer.send({"type": "muted_by_host", "source": source, "canUnmute": allow_unmute})
    return track is not None


async def mute_participant(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    target = _other(session, room, request)
    body = request.body
    muted = await _mute_track(session, room, target, body["source"], body["allowUnmute"])
    _ok(session, request, muted=muted)


async def mute_all(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    _host(me)
    count = 0
    for other in list(session.state.rooms.roster(room).participants.values()):
        if other.grants.moderate:
            continue  # hosts keep their voice: someone must still teach
        if await _mute_track(session, room, other, "microphone", request.body["allowUnmute"]):
            count += 1
    _ok(session, request, muted=count)


async def allow_unmute(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    target = _other(session, room, request)
    session.state.rooms.moderation(room).mic_locked.discard(target.identity)
    peer = session.state.rooms.session(room, target.id)
    if peer is not None:
        peer.send({"type": "unmute_allowed"})
    _ok(session, request)


async def remove_participant(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    target = _other(session, room, request)
    if target.id == me.id:
        raise ProtocolError(BAD_MESSAGE, "a host leaves with 'leave', not by removing themself")
    session.state.rooms.moderation(room).remove(target.identity, target.id)
    if session.state.record is not None:
        await session.state.record.removed(room, target.identity)
    peer = session.state.rooms.session(room, target.id)
    _ok(session, request)
    if peer is not None:
        peer.send({"type": "removed"})
        peer.close_soon(CLOSE_REMOVED)


async def lock_room(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    locked = request.body["locked"]
    session.state.rooms.moderation(room).locked = locked
    _ok(session, request)
    session.state.rooms.broadcast(room, {"type": "room_locked", "locked": locked})


async def admit(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    _host(me)
    rooms = session.state.rooms
    waiting = rooms.lobby(room)
    ids = list(waiting) if request.type == "admit_all" else [request.body["participantId"]]
    if request.type == "admit" and ids[0] not in waiting:
        raise ProtocolError(BAD_MESSAGE, f"no one with id {ids[0]!r} is in the lobby")
    for participant_id in ids:
        rooms.leave_lobby(room, participant_id, admitted=True)
        waiting[participant_id].admitted()
    _ok(session, request, admitted=len(ids))
    notify_lobby(session, room)


async def deny(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    _host(me)
    participant_id = request.body["participantId"]
    peer = session.state.rooms.leave_lobby(room, participant_id)
    if peer is None:
        raise ProtocolError(BAD_MESSAGE, f"no one with id {participant_id!r} is in the lobby")
    _ok(session, request)
    peer.send({"type": "lobby_denied"})
    peer.close_soon(CLOSE_REMOVED)
    notify_lobby(session, room)


async def raise_hand(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    changed = session.state.rooms.moderation(room).raise_hand(me.id)
    _ok(session, request)
    if changed:
        broadcast_hands(session, room)


async def lower_hand(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    moderation = session.state.rooms.moderation(room)
    target = request.body.get("participantId") or me.id
    if request.body.get("all"):
        _host(me)
        changed = moderation.lower_all()
    else:
        if target != me.id:
            _host(me)
        changed = moderation.lower_hand(target)
    _ok(session, request)
    if changed:
        broadcast_hands(session, room)


async def pin(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    """A host puts one tile on everyone's stage: a person's camera, or the screen they share."""
    _host(me)
    target = request.body["participantId"]
    source = request.body.get("source") or "camera"
    if target is not None:
        other = _other(session, room, request)
        if source == "screen" and other.track_by_source("screen") is None:
            raise ProtocolError(BAD_MESSAGE, f"{target!r} shares no screen")
    session.state.rooms.moderation(room).pin(target, source)
    _ok(session, request)
    broadcast_pin(session, room)


def broadcast_pin(session: Session, room: str) -> None:
    moderation = session.state.rooms.moderation(room)
    pinned = moderation.pinned
    source = moderation.pinned_source if pinned is not None else None
    session.state.rooms.broadcast(
        room, {"type": "pinned", "participantId": pinned, "source": source}
    )


def screen_stopped(session: Session, room: str, participant_id: str) -> None:
    """Someone's screen share ended: if it was pinned, everyone hears the pin is gone."""
    if session.state.rooms.moderation(room).unpin_screen(participant_id):
        broadcast_pin(session, room)


async def start_recording(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """Record the room from now on, into a directory of its own under the session's."""
    _host(me)
    recording_id = await recording_control.begin(session.state, room, me.identity)
    _ok(session, request, recordingId=recording_id)


async def stop_recording(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    recording_id, tracks = await recording_control.finish(session.state, room)
    _ok(session, request, recordingId=recording_id, tracks=tracks)


async def end_session(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """ "End for everyone": the session is over, its room closes for all (the host too)."""
    _host(me)
    _ok(session, request)
    await session.state.end_for_everyone(room)


HANDLERS: dict[str, Handler] = {
    "end_session": end_session,
    "start_recording": start_recording,
    "stop_recording": stop_recording,
    "poll_create": polling.poll_create,
    "poll_answer": polling.poll_answer,
    "poll_close": polling.poll_close,
    "mute_participant": mute_participant,
    "mute_all": mute_all,
    "allow_unmute": allow_unmute,
    "remove_participant": remove_participant,
    "lock_room": lock_room,
    "admit": admit,
    "admit_all": admit,
    "deny": deny,
    "raise_hand": raise_hand,
    "lower_hand": lower_hand,
    "pin": pin,
}
