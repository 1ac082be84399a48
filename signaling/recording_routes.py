"""The REST API of a session's recordings: list, look at, fetch the files of, and delete.

Who may: `Classroom.recordings_of` (the class's pupils and teachers, the school's admins, and
the class's parents when the school allows it; deleting is for teachers and admins). Files
are fetched with the same check, the token in `?token=` when a <video> element asks, and
aiohttp's FileResponse answers HTTP Range requests, so a player can seek.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError
from recording.compose import OUTPUT
from recording.composition import composition_state
from recording.remux import SUFFIXES, participant_tracks, playback_file
from recording.sidecar import origin, read_sidecar, recorded_tracks, session_folder
from recording.stage import material_file, material_ids
from recording.timeline import read_timeline

from .api_plumbing import (
    BODY,
    CLASSROOM,
    COMPOSITIONS,
    RECORDING_SWITCH,
    RECORDINGS,
    USER,
    Operation,
)
from .body import obj
from .errors import ProtocolError
from .recording_removal import remove_recording

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_CONTENT_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".pdf": "application/pdf"}


async def _folder(request: web.Request, delete: bool = False) -> Path:
    """The session's recordings folder, once the caller may see (or delete) them."""
    session = await request.app[CLASSROOM].recordings_of(
        request[USER], request.match_info["session_id"], delete=delete
    )
    return session_folder(request.app[RECORDINGS], session.id)


async def _recording(request: web.Request, delete: bool = False) -> Path:
    recording_id = request.match_info["recording_id"]
    directory = await _folder(request, delete) / recording_id
    # Ids are ours ("20261123-101500-a1b2c3"): anything else names no recording.
    if not set(recording_id) <= _ID_CHARS or not (directory / "recording.json").is_file():
        raise ClassroomError(errors.NOT_FOUND, "no such recording")
    return directory


def _summary(recording_id: str, content: dict[str, Any]) -> dict[str, Any]:
    tracks = [t for t in content.get("tracks", []) if isinstance(t, dict)]
    started, stopped = content.get("started"), content.get("stopped")
    return {
        "id": recording_id,
        "title": (content.get("session") or {}).get("title"),
        "started": started,
        "stopped": stopped,
        "duration": None if started is None or stopped is None else stopped - started,
        "recovered": bool(content.get("recovered")),
        "participants": _participants(content),
        "tracks": len(tracks),
    }


def _list(folder: Path) -> list[dict[str, Any]]:
    found = []
    for directory in sorted(folder.glob("*/"), reverse=True):
        content = read_sidecar(directory)
        if content is not None:
            found.append({**_summary(directory.name, content), **_composition(directory)})
    return found


async def list_recordings(request: web.Request) -> dict[str, Any]:
    folder = await _folder(request)
    return {"recordings": await asyncio.to_thread(_list, folder)}


def _composition(directory: Path) -> dict[str, Any]:
    """The composed MP4's name once it exists, and how far its composing is."""
    return {
        "composed": OUTPUT if (directory / OUTPUT).is_file() else None,
        "composition": composition_state(directory),
    }


def _details(directory: Path) -> dict[str, Any]:
    content = read_sidecar(directory) or {}
    files = [
        {
            "name": t["file"],
            "participant": t.get("participant"),
            "kind": t.get("kind"),
            "source": t.get("source"),
            "first_arrival": t.get("first_arrival"),
            "duration": t.get("duration"),
        }
        for t in content.get("tracks", [])
        if isinstance(t, dict) and (directory / str(t.get("file", ""))).is_file()
    ]
    # Each video's time 0 on the server's clock: the player puts the chat beside it.
    playable = [
        {
            "participant": p,
            "name": path.name,
            "origin": origin(participant_tracks(directory, content, p)),
        }
        for p in _participants(content)
        if (path := playback_file(directory, p)) is not None
    ]
    every = recorded_tracks(directory, "video", content) + recorded_tracks(
        directory, "audio", content
    )
    timeline = read_timeline(directory)
    # The PDFs the recording kept of what it showed, for the player's slides.
    kept = {
        m: material_file(m)
        for m in material_ids(timeline)
        if (directory / material_file(m)).is_file()
    }
    return {
        **_summary(directory.name, content),
        "recording": content.get("stopped") is None,
        "files": files,
        "playback": playable,
        **_composition(directory),
        "composed_origin": origin(every),
        "timeline": timeline,
        "materials": kept,
    }


