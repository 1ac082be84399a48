"""Finding room on a subscriber's downlink for one step more: padding sent on purpose.

A receiver's delay-based estimate grows only with what it receives: libwebrtc's (and
aiortc's) AimdRateControl never says more than about 1.5x the rate that arrives, and our own
estimator from transport feedback does the same. A pupil brought down a step (a keyframe's
burst, a moment of cross-traffic) then receives less, so its estimate stays under the step it
left for good. Measured (12 aiortc pupils, a simulcast teacher): a 1 Mbit/s pupil fell from
480x270 to 240x135 on a REMB dip and stayed there for the remaining 20 s, its REMB at
~530 kbit/s while 480x270 needs ~700.

So, as libwebrtc's sender pads up to what its next layer needs, the server sends padding
(padding-only RTX packets, which a receiver counts and drops) to bring what arrives up to what
the next step needs, and lets the estimate follow. A try starts once the budget has been a
known limit for `SETTLE` seconds with little loss, lasts `LENGTH` seconds at most, and ends:

- when the estimate reaches what the step needs (the allocator then gives it, as any rise);
- at once when the estimate falls (`GIVE_UP_DROP`) or loss shows: the link is full; the next
  try then waits twice as long (up to `MAX_BACKOFF`);
- after `LENGTH` seconds: a failure too, unless the estimate grew on the way (`PROGRESS`).

A link that loses packets now (`Downlink.lossy`) is not tried: its loss tells nothing about
the padding, and a link already losing audio must not be filled further.

Only a step back to what the link carried before is tried (`RECLAIM`), and padding never
goes over `OVERSHOOT` times the budget: a sustained padding near a link's capacity fills its
queue (libwebrtc probes with clusters of a few milliseconds instead, which a receiver's
estimator must recognise; aiortc's does not).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from .counters import Counters
from .downlink import Downlink

SETTLE = 4.0
"""Seconds the budget must have been a limit, without a try, before one starts."""
LENGTH = 6.0
"""Seconds a try lasts at most: a receiver's estimate grows ~8 % a second."""
FIRST_BACKOFF = 8.0
MAX_BACKOFF = 60.0
PROVEN_FOR = 5.0
"""Seconds a subscriber must have been given a rate, its limit known and no loss, for that
rate to count as one its link carries (`UpProbe.proven`: their mean)."""
RECLAIM = 1.4
"""Only a step needing at most this many times the proven rate is tried: one the link carried
before (with the allocator's 15 % headroom, and 20 % for measured layer rates that move
from one second to the next). Measured: padding towards 960x540 on a 1 Mbit/s link (a step
it never carried) filled its queue, aiortc's estimate fell from 905 to 326 kbit/s, and the
pupil lost 480x270 too. A link that became wider than it ever was is left to its
estimate's own growth."""
OVERSHOOT = 1.1
"""Padding fills up to at most this many times the budget at the try's start: a try that
finds the link full has overfilled it by a quarter for as long as the estimate takes to fall
(a few hundred ms), which a 300 ms queue absorbs. A step further away is reached by tries in
a row, each starting from where the last one brought the estimate (`PROGRESS`)."""
PROGRESS = 1.05
"""A try that ends with the estimate this much above where it started was no failure: the
next one starts after `SETTLE_AFTER_PROGRESS`, from the new estimate."""
SETTLE_AFTER_PROGRESS = 1.0
APP_LIMITED = 0.75
"""Only a subscriber given less than this share of its budget is tried (libwebrtc probes in
its "application-limited region" likewise): its estimate sits where what arrives holds it,
not where the link did. One given more has an estimate the link set: a 300 kbit/s pupil on
240x135 is given ~80 % of it, a 1 Mbit/s pupil on 480x270 ~75 %; a 1 Mbit/s pupil knocked
down to 240x135 ~65 %."""
GIVE_UP_DROP = 0.05
"""An estimate this far under where the try started ends it."""
INTERVAL = 0.05
"""Seconds between bursts of padding: 20 a second, each a few packets."""


