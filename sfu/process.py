"""The parent's handle on one SFU worker process: an SfuControl whose calls cross a pipe."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from typing import Any

from .control import SfuEvents
from .errors import Closed
from .wire import WireSfu, dispatch_event, frame, read_frame

logger = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
"""How long a worker may take to import and say it is ready (seconds on a loaded machine)."""


class SfuProcess(WireSfu):
    """Starts `python -m sfu.worker`, sends it calls, and hands its events to `events`."""

    def __init__(
        self, ice_addresses: list[str], events: SfuEvents, module: str = "sfu.worker"
    ) -> None:
        """`module` is the worker's entry point: the server's own (`signaling.sfu_worker`)
        plugs its recorder into `sfu.worker`."""
        super().__init__(self._exchange)
        self._module = module
        self._ice_addresses = ice_addresses
        self._events = events
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._ids = itertools.count(1)
        self._ready: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the worker and wait until it takes calls: until then the server must not
        say it is up (a district would place rooms on it). Closed if it exits or says nothing
        within `READY_TIMEOUT`."""
        self._ready = asyncio.get_running_loop().create_future()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self._module,
            ",".join(self._ice_addresses),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )
        self._reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), READY_TIMEOUT)
        except TimeoutError:
            await self._kill()
            raise Closed(f"the SFU worker said nothing for {READY_TIMEOUT:.0f} s") from None

    async def _exchange(self, payload: bytes) -> bytes:
        process = self._process
        if process is None or process.stdin is None or process.returncode is not None:
            raise Closed("the SFU worker is not running")
        call_id = next(self._ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            process.stdin.write(frame(["call", call_id, payload]))
            return await future
        finally:
            self._pending.pop(call_id, None)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        try:
            while True:
                message = await read_frame(stdout)
                if message[0] == "reply":
                    future = self._pending.get(message[1])
                    if future is not None and not future.done():
                        future.set_result(message[2])
                elif message[0] == "event":
                    self._dispatch(message[1], message[2])
                elif message[0] == "ready" and self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(Closed("the SFU worker exited before it was ready"))
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(Closed("the SFU worker exited"))

    def _dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        try:
            dispatch_event(self._events, name, kwargs)
        except Exception:  # a failing handler must not stop the worker's other events
            logger.exception("SFU event %s failed", name)

    async def close(self) -> None:
        """Close stdin (the worker closes its rooms and exits); kill it if it lingers."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            await self._kill()
        if self._reader is not None:
            await self._reader

    async def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
