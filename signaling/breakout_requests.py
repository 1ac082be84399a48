"""Breakout groups in a live lesson: `breakout_start`, `breakout_choose`, `breakout_move`,
`breakout_visit`, `breakout_speak`, `breakout_extend`, `breakout_end` (docs/protocol.md,
"Breakout groups").

The groups are partitions of the one live room (classroom/breakout.py says why): nobody's
page opens a new connection. Each change recomputes, for everyone in the room, whose media
the SFU forwards to them (what their page asked for, narrowed to their group) and tells the
SFU only where that changed; then everyone receives one `breakout` message with the whole
state, which also goes into the recording's timeline. The groups end by themselves at their
time: a task owned by the room (`LiveRoom.breakout_timer`) ends them, and is cancelled when
they end early, are given more time, or the room closes. Changes take the room's lock, as
joins do, so a join never sees half a change.
Each handler is `(session, request, me, room)`, as `hosting.HANDLERS`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from classroom.breakout import (
    MAX_SECONDS,
    NOT_ALLOWED,
    NOT_RUNNING,
    RUNNING,
    Breakout,
    BreakoutError,
    narrowed,
)
from classroom.roster import Participant
from sfu.errors import SfuError

from . import protocol
from .breakout_scope import board_of, running
from .errors import BAD_MESSAGE, ProtocolError
from .hosting import Handler

if TYPE_CHECKING:
    from .server_state import ServerState
    from .session import Session

logger = logging.getLogger(__name__)

_random = random.Random()

Subscriptions = dict[str, tuple[list[str] | None, list[str] | None]]


def _host(me: Participant) -> None:
    if not me.grants.moderate:
        raise ProtocolError(NOT_ALLOWED, "only the session's hosts run breakout groups")


def _running(state: ServerState, room: str) -> Breakout:
    breakout = running(state, room)
    if breakout is None:
        raise ProtocolError(NOT_RUNNING, "no breakout groups are running")
    return breakout


def _seconds(state: ServerState, value: Any) -> float:
    low = state.breakout_min_seconds
    if not low <= value <= MAX_SECONDS:
        raise ProtocolError(
            BAD_MESSAGE, f"'seconds' must be from {low:g} to {MAX_SECONDS} (two hours)"
        )
    return float(value)


def _group(number: Any) -> int | None:
    """A group's number on the wire (from 1) as the model's index; null: the main room."""
    return None if number is None else int(number) - 1


def _scopes(state: ServerState, room: str) -> dict[str, int | None]:
    roster = state.rooms.present(room)
    breakout = running(state, room)
    if roster is None or breakout is None:
        return {}
    return {
        p.id: breakout.scope(p.identity, p.grants.moderate) for p in roster.participants.values()
    }


def _subscriptions(state: ServerState, room: str) -> Subscriptions:
    roster = state.rooms.present(room)
    if roster is None:
        return {}
    breakout = running(state, room)
    return {p.id: narrowed(roster, p, breakout) for p in roster.participants.values()}


async def _change(state: ServerState, room: str, change: Callable[[], Any]) -> Any:
    """Apply `change` to the room's breakout state, then give each participant whose media
    changed with it their new subscriptions (at the SFU; nothing is renegotiated for the
    others). Returns what `change` returned."""
    before, scopes = _subscriptions(state, room), _scopes(state, room)
    try:
        result = change()
    except BreakoutError as exc:
        raise ProtocolError(exc.code, exc.message) from exc
    after, moved = _subscriptions(state, room), _scopes(state, room)
    roster = state.rooms.present(room)
    for participant_id, now in after.items():
        if before.get(participant_id) != now:
            try:
                await state.sfu.set_subscriptions(room, participant_id, *now)
            except SfuError:  # leaving as we speak: the others still get theirs
                logger.info("%s left %s before its breakout subscriptions", participant_id, room)
        # Into another group (or back): the whiteboard there replaces the one they saw.
        me = roster.participants.get(participant_id) if roster is not None else None
        peer = state.rooms.session(room, participant_id)
        if me is not None and peer is not None and scopes.get(me.id) != moved.get(me.id):
            board, parts = board_of(state, room, me).parts()  # a large one as `joined` sends it
            peer.send({"type": "board", "board": board})
            for part in parts:
                peer.send(part)
    return result


def _tell(state: ServerState, room: str, by: str | None, **extra: Any) -> None:
    breakout = running(state, room)
    state.rooms.broadcast(
        room,
        {
            "type": "breakout",
            "breakout": breakout.to_dict() if breakout is not None else None,
            "by": by,
            **extra,
        },
    )


def _arm(state: ServerState, room: str) -> None:
    """(Re)start the clock that ends the groups at their time."""
    live = state.rooms.get(room)
    breakout = running(state, room)
    if live is None or breakout is None:
        return
    live.stop_breakout_timer()

    async def ring() -> None:
        await asyncio.sleep(breakout.left(time.time()))
        try:
            async with state.rooms.lock(room):
                if running(state, room) is breakout:
                    await end(state, room, None, "time")
            state.rooms.release_lock(room)
        except Exception:
            logger.exception("ending the breakout groups of %s failed", room)

    live.breakout_timer = asyncio.get_running_loop().create_task(ring())


async def end(state: ServerState, room: str, by: str | None, reason: str) -> None:
    """Everyone back in the main lesson, receiving what their page asks for again."""
    live = state.rooms.get(room)
    if live is not None:
        live.stop_breakout_timer()

    def back() -> None:
        state.rooms.moderation(room).breakout = None

    await _change(state, room, back)
    _tell(state, room, by, reason=reason)


async def breakout_start(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """Groups by hand (`groups`: lists of identities), or `count` groups at random or
    for the pupils to choose (`mode`)."""
    _host(me)
    state = session.state
    body = request.body
    seconds = _seconds(state, body["seconds"])
    async with state.rooms.lock(room):
        if running(state, room) is not None:
            raise ProtocolError(RUNNING, "breakout groups are running: end them first")
        roster = state.rooms.roster(room)
        pupils = [p.identity for p in roster.stage() if not p.grants.moderate]
        now = time.time()

        def start() -> None:
            if body.get("groups") is not None:
                made = Breakout.by_hand(body["groups"], pupils, seconds, now)
            elif body["mode"] == "random":
                made = Breakout.randomly(body["count"], pupils, seconds, now, _random)
            else:
                made = Breakout.chosen(body["count"], pupils, seconds, now)
            state.rooms.moderation(room).breakout = made

        await _change(state, room, start)
        _arm(state, room)
        session.send({"type": "ok", "id": request.id, "breakout": _running(state, room).to_dict()})
        _tell(state, room, me.id)
    state.rooms.release_lock(room)


async def _regroup(
    session: Session,
    request: protocol.Request,
    me: Participant,
    room: str,
    change: Callable[[Breakout], bool],
) -> None:
    """Under the room's lock: `change` the running groups (it says whether anything moved),
    answer, and tell everyone the new state if it did."""
    state = session.state
    async with state.rooms.lock(room):
        breakout = _running(state, room)
        changed = await _change(state, room, lambda: change(breakout))
        session.send({"type": "ok", "id": request.id})
        if changed:
            _tell(state, room, me.id)
    state.rooms.release_lock(room)


async def breakout_choose(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A pupil goes to the group they chose (the host let pupils choose)."""
    if me.grants.moderate:
        raise ProtocolError(BAD_MESSAGE, "a host visits a group with breakout_visit")
    group = _group(request.body["group"])
    assert group is not None
    await _regroup(session, request, me, room, lambda b: b.choose(me.identity, group))