class UpProbe:
    """When to pad one subscriber's downlink, and up to how much."""

    __slots__ = (
        "proven",
        "_carried",
        "eligible_since",
        "not_before",
        "until",
        "start_budget",
        "target",
        "backoff",
        "settle",
        "tries",
        "successes",
    )

    def __init__(self) -> None:
        self.proven = 0.0
        """The most this subscriber's link has carried for `PROVEN_FOR` seconds (bits/s)."""
        self._carried: deque[tuple[float, float]] = deque()
        """(time, rate given) since the link last lost packets or its limit was unknown."""
        self.eligible_since: float | None = None
        """Since when a step up has been within reach, the link without loss."""
        self.not_before = float("-inf")
        """No try before this (after a failed one)."""
        self.until: float | None = None
        """The running try's end (None: no try running)."""
        self.start_budget = 0.0
        self.target = 0.0
        """Bits/s that should arrive while the try runs: media and padding together."""
        self.backoff = FIRST_BACKOFF
        self.settle = SETTLE
        """Seconds of eligibility before the next try (shorter after a try that got on)."""
        self.tries = 0
        self.successes = 0

    @property
    def running(self) -> bool:
        return self.until is not None

    def update(
        self, now: float, budget: float | None, spent: float, need: float | None, lossy: bool
    ) -> None:
        """Once per allocation: the budget (None: no limit known), what the subscriber is
        given (bits/s), what the next step needs (None: every video has all it may get) and
        whether the link loses packets now."""
        self._remember(now, budget, spent, lossy)
        if self.until is not None:
            if budget is None or need is None:
                self._stop(now, failed=False)  # nothing to find out any more
            elif budget >= need:
                self.successes += 1
                self._stop(now, failed=False)
            elif lossy or self.dropped(budget):
                self._stop(now, failed=True)
            elif now >= self.until:
                self._stop(now, failed=budget < PROGRESS * self.start_budget)
            return
        if (
            budget is None
            or need is None
            or not budget < need <= RECLAIM * self.proven
            or spent > APP_LIMITED * budget
            or lossy
        ):
            self.eligible_since = None
            return
        if self.eligible_since is None:
            self.eligible_since = now
        if now - self.eligible_since >= self.settle and now >= self.not_before:
            self.tries += 1
            self.until = now + LENGTH
            self.start_budget = budget
            self.target = min(need, OVERSHOOT * budget)

    def _remember(self, now: float, budget: float | None, spent: float, lossy: bool) -> None:
        carried = self._carried
        if budget is None or lossy or self.until is not None:
            carried.clear()  # padding counts for nothing: only what was given
            return
        carried.append((now, spent))
        while len(carried) > 1 and carried[1][0] <= now - PROVEN_FOR:
            carried.popleft()  # the oldest kept is the last one at least PROVEN_FOR old
        if now - carried[0][0] >= PROVEN_FOR:
            self.proven = max(self.proven, sum(rate for _, rate in carried) / len(carried))

    def dropped(self, budget: float | None) -> bool:
        """The estimate fell under where the running try started: the link is full."""
        return budget is None or budget < self.start_budget * (1 - GIVE_UP_DROP)

    def abort(self, now: float) -> None:
        """The padding found the link full between two allocations (see `dropped`)."""
        if self.until is not None:
            self._stop(now, failed=True)

    def _stop(self, now: float, failed: bool) -> None:
        self.until = None
        self.eligible_since = None
        if failed:
            self.not_before = now + self.backoff
            self.backoff = min(MAX_BACKOFF, self.backoff * 2)
            self.settle = SETTLE
        else:
            self.backoff = FIRST_BACKOFF
            self.settle = SETTLE_AFTER_PROGRESS


class PaddingSink(Protocol):
    def send_padding(self, octets: float) -> int: ...


class Prober:
    """Runs `UpProbe` for one subscriber: pads its downlink while a try runs, and stops the
    moment its estimate falls (checked at every burst, not only once a second)."""

    __slots__ = ("probe", "_downlink", "_counters", "_loop", "_sink", "_timer", "_owed")

    def __init__(self, downlink: Downlink, counters: Counters) -> None:
        self.probe = UpProbe()
        self._downlink = downlink
        self._counters = counters
        self._loop = asyncio.get_running_loop()
        self._sink: PaddingSink | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._owed = 0.0
        """Bytes of padding due but not sent yet (packets are whole)."""

    def steer(self, now: float, spent: float, need: float | None, sink: PaddingSink | None) -> None:
        """Once per allocation: what the subscriber is given and what the next step needs
        (`allocation.given_rate`, `step_up_need`), and where padding may go (a video the
        subscriber receives; None: nowhere)."""
        downlink = self._downlink
        was_running = self.probe.running
        reachable = need if sink is not None else None
        self.probe.update(now, downlink.budget(), spent, reachable, downlink.lossy(now))
        if not self.probe.running or sink is None:
            self.stop()
            return
        if not was_running:
            self._counters.downlink_probes += 1
        self._sink = sink
        if self._timer is None:
            self._timer = self._loop.call_later(0, self._pad)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._sink = None
        self._owed = 0.0

    def _pad(self) -> None:
        self._timer = None
        probe, sink = self.probe, self._sink
        if not probe.running or sink is None:
            return
        if probe.dropped(self._downlink.budget()):
            probe.abort(self._loop.time())
            self._sink = None
            return
        due = (probe.target - self._downlink.sent_rate) * INTERVAL / 8
        # What a burst could not send (a part of a packet) is sent with the next, never more
        # than one burst's worth late: a stalled loop must not make up for lost time at once.
        self._owed = min(max(0.0, self._owed + due), 2 * max(0.0, due))
        self._owed -= sink.send_padding(self._owed)
        self._timer = self._loop.call_later(INTERVAL, self._pad)
