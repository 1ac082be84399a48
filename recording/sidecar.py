"""`recording.json`: what a recording's directory holds, for the composer and the player.

Written by `RoomRecorder` as tracks come and go, and completed by `recovery` after a crash.
Always replaced whole (written aside, then renamed), so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

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
    path = sidecar_path(directory)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(content, indent=1))
    os.replace(temporary, path)


def read_sidecar(directory: Path) -> dict[str, Any] | None:
    """The sidecar, or None when there is none (or it cannot be read)."""
    try:
        content = json.loads(sidecar_path(directory).read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None
