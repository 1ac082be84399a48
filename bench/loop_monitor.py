"""Event-loop lag of a bot process: how late its timers fire, to flag saturated bots.

A bench whose bots cannot keep up measures the bots, not the server. Publishers pace frames
with timers, so when timers fire late the media is late too; runs whose lag is high must be
flagged (or the bots spread over more cores).
"""

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class LagReport:
    """Timer lateness over the monitored period, in seconds."""

    samples: int
    mean: float
    p99: float
    max: float

    def saturated(self, p99_limit: float = 0.02) -> bool:
        """True if the loop was too busy to pace 30 fps video (a frame is 33 ms)."""
        return self.p99 > p99_limit


class LoopLagMonitor:
    """Wakes every ``interval`` seconds and records how late each wake-up was."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> LagReport:
        """Stop monitoring and report."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        return self.report()

    def report(self) -> LagReport:
        lags = sorted(self._lags)
        if not lags:
            return LagReport(0, 0.0, 0.0, 0.0)
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        return LagReport(len(lags), sum(lags) / len(lags), p99, lags[-1])

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._lags.append(max(0.0, loop.time() - due))
