"""The whiteboard's messages: `board_stroke`, `board_undo`, `board_clear`, `board_allow`,
`board_show` (docs/protocol.md, "Whiteboard").

The state and its rules are `classroom.board.Board`, kept in the room's moderation (so it
lives as long as the room's material does); here the sender is checked, and each change is
broadcast to the whole room, which also writes it to the recording's timeline, as materials'
page turns are. A joiner and a reconnecting page get the whole board in `joined` and, when
it is large, in the `board_strokes` parts right behind it (`Board.parts`). While breakout
groups run, each group has a board of its own (`Breakout.board`): a sender in a group
draws on it, and only the group hears of it (breakout_scope.tell_scope).
Each handler is `(session, request, me, room)`, as `hosting.HANDLERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from classroom.board import NOT_ALLOWED, Board, BoardError, page_key
from classroom.roster import Participant

from . import breakout_scope, protocol
from .errors import BAD_MESSAGE, NOT_HOST, ProtocolError
from .hosting import Handler

if TYPE_CHECKING:
    from .session import Session


def _board(session: Session, room: str, me: Participant) -> Board:
    """The room's board, or while breakout groups run the sender's group's."""
    return breakout_scope.board_of(session.state, room, me)


def _tell(session: Session, room: str, me: Participant, message: dict[str, Any]) -> None:
    """To those who see the sender's board: the room, or the sender's group."""
    breakout_scope.tell_scope(session.state, room, me, message)


def _host(me: Participant) -> None:
    if not me.grants.moderate:
        raise ProtocolError(NOT_HOST, "only the session's hosts clear the board and say who draws")


def _may_draw(board: Board, me: Participant) -> None:
    if not board.may_draw(me.id, me.grants.moderate, me.audience):
        raise ProtocolError(NOT_ALLOWED, "the teacher has not let you draw on the board")


def _settings(session: Session, room: str, me: Participant) -> None:
    board = _board(session, room, me)
    _tell(
        session,
        room,
        me,
        {"type": "board_settings", "shown": board.shown, "allowed": board.allowed, "by": me.id},
    )


async def board_stroke(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    board = _board(session, room, me)
    _may_draw(board, me)
    try:
        stroke = board.add(me.id, request.body)
    except BoardError as exc:
        raise ProtocolError(exc.code, exc.message) from exc
    session.send({"type": "ok", "id": request.id, "seq": stroke.seq})
    # To the sender too: every page draws the strokes in the server's order.
    _tell(session, room, me, {"type": "board_stroke", "stroke": stroke.to_dict()})


async def board_undo(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """Without `seq`: the sender's last stroke; with it: that stroke (the eraser that takes
    away the stroke it touches): a host's any, a pupil's their own."""
    board = _board(session, room, me)
    _may_draw(board, me)
    seq = request.body.get("seq")
    try:
        stroke = board.undo(me.id) if seq is None else board.erase(seq, me.id, me.grants.moderate)
    except BoardError as exc:
        raise ProtocolError(exc.code, exc.message) from exc
    session.send({"type": "ok", "id": request.id, "seq": stroke.seq})
    _tell(session, room, me, {"type": "board_removed", "seqs": [stroke.seq], "by": me.id})


async def board_clear(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host clears one page (`page`), or the whole board."""
    _host(me)
    page = request.body.get("page")
    try:
        key = page_key(page) if page is not None else None
    except BoardError as exc:
        raise ProtocolError(BAD_MESSAGE, exc.message) from exc
    gone = _board(session, room, me).clear(key)
    session.send({"type": "ok", "id": request.id, "removed": len(gone)})
    if gone:
        _tell(session, room, me, {"type": "board_removed", "seqs": gone, "by": me.id})


async def board_allow(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host lets nobody ("none"), every pupil ("all") or one participant draw."""
    _host(me)
    who = request.body["who"]
    if who not in ("none", "all"):
        other = session.state.rooms.roster(room).participants.get(who)
        if other is None or other.audience:
            raise ProtocolError(BAD_MESSAGE, f"no participant {who!r} in this room to call")
    _board(session, room, me).allow(who)
    session.send({"type": "ok", "id": request.id, "allowed": who})
    _settings(session, room, me)


async def board_show(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    """A host opens (or closes) the blank board on everyone's stage."""
    _host(me)
    board = _board(session, room, me)
    board.shown = request.body["shown"]
    session.send({"type": "ok", "id": request.id, "shown": board.shown})
    _settings(session, room, me)


HANDLERS: dict[str, Handler] = {
    "board_stroke": board_stroke,
    "board_undo": board_undo,
    "board_clear": board_clear,
    "board_allow": board_allow,
    "board_show": board_show,
}
