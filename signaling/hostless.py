"""Lessons with nobody to run them end by themselves.

A teacher who closes the browser (or presses Leave and forgets the lesson) leaves pupils in a
room with nobody to moderate it, and `/school` showing the lesson as live for as long as
anyone stays. A live session's room without a host for `after` seconds ends for everyone,
and says why. A host who drops off and is coming back (their place kept for RESUME_GRACE)
still counts as there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

HOSTLESS_AFTER = 600.0
"""Seconds a live session may go without a host (HOSTLESS_MINUTES, 10 by default)."""


class HostlessTimers:
    """One timer per live session whose room has no host; `end(room)` when it runs out."""

    def __init__(self, after: float, end: Callable[[str], Awaitable[None]]) -> None:
        self.after = after
        self._end = end
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._deadlines: dict[str, float] = {}
        self._running: set[asyncio.Task[None]] = set()

    def host_gone(self, room: str) -> None:
        """No host in the room (any more): the clock starts, unless it already runs."""
        if room in self._timers:
            return
        loop = asyncio.get_running_loop()
        self._deadlines[room] = loop.time() + self.after
        self._timers[room] = loop.call_later(self.after, self._expired, room)

    def host_here(self, room: str) -> None:
        timer = self._timers.pop(room, None)
        self._deadlines.pop(room, None)
        if timer is not None:
            timer.cancel()

    def waiting(self, room: str) -> float | None:
        """Seconds left before the room ends, or None when it has a host."""
        deadline = self._deadlines.get(room)
        return None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())

    async def close(self) -> None:
        """No more ends; those already running (each writes to the classroom) finish."""
        for room in list(self._timers):
            self.host_here(room)
        await asyncio.gather(*self._running, return_exceptions=True)

    def _expired(self, room: str) -> None:
        self._timers.pop(room, None)
        self._deadlines.pop(room, None)

        async def end() -> None:
            try:
                await self._end(room)
            except Exception:
                logger.exception("ending the hostless session %s failed", room)

        task = asyncio.get_running_loop().create_task(end())
        self._running.add(task)
        task.add_done_callback(self._running.discard)
