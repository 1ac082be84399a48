"""The server's composing of finished recordings: child processes, a few at a time.

Composing decodes every camera and encodes H.264: seconds of CPU per minute of lesson. It
runs in child processes (`python -m recording.composition`), never in the signalling loop
or an SFU worker, at most `workers` at once, niced below the live lessons. Each child
writes its progress to the recording's `composition.json`, which the REST API reads.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from recording.composition import QUEUED, uncomposed, write_status

logger = logging.getLogger(__name__)


class Compositions:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        """0: nothing is composed."""
        self._slots = asyncio.Semaphore(max(1, workers))
        self._tasks: dict[Path, asyncio.Task[None]] = {}
        self._children: dict[Path, asyncio.subprocess.Process] = {}

    def submit(self, directory: Path) -> None:
        """Compose `directory` when a slot is free (at once if one is)."""
        if directory in self._tasks or self.workers <= 0:
            return
        task = asyncio.get_running_loop().create_task(self._compose(directory))
        self._tasks[directory] = task
        task.add_done_callback(lambda _: self._tasks.pop(directory, None))

    async def resume(self, root: Path) -> None:
        """After a start: compose every recording under `root` that a crash or a stop left
        uncomposed."""
        for directory in await asyncio.to_thread(uncomposed, root):
            self.submit(directory)

    async def _compose(self, directory: Path) -> None:
        await asyncio.to_thread(write_status, directory, QUEUED)
        async with self._slots:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "recording.composition", str(directory)
            )
            self._children[directory] = child
            try:
                code = await child.wait()
            finally:
                self._children.pop(directory, None)
        if code == 0:
            logger.info("%s: composed", directory)
        else:
            logger.warning("%s: composing ended with %s", directory, code)

    def busy(self, directory: Path) -> bool:
        """Whether `directory` is queued or being composed."""
        return directory in self._tasks

    async def cancel(self, directory: Path) -> None:
        """Stop composing `directory` (it is being deleted)."""
        task = self._tasks.get(directory)
        child = self._children.get(directory)
        if child is not None and child.returncode is None:
            child.kill()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Server stop: the children are killed (their recordings are composed again at the
        next start)."""
        for directory in list(self._tasks):
            await self.cancel(directory)
