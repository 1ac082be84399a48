"""`recording.json`: what a recording's directory holds, for the composer and the player.

Written by `RoomRecorder` as tracks come and go, and completed by `recovery` after a crash.
Always replaced whole (written aside, then renamed), so a reader never sees half of one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .written_aside import written_aside

SIDECAR = "recording.json"
FORMAT = 1


def session_folder(root: Path, session: str) -> Path:
    """Where a session's (a room's) recordings go under `root`: a room id is no path to
    trust, so anything but letters, digits, "-" and "_" becomes "_"."""
    return root / re.sub(r"[^A-Za-z0-9_-]", "_", session)


def sidecar_path(directory: Path) -> Path:
    return directory / SIDECAR


def write_sidecar(directory: Path, content: dict[str, Any]) -> None:
    """Blocking: call it from a thread, never on the event loop."""
    directory.mkdir(parents=True, exist_ok=True)
    with written_aside(sidecar_path(directory)) as temporary:
        temporary.write_text(json.dumps(content, indent=1))


def read_sidecar(directory: Path) -> dict[str, Any] | None:
    """The sidecar, or None when there is none (or it cannot be read)."""
    try:
        content = json.loads(sidecar_path(directory).read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def media_start(track: dict[str, Any]) -> float | None:
    """When the track's first frame was captured, in Unix seconds on the publisher's clock
    (from its sender report), or when it reached the server (without one)."""
    first = track.get("first_timestamp")
    clock = track.get("sender_clock")
    rate = track.get("clock_rate")
    if first is not None and clock and rate:
        ticks = (clock["rtp_timestamp"] - first) & 0xFFFFFFFF
        if ticks >= 0x8000_0000:
            ticks -= 0x1_0000_0000  # the report came before the first frame
        return float(clock["wall"]) - ticks / rate
    arrival = track.get("first_arrival")
    return None if arrival is None else float(arrival)


@dataclass(frozen=True)
class RecordedTrack:
    """A track of the sidecar whose file holds frames, and when its first one was captured."""

    entry: dict[str, Any]
    path: Path
    start: float
    """Unix seconds (`media_start`)."""

    @property
    def participant(self) -> str:
        return str(self.entry.get("participant"))

    @property
    def source(self) -> str:
        return str(self.entry.get("source", ""))

    @property
    def end(self) -> float:
        return self.start + float(self.entry.get("duration") or 0.0)


def recording_ids(root: Path, session: str) -> list[str]:
    """The recordings of `session` under `root` (those with a sidecar), newest first."""
    folder = session_folder(root, session)
    if not folder.is_dir():
        return []
    return sorted((d.name for d in folder.iterdir() if (d / SIDECAR).is_file()), reverse=True)


def origin(tracks: list[RecordedTrack]) -> float | None:
    """Time 0 of a video made of `tracks` (the earliest first frame, Unix s)."""
    return min((t.start for t in tracks), default=None)


def recorded_tracks(
    directory: Path, kind: str, content: dict[str, Any] | None = None
) -> list[RecordedTrack]:
    """The recording's tracks of `kind` ("audio", "video") that can be placed in time and
    played: they have frames, a file and a start. In the sidecar's order."""
    if content is None:
        content = read_sidecar(directory) or {}
    found = []
    for entry in content.get("tracks", []):
        if entry.get("kind") != kind or not entry.get("frames"):
            continue
        start = media_start(entry)
        path = directory / str(entry.get("file"))
        if start is not None and path.is_file():
            found.append(RecordedTrack(entry, path, start))
    return found