async def breakout_move(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host puts a pupil (one who came late too) into a group, or back into the main
    room (`group` null)."""
    _host(me)
    identity = request.body["identity"]
    group = _group(request.body["group"])
    roster = session.state.rooms.roster(room)

    def move(breakout: Breakout) -> bool:
        other = roster.by_identity(identity)  # looked at under the lock, as the move is made
        if other is None or other.grants.moderate or other.audience:
            raise ProtocolError(
                BAD_MESSAGE, f"no pupil {identity!r} in this room (hosts visit groups)"
            )
        return breakout.move(identity, group)

    await _regroup(session, request, me, room, move)


async def breakout_visit(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host goes to a group (sees and hears it, is seen and heard there), or back to the
    main room (`group` null)."""
    _host(me)
    group = _group(request.body["group"])
    await _regroup(session, request, me, room, lambda b: b.visit(me.identity, group))


async def breakout_speak(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host speaks to all groups at once (every group receives their camera and voice)."""
    _host(me)
    on = request.body["on"]
    await _regroup(session, request, me, room, lambda b: b.speak(me.identity, on))


async def breakout_extend(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    state = session.state
    seconds = _seconds(state, request.body["seconds"])
    async with state.rooms.lock(room):
        breakout = _running(state, room)
        breakout.extend(seconds, time.time())
        _arm(state, room)
        session.send({"type": "ok", "id": request.id, "endsAt": round(breakout.ends_at * 1000)})
        _tell(state, room, me.id)
    state.rooms.release_lock(room)


async def breakout_end(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    state = session.state
    async with state.rooms.lock(room):
        _running(state, room)
        await end(state, room, me.id, "ended")
        session.send({"type": "ok", "id": request.id})
    state.rooms.release_lock(room)


HANDLERS: dict[str, Handler] = {
    "breakout_start": breakout_start,
    "breakout_choose": breakout_choose,
    "breakout_move": breakout_move,
    "breakout_visit": breakout_visit,
    "breakout_speak": breakout_speak,
    "breakout_extend": breakout_extend,
    "breakout_end": breakout_end,
}
