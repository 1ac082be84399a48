"""A district's recordings on shared storage (DATA_DIR on NFS or the like): each made whole
by one live node when the node that wrote it is gone.

A node writes its node id into each recording's sidecar (`session.node`). At its start, before
it takes any room, a node recovers and composes what it left itself. Afterwards it repairs
what dead nodes left, never a recording a live node is writing: after a node has gone from
the district (two looks apart), once soon after its start, and every `SAFETY_SWEEP` seconds
regardless; the directory's `take` makes sure one node, not all, repairs each recording.
Without shared storage each node repairs its own recordings when it comes back.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from district.directory import Directory
from recording.composition import uncomposed
from recording.recovery import recover_recording, unfinished, writer
from recording.remux import participant_files

from .compositions import Compositions

logger = logging.getLogger(__name__)

CHECK_EVERY = 5.0
"""Seconds between two looks at which nodes are alive (a Redis read, no file access)."""
SAFETY_SWEEP = 600.0
"""Seconds between two walks of the recordings regardless (a repair a dead node had taken)."""
TASK_SECONDS = 3600.0
"""How long a node's claim on repairing one recording keeps the others off it, while that
node lives (a node killed while composing leaves it to the others: `Directory.take`)."""


class RecordingRepair:
    def __init__(
        self, root: Path, node: str, directory: Directory, compositions: Compositions
    ) -> None:
        self._root = root
        self._node = node
        self._directory = directory
        self._compositions = compositions
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """The start's pass (what this node left itself), then the watch."""
        await self.sweep(frozenset(), at_start=True)
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _watch(self) -> None:
        """A node counts as dead once two looks `CHECK_EVERY` apart both miss it: one that
        is stopping finishes its recordings meanwhile, and a blip of the directory's does
        not make a live node's recordings look abandoned."""
        before = await self._directory.alive()
        since = SAFETY_SWEEP  # the first look after the start sweeps: nodes dead before it
        while True:
            await asyncio.sleep(CHECK_EVERY)
            since += CHECK_EVERY
            try:
                now = await self._directory.alive()
                if (before - now) or since >= SAFETY_SWEEP:
                    since = 0.0
                    await self.sweep(before | now)
                before = now
            except Exception:
                logger.exception("looking for recordings left by dead nodes failed")

    async def sweep(self, alive: frozenset[str] | set[str], at_start: bool = False) -> list[Path]:
        """Recover, remux and compose the recordings whose writer is not in `alive` (at the
        start: this node's own from before); the directories done."""

        def left_behind(directory: Path) -> bool:
            node = writer(directory)
            if node == self._node or node is None:
                # Ours from before this start, or a server's from before the district.
                return at_start
            return not at_start and node not in alive

        cut_off = [d for d in await asyncio.to_thread(unfinished, self._root) if left_behind(d)]
        done = []
        for directory in cut_off:
            if not await self._take(directory):
                continue
            logger.warning("recovering %s, left unfinished by %s", directory, writer(directory))
            await asyncio.to_thread(recover_recording, directory)
            await asyncio.to_thread(participant_files, directory)
            self._compositions.submit(directory)
            done.append(directory)
        for directory in await asyncio.to_thread(uncomposed, self._root):
            if directory not in done and left_behind(directory) and await self._take(directory):
                self._compositions.submit(directory)
                done.append(directory)
        return done

    async def _take(self, directory: Path) -> bool:
        task = "repair:" + str(directory.relative_to(self._root))
        return await self._directory.take(task, self._node, TASK_SECONDS)
