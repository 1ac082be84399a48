"""What a scope hears while breakout groups run (docs/protocol.md, "Breakout groups"): the
chat and the whiteboard of a group (or of the main room) reach that group only.

A person's scope is their group (a pupil put in one, a host visiting one) or the main room
(classroom/breakout.py). Pure routing of messages over the room's connections; the groups'
changes themselves are breakout_requests'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from classroom.board import Board
from classroom.breakout import Breakout
from classroom.roster import ChatMessage, Participant

if TYPE_CHECKING:
    from .server_state import ServerState


def running(state: ServerState, room: str) -> Breakout | None:
    live = state.rooms.get(room)
    return live.moderation.breakout if live is not None and live.moderation else None


def board_of(state: ServerState, room: str, me: Participant) -> Board:
    """The whiteboard `me` sees and draws on: their group's while they are in one (a pupil
    put there, a host visiting), else the room's."""
    breakout = running(state, room)
    scope = breakout.scope(me.identity, me.grants.moderate) if breakout is not None else None
    if breakout is None or scope is None:
        return state.rooms.moderation(room).board
    return breakout.board(scope)


def tell_scope(state: ServerState, room: str, me: Participant, message: dict[str, Any]) -> None:
    """To everyone who shares `me`'s scope (the whole room while no groups run). The room's
    timeline (the recording) takes what is said to the whole room or to its main room, not
    a group's."""
    breakout = running(state, room)
    if breakout is None:
        state.rooms.broadcast(room, message)
        return
    scope = breakout.scope(me.identity, me.grants.moderate)
    live = state.rooms.get(room)
    if scope is None and live is not None and live.timeline is not None:
        live.timeline.add(message)
    roster = state.rooms.roster(room)
    for person in roster.participants.values():
        if breakout.scope(person.identity, person.grants.moderate) == scope:
            peer = state.rooms.session(room, person.id)
            if peer is not None:
                peer.send(message)


def scoped(state: ServerState, room: str, me: Participant) -> bool:
    """Whether what `me` says in the chat stays within their scope: groups run, and they
    are not a host speaking to all (who is heard, and read, by everyone)."""
    breakout = running(state, room)
    return breakout is not None and me.identity not in breakout.speaking


def chat(state: ServerState, room: str, me: Participant, text: str, ts: float) -> None:
    """Say `text` within the sender's scope (`scoped`): their group (or the main room),
    and the hosts always. A group's chat goes into neither the recording's timeline nor
    the session's kept chat: both are shown to the whole class later."""
    breakout = running(state, room)
    assert breakout is not None
    roster = state.rooms.roster(room)
    host = me.grants.moderate
    scope = breakout.scope(me.identity, host)
    hearers = [
        p
        for p in roster.participants.values()
        if p.grants.moderate or breakout.scope(p.identity, p.grants.moderate) == scope
    ]
    seen_by = frozenset(p.identity for p in hearers)
    group = None if scope is None else scope + 1
    message = ChatMessage(me.id, me.name, text, ts, group=group, seen_by=seen_by)
    roster.chat.append(message)
    said = message.to_dict()
    if group is None:
        said["group"] = None  # the main room's, while groups run
    for person in hearers:
        peer = state.rooms.session(room, person.id)
        if peer is not None:
            peer.send(said)
