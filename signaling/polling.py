"""Polls in the live room (issue 18 keeps them with the lesson): a host asks one (a quick
quiz when it has a correct option), everyone answers, the host closes it.

Who sees what: everyone sees the question; the counts go to the hosts, and to everyone when
the host shows them; who chose what, and a quiz's right option, only to the hosts until the
poll closes, when everyone hears the right option (each pupil's client knows its own
answer). Each poll and answer is kept with the session through `state.record`, so a room
that starts again asks its open polls again (`restore_open_polls`), and the school sees
them after the lesson.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from classroom import errors
from classroom.polls import Poll, PollError
from classroom.roster import Participant

from . import protocol
from .errors import NOT_HOST, ProtocolError

if TYPE_CHECKING:
    from .session import Session


def _host(me: Participant) -> None:
    if not me.grants.moderate:
        raise ProtocolError(NOT_HOST, "only the session's hosts may do this")


def _poll(session: Session, room: str, request: protocol.Request) -> Poll:
    poll = session.state.rooms.moderation(room).polls.get(request.body["pollId"])
    if poll is None:
        raise ProtocolError(
            errors.POLL_NOT_FOUND, f"no poll {request.body['pollId']!r} in this room"
        )
    return poll


def share_results(session: Session, room: str, poll: Poll) -> None:
    """Live results: who chose what to the hosts always, the counts to everyone when the
    poll shows them."""
    rooms = session.state.rooms
    roster = rooms.roster(room)
    for participant_id, peer in list(rooms.connections(room).items()):
        participant = roster.participants.get(participant_id)
        if participant is not None and participant.grants.moderate:
            peer.send({"type": "poll_results", **poll.host_results()})
        elif poll.show_results:
            peer.send({"type": "poll_results", **poll.results()})
    live = rooms.get(room)
    if poll.show_results and live is not None and live.timeline is not None:
        # The recording keeps what the class saw: the counts, never who chose what.
        live.timeline.add({"type": "poll_results", **poll.results()})


async def poll_create(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    body = request.body
    try:
        poll = Poll.create(
            "q_" + secrets.token_hex(8),
            body["question"],
            body["options"],
            body["multiple"],
            body["showResults"],
            body.get("correct"),
            asked_at=time.time(),
        )
    except PollError as exc:
        raise ProtocolError(exc.code, str(exc)) from exc
    if session.state.record is not None:
        await session.state.record.poll_asked(poll.record(room, me.identity))
    session.state.rooms.moderation(room).polls[poll.id] = poll
    _ok(session, request, pollId=poll.id)
    # Everyone (and the recording's timeline) sees the question; the hosts learn the right
    # option from their results.
    session.state.rooms.broadcast(room, {"type": "poll", "poll": poll.to_dict()})
    share_results(session, room, poll)


async def poll_answer(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    poll = _poll(session, room, request)
    try:
        answer = poll.answer(me.identity, request.body["choices"], me.name, time.time())
    except PollError as exc:
        raise ProtocolError(exc.code, str(exc)) from exc
    if session.state.record is not None:
        await session.state.record.poll_answered(room, answer)
    _ok(session, request)
    share_results(session, room, poll)


async def poll_close(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    poll = _poll(session, room, request)
    if not poll.closed:
        poll.closed = True
        if session.state.record is not None:
            await session.state.record.poll_closed(room, poll.id)
    _ok(session, request)
    closed: dict[str, Any] = {"type": "poll_closed", "pollId": poll.id}
    if poll.correct is not None:
        closed["correct"] = poll.correct
    session.state.rooms.broadcast(room, closed)
    share_results(session, room, poll)


async def restore_open_polls(session: Session, room: str) -> None:
    """A session's room that starts again asks its open polls again, with their answers."""
    record = session.state.record
    if record is None:
        return
    polls = session.state.rooms.moderation(room).polls
    for kept, answers in await record.open_polls(room):
        polls.setdefault(kept.id, Poll.restore(kept, answers))


def _ok(session: Session, request: protocol.Request, **extra: Any) -> None:
    session.send({"type": "ok", "id": request.id, **extra})
