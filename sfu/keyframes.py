"""One keyframe request manager per video producer: many asks, at most one PLI per interval."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class KeyframeRequester:
    """Coalesces keyframe requests (new subscribers, their PLIs and FIRs) for one producer.

    The first request is sent at once; requests inside the following `interval` are
    folded into a single PLI at its end, and dropped if a keyframe arrives first.
    """

    def __init__(
        self,
        send_pli: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        interval: float = 0.5,
    ) -> None:
        self._send_pli = send_pli
        self._loop = loop
        self.interval = interval
        self._last_sent = -1e9
        self._pending: asyncio.TimerHandle | None = None
        self.requests = 0
        self.sent = 0

    def request(self) -> None:
        self.requests += 1
        if self._pending is not None:
            return
        now = self._loop.time()
        due = self._last_sent + self.interval
        if now >= due:
            self._fire()
        else:
            self._pending = self._loop.call_at(due, self._fire)

    def keyframe_received(self) -> None:
        """A keyframe made the pending request moot."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def close(self) -> None:
        self.keyframe_received()

    def _fire(self) -> None:
        self._pending = None
        self._last_sent = self._loop.time()
        self.sent += 1
        self._send_pli()
