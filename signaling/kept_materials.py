"""A recording keeps a copy of each material it showed (`material-<id>.pdf` in its directory),
so its playback and its composed video show the slides even after the class's material is
deleted, and the composer, a child process, needs only the recording's directory.

Copied on a thread when the material is first shown while recording (or is on the stage when
the recording begins); a second showing finds the copy there.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from recording.stage import material_file
from recording.written_aside import written_aside

if TYPE_CHECKING:
    from .server_state import ServerState

logger = logging.getLogger(__name__)


def _copy(source: Path, directory: Path) -> None:
    target = directory / material_file(source.stem)
    if target.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed when whole: the composer never reads half a PDF.
    with written_aside(target) as temporary:
        shutil.copyfile(source, temporary)


async def _keep(source: Path, directory: Path) -> None:
    try:
        await asyncio.to_thread(_copy, source, directory)
    except OSError as error:  # the recording goes on; its playback shows no slide then
        logger.warning("%s: material not kept: %s", directory, error)


def keep_shown_material(state: ServerState, room: str, material_id: str) -> None:
    """While `room` is recorded, a copy of the material's PDF in the recording."""
    live = state.rooms.get(room)
    timeline = live.timeline if live is not None else None
    if timeline is None or state.materials is None:
        return
    source = state.materials.file_path(material_id)
    state.spawn(_keep(source, timeline.path.parent))
