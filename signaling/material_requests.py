"""A host shows a material on everyone's stage and turns its pages: `material_show`,
`material_page`, `material_zoom`, `material_stop` (docs/protocol.md, "Materials").

Every change goes to the whole room as one `material` message carrying the material as it is
now shown (or null), so a page that missed one is right again at the next; a late joiner or
a reconnecting page finds it in `joined`. The room's timeline records each message like any
other room event, so a recording's playback knows which page was on the stage when. The state
is the room's (`RoomModeration.showing`); which materials a room may show, the classroom's.
Each handler is `(session, request, me, room)`, as `hosting.HANDLERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classroom.errors import ClassroomError
from classroom.roster import Participant
from classroom.showing import Showing, ShowingError

from . import protocol
from .errors import (
    BAD_MESSAGE,
    MATERIAL_NOT_FOUND,
    NO_MATERIAL,
    NOT_HOST,
    PAGE_OUT_OF_RANGE,
    ProtocolError,
)
from .hosting import Handler
from .kept_materials import keep_shown_material

if TYPE_CHECKING:
    from .rooms import LiveRooms
    from .session import Session


def _host(me: Participant) -> None:
    if not me.grants.moderate:
        raise ProtocolError(NOT_HOST, "only the session's hosts show materials and turn pages")


def _showing(session: Session, room: str) -> Showing:
    showing = session.state.rooms.moderation(room).showing
    if showing is None:
        raise ProtocolError(NO_MATERIAL, "no material is shown: send material_show first")
    return showing


def broadcast_material(session: Session, room: str, by: str | None) -> None:
    """The room's material as it is now shown (null: none), to everyone and the timeline."""
    _broadcast(session.state.rooms, room, by)


def _broadcast(rooms: LiveRooms, room: str, by: str | None) -> None:
    showing = rooms.moderation(room).showing
    rooms.broadcast(
        room,
        {
            "type": "material",
            "material": showing.to_dict() if showing is not None else None,
            "by": by,
        },
    )


async def material_show(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    materials = session.state.materials
    if materials is None:
        raise ProtocolError(MATERIAL_NOT_FOUND, "this server keeps no materials")
    try:
        material = await materials.room_material(room, request.body["materialId"])
    except ClassroomError as exc:
        raise ProtocolError(
            MATERIAL_NOT_FOUND, "no such material among this lesson's class's materials"
        ) from exc
    showing = Showing(material)
    try:
        showing.turn(request.body.get("page") or 1)
    except ShowingError as exc:
        raise ProtocolError(PAGE_OUT_OF_RANGE, str(exc)) from exc
    session.state.rooms.moderation(room).showing = showing
    session.send({"type": "ok", "id": request.id, "material": showing.to_dict()})
    broadcast_material(session, room, me.id)
    keep_shown_material(session.state, room, material.id)


async def material_page(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    showing = _showing(session, room)
    try:
        showing.turn(request.body["page"])
    except ShowingError as exc:
        raise ProtocolError(PAGE_OUT_OF_RANGE, str(exc)) from exc
    session.send({"type": "ok", "id": request.id, "page": showing.page})
    broadcast_material(session, room, me.id)


async def material_zoom(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    showing = _showing(session, room)
    try:
        showing.set_zoom(request.body["zoom"])
    except ShowingError as exc:
        raise ProtocolError(BAD_MESSAGE, str(exc)) from exc
    session.send({"type": "ok", "id": request.id, "zoom": showing.zoom})
    broadcast_material(session, room, me.id)


async def material_stop(
    session: Session, request: protocol.Request, me: Participant, room: str
) -> None:
    _host(me)
    moderation = session.state.rooms.moderation(room)
    was_shown = moderation.showing is not None
    moderation.showing = None
    session.send({"type": "ok", "id": request.id})
    if was_shown:
        broadcast_material(session, room, me.id)


def material_deleted(rooms: LiveRooms, material_id: str) -> list[str]:
    """A teacher deleted the material: the rooms of this node showing it stop, as if their
    host had sent `material_stop` (`"by": null`, the server's doing), so no page keeps a
    stage whose file is gone. Returns those rooms."""
    stopped = rooms.showing(material_id)
    for room in stopped:
        rooms.moderation(room).showing = None
        _broadcast(rooms, room, None)
    return stopped


HANDLERS: dict[str, Handler] = {
    "material_show": material_show,
    "material_page": material_page,
    "material_zoom": material_zoom,
    "material_stop": material_stop,
}
