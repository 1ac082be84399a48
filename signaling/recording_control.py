"""Starting and stopping a room's recording: for a host's WebSocket request and for REST."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recording.sidecar import session_folder
from recording.timeline import Timeline
from sfu.errors import Unavailable

from .errors import NOT_RECORDING, RECORDING_UNAVAILABLE, ProtocolError
from .kept_materials import keep_shown_material

if TYPE_CHECKING:
    from .server_state import ServerState


async def begin(state: ServerState, room: str, started_by: str) -> str:
    """Record `room` from now on (the same recording if it already records); its id.

    Everyone in the room is told (`recording`), and the room's events go to its timeline."""
    # Asked first: from the check below to taking the recording, nothing else runs.
    title = await state.record.title(room) if state.record is not None else None
    moderation = state.rooms.moderation(room)
    if moderation.recording is not None:
        return moderation.recording
    if state.recordings is None:
        raise ProtocolError(RECORDING_UNAVAILABLE, "this server does not record")
    recording_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
    directory = session_folder(state.recordings, room) / recording_id
    options: dict[str, Any] = {
        "directory": str(directory),
        "session": {
            "room": room,
            "recording": recording_id,
            "title": title,
            "started_by": started_by,
        },
    }
    if state.router.node:
        # On storage a district shares, who writes it: another node repairs it if this dies.
        options["session"]["node"] = state.router.node
    moderation.recording = recording_id  # taken before the await: one recording per room
    try:
        await state.sfu.start_recording(room, options)
    except BaseException as error:
        moderation.recording = None
        if isinstance(error, Unavailable):
            raise ProtocolError(RECORDING_UNAVAILABLE, str(error)) from error
        raise
    state.rooms.start_timeline(room, Timeline(Path(directory)))
    if moderation.showing is not None:  # on the stage already: the recording keeps it too
        keep_shown_material(state, room, moderation.showing.material.id)
    state.rooms.broadcast(room, {"type": "recording", "on": True})
    return recording_id


async def finish(state: ServerState, room: str) -> tuple[str, int]:
    """Stop recording `room`: (its id, how many tracks it wrote); NOT_RECORDING if it was not."""
    moderation = state.rooms.moderation(room)
    recording_id = moderation.recording
    if recording_id is None:
        raise ProtocolError(NOT_RECORDING, "the room is not being recorded")
    moderation.recording = None
    summary = await state.sfu.stop_recording(room)
    state.rooms.broadcast(room, {"type": "recording", "on": False})
    state.rooms.end_timeline(room)
    state.recording_finished(room, recording_id)
    return recording_id, len(summary.get("tracks", []))
