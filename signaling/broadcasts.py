"""The live HLS of events: a child process per live event, fed by the SFU.

When an event's room opens, `python -m recording.broadcast <directory>` starts (once per
event: a room that empties and fills again keeps it) and the SFU sends it the room's tracks
(`start_forwarding`). When the event ends the child is told to stop: it closes the
playlist, which then is the event's on-demand video. Its files are under
`<root>/<session id>/`, served by `signaling/hls_routes.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from sfu.control import SfuControl
from sfu.errors import SfuError

logger = logging.getLogger(__name__)

STARTUP_SECONDS = 30.0
"""How long a child may take to say its port (importing PyAV on a busy machine)."""
STOP_SECONDS = 10.0
"""How long a stopping child may take to flush its encoders and close the playlist."""


class Broadcasts:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._children: dict[str, tuple[asyncio.subprocess.Process, int]] = {}
        self._starting: dict[str, asyncio.Future[int]] = {}

    def directory(self, session_id: str) -> Path:
        return self.root / session_id

    def live(self, session_id: str) -> bool:
        child = self._children.get(session_id)
        return child is not None and child[0].returncode is None

    async def attach(self, room: str, sfu: SfuControl) -> None:
        """Make sure the room's broadcast runs, and have the SFU feed it."""
        try:
            port = await self._port(room)
            await sfu.start_forwarding(room, port)
        except SfuError:
            pass  # the room closed meanwhile: the next one to join attaches again
        except (OSError, ValueError, TimeoutError) as error:
            logger.error("the broadcast of %s could not start: %s", room, error)

    async def _port(self, room: str) -> int:
        child = self._children.get(room)
        if child is not None and child[0].returncode is None:
            return child[1]
        starting = self._starting.get(room)
        if starting is not None:
            return await asyncio.shield(starting)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._starting[room] = future
        try:
            port = await self._spawn(room)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters get it, nobody else must
            raise
        finally:
            self._starting.pop(room, None)
        future.set_result(port)
        return port

    async def _spawn(self, room: str) -> int:
        directory = self.directory(room)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "recording.broadcast",
            str(directory),
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)
            word, port = line.decode().split()
            if word != "port":
                raise ValueError(f"the broadcast said {line!r}")
        except BaseException:
            if process.returncode is None:
                process.kill()
            await process.wait()
            raise
        self._children[room] = (process, int(port))
        logger.info("broadcasting %s over HLS (pid %d) into %s", room, process.pid, directory)
        return int(port)

    async def stop(self, room: str) -> None:
        """The event ended: the child closes its playlist and exits."""
        child = self._children.pop(room, None)
        if child is None:
            return
        process = child[0]
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            logger.warning("the broadcast of %s did not stop: killed", room)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def close(self) -> None:
        """Server stop: every broadcast closes its playlist."""
        await asyncio.gather(*(self.stop(room) for room in list(self._children)))
