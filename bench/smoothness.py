"""How smoothly video played over a window: frames per second and freezes, from frame times.

The times are when complete frames became available (``bench.frame_assembly``): what a
player could have shown, a receiver's decoded frame rate as far as it can be known without
decoding. A freeze is Chrome's (and the WebRTC statistics' ``freezeCount``): an interval
between consecutive frames of at least max(3 × the mean interval, the mean + 150 ms), the
mean taken over the up to 30 intervals before it, once there are 5 of them. Frames before the
window give the first intervals in it their mean; only intervals ending inside the window are
judged and counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

MEAN_OF = 30
"""Intervals the mean is taken over."""
MIN_INTERVALS = 5
"""Intervals needed before a freeze can be told."""
FREEZE_FACTOR = 3.0
FREEZE_MIN_EXTRA = 0.150
"""Seconds over the mean an interval must exceed to be a freeze."""


@dataclass(frozen=True)
class Smoothness:
    """One stream over one window."""

    frames: int
    """Frames that became available inside the window."""
    seconds: float
    freezes: int
    frozen_s: float
    """The freezes' intervals summed (Chrome's ``totalFreezesDuration``), as far as they lie
    inside the window (a freeze that began before it counts from its start)."""
    longest_gap_s: float
    """The longest stretch inside the window without a new frame (its edges included), so
    that a stream with no frame at all shows the whole window."""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def smoothness(times: Sequence[float], start: float, end: float) -> Smoothness:
    """``times`` (ascending or not) measured over the window [``start``, ``end``)."""
    ordered = sorted(t for t in times if t < end)
    recent: deque[float] = deque(maxlen=MEAN_OF)
    freezes = 0
    frozen = 0.0
    for previous, current in zip(ordered, ordered[1:], strict=False):
        interval = current - previous
        if current >= start and len(recent) >= MIN_INTERVALS:
            mean = sum(recent) / len(recent)
            if interval >= max(FREEZE_FACTOR * mean, mean + FREEZE_MIN_EXTRA):
                freezes += 1
                frozen += current - max(previous, start)  # its part inside the window
        recent.append(interval)
    inside = [t for t in ordered if t >= start]
    edges = [start, *inside, end]
    longest = max(b - a for a, b in zip(edges, edges[1:], strict=False))
    return Smoothness(
        frames=len(inside),
        seconds=end - start,
        freezes=freezes,
        frozen_s=frozen,
        longest_gap_s=longest,
    )
