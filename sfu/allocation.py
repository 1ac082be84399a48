"""Share one subscriber's downlink among the videos it receives: which layers fit, which pause.

Pure: the inputs are numbers, the output is a layer per video. `Peer` runs it every second
with its `Downlink` estimate and the producers' measured layer rates.

Rules, in order:
- audio is never paused; its measured rate comes off the budget first;
- every video gets its base layer, most valuable first (a screen share before cameras,
  because a pupil reading the board needs it more than a face; then the teacher's camera
  before pupils'), until the budget runs out: the videos that do not fit are paused;
- the remaining budget raises layers, most valuable video first, to its full frame rate
  before the next video gets more than its base layer.
Going up (a layer, or out of a pause) needs `UP_HEADROOM` above the measured rate, so an
estimate hovering at one layer's edge does not switch it on and off every second; staying
where one is needs only the rate itself. Going down waits `DOWN_AFTER` seconds (`DownHold`),
unless the budget is far under what is sent.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from .layers import MAX_LAYER, PAUSED

UP_HEADROOM = 1.15
SOURCE_PRIORITY = {"screen": 2, "camera": 1}


@dataclass(frozen=True)
class Demand:
    """One video a subscriber receives, as the allocator sees it."""

    key: Hashable
    source: str
    rates: Sequence[float]
    """Bits/s of layers 0..n together, for n = 0..MAX_LAYER (equal without layers)."""
    current: int
    """The layer it gets now (PAUSED: none)."""
    priority: int = 0
    """Its publisher's rank among cameras (a teacher's 1, a pupil's 0)."""


def allocate(budget: float, audio: float, demands: Sequence[Demand]) -> dict[Hashable, int]:
    """The layer (or PAUSED) each video gets out of `budget` bits/s; `audio` is spent first."""
    if math.isinf(budget):
        return {d.key: MAX_LAYER for d in demands}
    available = budget - audio
    ordered = sorted(demands, key=lambda d: (-SOURCE_PRIORITY.get(d.source, 0), -d.priority))
    layers: dict[Hashable, int] = {}
    for demand in ordered:
        need = demand.rates[0]
        headroom = 1.0 if demand.current != PAUSED else UP_HEADROOM
        if need * headroom <= available:
            layers[demand.key] = 0
            available -= need
        else:
            layers[demand.key] = PAUSED
    for demand in ordered:
        if layers[demand.key] == PAUSED:
            continue
        for layer in range(1, MAX_LAYER + 1):
            extra = demand.rates[layer] - demand.rates[layer - 1]
            headroom = 1.0 if layer <= demand.current else UP_HEADROOM
            if extra * headroom > available:
                break
            layers[demand.key] = layer
            available -= extra
    return layers


DOWN_AFTER = 2.0
"""Seconds a video's layers must go on not fitting before fewer are sent. On a jittery link
Chrome's REMB dips by 15 % now and then and climbs back within two seconds; followed at once,
a pupil with 50 ms of jitter watched the teacher at half the frame rate for seconds at a time."""
SEVERE = 0.5
"""A budget under this share of what is being sent is acted on at once: a link far too
narrow loses more in two seconds than a lower frame rate costs."""


class DownHold:
    """Keeps a video's layers for `DOWN_AFTER` seconds after the budget stops fitting them,
    unless the budget is far below what is sent (the caller says so)."""

    __slots__ = ("since",)

    def __init__(self) -> None:
        self.since: float | None = None

    def adjust(self, chosen: int, current: int, now: float, far_over: bool) -> int:
        """The layer to give, given what the allocator chose (not a pause: `PauseProbe`)."""
        if not 0 <= chosen < current:
            self.since = None
            return chosen
        if self.since is None:
            self.since = now
        if now - self.since < DOWN_AFTER and not far_over:
            return current
        self.since = None
        return chosen


FIRST_PROBE = 5.0
"""Seconds a paused video waits before it is tried again anyway."""
MAX_PROBE = 60.0
PROBE_GRACE = 4.0
"""Seconds a tried-again video keeps its base layer whatever the estimate says."""
PAUSE_AFTER = 4.0
"""Seconds the base layer must go on not fitting before a video pauses: a keyframe makes
the measured rate jump for a second, and a resumed video costs another keyframe. A
receiver's delay-based estimate also dips after a keyframe's burst and takes seconds to
climb back: aiortc's, behind a 600 kbit/s link with a 1 s queue, fell from 450 to 255 kbit/s
(under the base layer) for 3-4 s, and at 1.5 s that pupil's video paused in half the runs
of `tests/integration/test_downlink.py`."""
SEVERE_PAUSE_AFTER = 1.5
"""The same wait when the budget is far under what is sent (`SEVERE`): a link that narrow
loses audio too while it waits."""


class PauseProbe:
    """Tries a paused video again now and then, although the estimate says it does not fit.

    A receiver's estimate only grows to about 1.5× what it receives (libwebrtc's
    AimdRateControl caps it so), and a paused video is not received: left to the estimate
    alone, a pupil whose link recovered would never see video again. So after `FIRST_PROBE`
    seconds the base layer is sent anyway, for `PROBE_GRACE` seconds in which the estimate
    can grow with it; if it then still does not fit, the video pauses again and the next try
    waits twice as long (up to `MAX_PROBE`). A playing video pauses only once its base layer
    has not fitted for `PAUSE_AFTER` seconds (`SEVERE_PAUSE_AFTER` when the budget is far
    under what is sent); meanwhile it keeps the base layer.
    """

    __slots__ = ("backoff", "next_at", "grace_until", "doubt_since")

    def __init__(self) -> None:
        self.backoff = FIRST_PROBE
        self.next_at: float | None = None
        self.grace_until = float("-inf")
        self.doubt_since: float | None = None
        """Since when the base layer has not fitted (the video still plays)."""

    def adjust(self, chosen: int, current: int, now: float, far_over: bool = False) -> int:
        """The layer to give, given what the allocator chose and what the video has now;
        `far_over`: the budget is far under what is sent (see `SEVERE`)."""
        if chosen != PAUSED:
            self.doubt_since = None
            if now >= self.grace_until:
                self.backoff = FIRST_PROBE  # it fits on its own: the link is back
                self.next_at = None
            return chosen
        if current != PAUSED:
            if now < self.grace_until:
                return 0  # a try in progress: give the estimate time to follow
            if self.doubt_since is None:
                self.doubt_since = now
            if now - self.doubt_since < (SEVERE_PAUSE_AFTER if far_over else PAUSE_AFTER):
                return 0
            self.doubt_since = None
            if self.next_at is not None:  # the try failed: wait longer next time
                self.backoff = min(MAX_PROBE, self.backoff * 2)
            self.next_at = now + self.backoff
            return PAUSED
        if self.next_at is None:
            self.next_at = now + self.backoff
        if now >= self.next_at:
            self.grace_until = now + PROBE_GRACE
            return 0
        return PAUSED
