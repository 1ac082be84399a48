"""`composition.json`: how far a recording's composing has come, for the API and the page.

The job is a child process of the server (`python -m recording.composition <dir>`), niced
below the live lessons: it composes `composed.mp4` (`recording.compose`) and keeps this
file up to date, replaced whole at most once a second. A crash or a kill leaves the
last state it wrote ("queued" or "composing"); the server starts such a recording again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .compose import OUTPUT, compose
from .sidecar import read_sidecar
from .written_aside import written_aside

STATUS = "composition.json"
NICENESS = 10
"""Below the server and its SFU workers: a live lesson never waits for a composition."""
EVERY = 1.0
"""Seconds between two progress writes."""

QUEUED = "queued"
COMPOSING = "composing"
DONE = "done"
FAILED = "failed"


def write_status(directory: Path, state: str, **fields: Any) -> None:
    """Blocking (a small file): from a thread or the job, not the event loop."""
    with written_aside(directory / STATUS) as temporary:
        temporary.write_text(json.dumps({"state": state, "at": time.time(), **fields}))


def read_status(directory: Path) -> dict[str, Any] | None:
    try:
        content = json.loads((directory / STATUS).read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def composition_state(directory: Path) -> dict[str, Any] | None:
    """How far the composing is, as the API tells it. The composed file is the truth: it is
    renamed into place a moment before the job writes "done", and a reader in between must
    not see a finished video still "composing"."""
    status = read_status(directory)
    if (directory / OUTPUT).exists() and (status or {}).get("state") != DONE:
        return {"state": DONE, "file": OUTPUT}
    return status


def uncomposed(root: Path) -> list[Path]:
    """The finished recordings under `root` (`<session>/<recording>/`) with no composed
    video and no failed composing: a crash or a stop interrupted it, or it never began.
    Blocking (a directory walk)."""
    found = []
    for directory in sorted(root.glob("*/*/")):
        content = read_sidecar(directory)
        status = read_status(directory) or {}
        if (
            content is not None
            and content.get("stopped") is not None
            and not (directory / OUTPUT).exists()
            and status.get("state") != FAILED
        ):
            found.append(directory)
    return found


def run(directory: Path) -> int:
    """Compose `directory`, saying how far in its status; 0 when done, 1 when it failed."""
    started = time.monotonic()
    last = 0.0

    def progress(done: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= EVERY or done >= 1.0:
            last = now
            write_status(directory, COMPOSING, progress=round(done, 3))

    try:
        compose(directory, progress)
    except Exception as error:  # noqa: BLE001 - any failure is the recording's status
        write_status(directory, FAILED, error=f"{type(error).__name__}: {error}")
        return 1
    write_status(directory, DONE, file=OUTPUT, seconds=round(time.monotonic() - started, 1))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m recording.composition <recording directory>", file=sys.stderr)
        return 2
    os.nice(NICENESS)
    return run(Path(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