def _participants(content: dict[str, Any]) -> list[str]:
    tracks = [t for t in content.get("tracks", []) if isinstance(t, dict)]
    return sorted({str(t["participant"]) for t in tracks if t.get("participant")})


def _served(directory: Path, content: dict[str, Any]) -> set[str]:
    """The names a recording's files may be fetched by: its tracks, each participant's
    remuxed WebM or MP4 (`recording.remux`), the composed MP4 (`recording.compose`) and the
    materials it showed (`signaling.kept_materials`)."""
    tracks = {str(t.get("file")) for t in content.get("tracks", []) if isinstance(t, dict)}
    remuxed = {f"{p}{suffix}" for p in _participants(content) for suffix in SUFFIXES}
    shown = {material_file(m) for m in material_ids(read_timeline(directory))}
    return tracks | remuxed | shown | {OUTPUT}


async def get_recording(request: web.Request) -> dict[str, Any]:
    directory = await _recording(request)
    return await asyncio.to_thread(_details, directory)


async def recording_file(request: web.Request) -> web.StreamResponse:
    directory = await _recording(request)
    name = request.match_info["name"]
    path = directory / name
    # Only the files the sidecar names (no sidecar, no ".part", no "../").
    served = await asyncio.to_thread(_served, directory, read_sidecar(directory) or {})
    if name not in served or "/" in name or not path.is_file():
        raise ClassroomError(errors.NOT_FOUND, "no such file in this recording")
    content_type = _CONTENT_TYPES.get(path.suffix, "video/x-matroska")
    return web.FileResponse(
        path, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=3600"}
    )


async def switch_recording(request: web.Request) -> dict[str, Any]:
    """Start or stop the live room's recording, as a host's button in the page does."""
    session = await request.app[CLASSROOM].hosted_by(
        request[USER], request.match_info["session_id"]
    )
    try:
        return await request.app[RECORDING_SWITCH](
            session.id, bool(request[BODY]["on"]), request[USER].id
        )
    except ProtocolError as exc:
        raise ClassroomError(exc.code, exc.message) from exc


async def delete_recording(request: web.Request) -> dict[str, Any]:
    directory = await _recording(request, delete=True)
    content = read_sidecar(directory) or {}
    if content.get("stopped") is None:
        raise ClassroomError(errors.CONFLICT, "stop the recording before deleting it")
    await remove_recording(request.app[COMPOSITIONS], directory)
    return {"deleted": directory.name}


RECORDING_OPERATIONS = [
    Operation(
        "POST",
        "/api/sessions/{session_id}/recording",
        switch_recording,
        "Start (on: true) or stop recording the live session (its hosts); everyone in it sees",
        body=obj(["on"], on={"type": "boolean"}),
        tags=["recordings"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/recordings",
        list_recordings,
        "The session's recordings, newest first (its class, teachers, admins; parents if allowed)",
        tags=["recordings"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/recordings/{recording_id}",
        get_recording,
        "One recording: its files (a track each, a WebM per participant, the composed MP4),"
        " how far its composing is, its timeline (chat, joins, hands, polls, pages shown,"
        " board strokes) and the materials it kept (id: file name)",
        tags=["recordings"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/recordings/{recording_id}/files/{name}",
        recording_file,
        "A file of the recording (WebM, Matroska, the composed MP4, a material's PDF it"
        " showed), with HTTP Range; the token may be ?token=",
        produces="video/webm",
        tags=["recordings"],
        query_token=True,
    ),
    Operation(
        "DELETE",
        "/api/sessions/{session_id}/recordings/{recording_id}",
        delete_recording,
        "Delete a finished recording (the class's teachers, admins)",
        tags=["recordings"],
    ),
]
