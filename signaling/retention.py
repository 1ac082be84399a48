"""The server's own deletion of recordings past their school's keeping (`classroom.retention`).

A task in the app's lifetime sweeps at start and then every `period` seconds: for each school
that keeps recordings for a limited time, each of its sessions' recordings that stopped more
than that many days ago is removed the way a teacher's delete removes one
(`recording_removal`), and an ended event's HLS files likewise. A recording being written
(not stopped) or being composed is left for a later sweep. Deletions are logged by session and
recording id, never by anybody's name.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from classroom.retention import Recorded, broadcast_expired, expired, kept_schools
from classroom.store import Repository
from recording.sidecar import read_sidecar, session_folder

from .broadcasts import Broadcasts
from .compositions import Compositions
from .recording_removal import remove_recording

logger = logging.getLogger(__name__)

PERIOD = 3600.0
"""Seconds between sweeps (RETENTION_PERIOD): a day's setting needs no finer grain."""


@dataclass(frozen=True)
class Swept:
    recordings: list[tuple[str, str]]
    """(session id, recording id) of each recording deleted."""
    broadcasts: list[str]
    """Session ids of the events whose HLS files were deleted."""


class Retention:
    def __init__(
        self,
        store: Repository,
        recordings: Path,
        broadcasts: Broadcasts,
        compositions: Compositions,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._recordings = recordings
        self._broadcasts = broadcasts
        self._compositions = compositions
        self._clock = clock

    async def sweep(self) -> Swept:
        """One pass over every school that limits keeping; what it deleted."""
        now = self._clock()
        deleted: list[tuple[str, str]] = []
        hls: list[str] = []
        for school, sessions in await kept_schools(self._store):
            kept = school.recordings_kept_days
            found = await asyncio.to_thread(_on_disk, self._recordings, [s.id for s in sessions])
            for old in expired(found, kept, now):
                directory = session_folder(self._recordings, old.session_id) / old.recording_id
                if self._compositions.busy(directory):
                    continue  # composing still: the next sweep takes it
                await remove_recording(self._compositions, directory)
                deleted.append((old.session_id, old.recording_id))
                logger.info(
                    "retention: deleted recording %s of session %s (kept %d days)",
                    old.recording_id,
                    old.session_id,
                    kept,
                )
            for session in sessions:
                directory = self._broadcasts.directory(session.id)
                if (
                    broadcast_expired(session, kept, now)
                    and not self._broadcasts.live(session.id)
                    and await asyncio.to_thread(directory.is_dir)
                ):
                    await asyncio.to_thread(shutil.rmtree, directory)
                    hls.append(session.id)
                    logger.info(
                        "retention: deleted the HLS broadcast of event %s (kept %d days)",
                        session.id,
                        kept,
                    )
        return Swept(deleted, hls)

    async def run(self, period: float) -> None:
        """Sweep now and every `period` seconds until cancelled; a failed sweep is logged
        and the next one tries again."""
        while True:
            try:
                await self.sweep()
            except (OSError, ValueError, KeyError) as error:
                logger.error("retention: the sweep failed: %r", error)
            await asyncio.sleep(period)


def _on_disk(root: Path, session_ids: list[str]) -> list[Recorded]:
    """The recordings of these sessions under `root`, with when each stopped."""
    found = []
    for session_id in session_ids:
        folder = session_folder(root, session_id)
        if not folder.is_dir():
            continue
        for directory in sorted(folder.iterdir()):
            content = read_sidecar(directory)
            if content is None:
                continue
            stopped = content.get("stopped")
            at = float(stopped) if isinstance(stopped, int | float) else None
            found.append(Recorded(session_id, directory.name, at))
    return found
