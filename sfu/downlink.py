"""One subscriber's downlink: what it can take, from its REMB and the loss it reports.

Two signals, as in Google's congestion control, of which a subscriber gives us the feedback:
- its REMB: the receiver's delay-based estimate (a queue building up on a narrow link shows
  as growing delay before any loss);
- the loss in its receiver reports: a link that drops without queueing (a lossy radio, a
  policer) never shows in the delay. When two reports in a row say more than `HIGH_LOSS`,
  the cap drops by half the loss, from what the link was believed to carry (the cap, the
  REMB, or what we sent); below `LOW_LOSS` it grows 8 % per report until it no longer binds.
  One lossy report is not enough: a keyframe burst into a shallow queue loses its tail once,
  and NACKs repair it.
The budget is the smaller of the two; None while there is no information (no REMB, no
loss): then every video is forwarded whole.
"""

from __future__ import annotations

HIGH_LOSS = 0.10
LOW_LOSS = 0.02
LOSS_GROWTH = 1.08
FLOOR = 50_000.0
"""Bits/s under which no estimate goes: audio must always have room."""


class Downlink:
    __slots__ = ("remb", "loss_cap", "loss", "sent_rate", "_lossy_reports")

    def __init__(self) -> None:
        self.remb: float | None = None
        self.loss_cap: float | None = None
        self.loss = 0.0
        """The latest fraction lost reported for our video, 0..1."""
        self.sent_rate = 0.0
        """Bits/s we sent this subscriber over the last second."""
        self._lossy_reports = 0

    def on_remb(self, bitrate: float) -> None:
        self.remb = max(FLOOR, bitrate)

    def on_loss(self, fraction: float) -> None:
        """A receiver report's fraction lost (0..1) for one of our video streams."""
        self.loss = fraction
        if fraction > HIGH_LOSS:
            self._lossy_reports += 1
            if self._lossy_reports < 2:
                return
            believed = self.loss_cap or self.remb or self.sent_rate
            if believed:
                self.loss_cap = max(FLOOR, believed * (1 - 0.5 * fraction))
            return
        self._lossy_reports = 0
        if fraction < LOW_LOSS and self.loss_cap is not None:
            self.loss_cap *= LOSS_GROWTH
            if self.loss_cap > 2 * max(self.sent_rate, FLOOR):
                self.loss_cap = None  # it no longer binds

    def budget(self) -> float | None:
        values = [v for v in (self.remb, self.loss_cap) if v is not None]
        return min(values) if values else None
