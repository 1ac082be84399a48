"""What a participant asks of their own media and the room's chat: publish, answer the
server's offer, stop or mute a track, say something, choose whom to receive and at what
size. Each handler is `(session, request, me, room)`, as `hosting.HANDLERS`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from classroom.breakout import narrowed
from classroom.roster import ChatMessage, Participant

from . import breakout_scope, hosting, protocol
from .errors import BAD_MESSAGE, NOT_ALLOWED, ProtocolError

if TYPE_CHECKING:
    from .session import Session


def _ok(session: Session, request: protocol.Request) -> None:
    session.send({"type": "ok", "id": request.id})


def _track(me: Participant, source: str) -> dict[str, Any]:
    track = me.track_by_source(source)
    if track is None:
        raise ProtocolError(BAD_MESSAGE, f"nothing is published from source {source!r}")
    return track


async def publish(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    if not me.grants.publish:
        raise ProtocolError(NOT_ALLOWED, "this token may not publish media")
    state = session.state
    sources = {t["mid"]: t["source"] for t in request.body["tracks"]}
    result = await state.sfu.publish(room, me.id, request.body["sdp"], sources, music=me.music)
    session.send({"type": "publish_answer", "id": request.id, "sdp": result["answer"]})
    for track_id in result["removed"]:
        removed = me.tracks.pop(track_id, None)
        state.rooms.broadcast(
            room, {"type": "track_removed", "participantId": me.id, "trackId": track_id}
        )
        if removed is not None and removed["source"] == "screen":
            hosting.screen_stopped(session, room, me.id)
    locked = me.identity in state.rooms.moderation(room).mic_locked
    for track in result["added"]:
        if locked and track["source"] == "microphone":
            # Muted by a host without leave to unmute: a republished microphone stays muted.
            await state.sfu.set_muted(room, me.id, track["id"], True)
            track["muted"] = True
        me.tracks[track["id"]] = track
        state.rooms.broadcast(room, {"type": "track_added", "participantId": me.id, "track": track})


async def subscribe_answer(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    await session.state.sfu.subscribe_answer(room, me.id, request.body["sdp"])
    if request.id is not None:
        _ok(session, request)


async def unpublish(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    track = _track(me, request.body["source"])
    await session.state.sfu.unpublish(room, me.id, track["id"])
    me.tracks.pop(track["id"], None)
    _ok(session, request)
    session.state.rooms.broadcast(
        room, {"type": "track_removed", "participantId": me.id, "trackId": track["id"]}
    )
    if track["source"] == "screen":
        hosting.screen_stopped(session, room, me.id)


async def mute(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    track = _track(me, request.body["source"])
    muted = request.body["muted"]
    state = session.state
    if (
        not muted
        and request.body["source"] == "microphone"
        and me.identity in state.rooms.moderation(room).mic_locked
    ):
        raise ProtocolError(NOT_ALLOWED, "the teacher muted you; raise your hand to ask to speak")
    await state.sfu.set_muted(room, me.id, track["id"], muted)
    track["muted"] = muted
    _ok(session, request)
    state.rooms.broadcast(
        room,
        {"type": "track_muted", "participantId": me.id, "trackId": track["id"], "muted": muted},
    )


async def chat(session: Session, request: protocol.Request, me: Participant, room: str) -> None:
    state = session.state
    text, ts = request.body["text"].strip(), time.time()
    if breakout_scope.scoped(state, room, me):
        _ok(session, request)
        breakout_scope.chat(state, room, me, text, ts)  # within the sender's group
        return
    message = ChatMessage(me.id, me.name, text, ts)
    if state.record is not None:
        await state.record.said(room, me.identity, me.name, message.text, message.ts)
    state.rooms.roster(room).chat.append(message)
    _ok(session, request)
    state.rooms.broadcast(room, message.to_dict())


async def set_subscriptions(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    me.receives_from = request.body["identities"]
    me.receives_video_from = request.body.get("video")
    roster = session.state.rooms.roster(room)
    # While breakout groups run, what the page asks for within its group.
    breakout = breakout_scope.running(session.state, room)
    await session.state.sfu.set_subscriptions(room, me.id, *narrowed(roster, me, breakout))
    _ok(session, request)


async def set_video_sizes(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    sizes = {track: (size[0], size[1]) for track, size in request.body["sizes"].items()}
    await session.state.sfu.set_video_sizes(room, me.id, sizes)
    _ok(session, request)


HANDLERS: dict[str, hosting.Handler] = {
    "publish_offer": publish,
    "subscribe_answer": subscribe_answer,
    "unpublish": unpublish,
    "mute": mute,
    "chat": chat,
    "set_subscriptions": set_subscriptions,
    "set_video_sizes": set_video_sizes,
}
