"""One subscriber's downlink: what it can take, from its REMB and the loss it reports.

Two signals, as in Google's congestion control, of which a subscriber gives us the feedback:

- its REMB, the receiver's delay-based estimate: a queue building up on a narrow link shows
  as growing delay before any loss. It becomes the budget only once it says the link is the
  limit: it fell (by more than `REMB_DROP` from one report to the next), or it stayed below
  what we send without growing for `REMB_FLAT` seconds, or it is far under what we send
  (`REMB_FAR_UNDER`). Before that it is a receiver's
  ramp-up (about 1.5x what it receives, growing 8 % a second), not the link. Followed from
  the start, it held unconstrained pupils in Chromium at 10 frames/s for a lesson's first
  seconds, and capped the teacher's encoder below what everyone could take.
- the loss in its receiver reports, measured by each consumer over a second at a time and
  without what the publisher's uplink lost (`Consumer.downlink_loss`): a link that drops
  without queueing (a lossy radio, a policer) never shows in the delay. When two
  measurements in a row say more than `HIGH_LOSS`, the cap drops by half the loss, from
  what the link was believed to carry (the cap, the REMB, or the lesser of the last
  estimate and what we sent). Then reports are ignored for `LOSS_QUIET` seconds: the first
  ones after a cut describe the queue that built up before it; a second cut needs loss
  after a clean measurement, or loss lasting `2 * LOSS_QUIET` (a keyframe burst into a shallow
  queue went on losing 60-90 % for two seconds and a second cut paused the teacher).
  Below `LOW_LOSS` the cap grows 8 % a second. One lossy measurement alone is not acted
  on: a keyframe burst into a shallow queue loses its tail once, and NACKs repair it.

The budget is the smaller of the two; None while neither says anything: then every video is
forwarded whole. `tick` is called once a second (the router's timer) with what we sent.

Loss that NACKs can repair asks for time rather than fewer bits: Chrome renders a frame as
soon as a later one is decodable, and with temporal layers most frames are not referenced,
so on a link with loss and jitter it skipped a quarter of the frames whose retransmission
was on its way. A subscriber that lost more than `SMOOTH_LOSS` in two measurements within
`SMOOTH_HOLD` seconds (one stray loss is not a lossy link) is asked (by the playout-delay
header extension) to buffer at least `LOSSY_PLAYOUT`; `SMOOTH_HOLD` seconds
after the loss ends it is given the default back.
"""

from __future__ import annotations

from collections import deque

REMB_DROP = 0.05
REMB_FLAT = 2.0
REMB_FAR_UNDER = 0.5
"""A REMB under this share of what we sent, two seconds in a row, is the link's limit at once:
a receiver's first estimate follows what arrives, and a ramp-up starts near what is sent.
Measured (12 aiortc pupils, a simulcast teacher): a 300 kbit/s pupil's first REMB said
~290 kbit/s while we sent 2.4 Mbit/s; waiting for it to fall or stay flat kept its link
dropping from a full queue for 7 s."""
HIGH_LOSS = 0.10
LOW_LOSS = 0.02
LOSS_GROWTH = 1.08
"""Growth of the loss cap per second without loss."""
MAX_GROWTH_SPAN = 5.0
LOSS_QUIET = 2.0
SMOOTH_LOSS = 0.01
SMOOTH_HOLD = 10.0
LOSSY_PLAYOUT = (250, 10_000)
"""(min, max) playout delay in ms on a lossy link: a retransmission's round trip and the
NACK's wait for the gap to show, on the links where we measured it (20-70 ms each way)."""
STEADY_PLAYOUT = (0, 10_000)
"""Chrome's own default bounds, sent to undo `LOSSY_PLAYOUT` (a receiver keeps the last)."""
LOSSY_FOR = 4.0
"""Seconds after a measurement over `SMOOTH_LOSS` (or a cut) in which the link counts as
lossy (`lossy`): no probe for more then."""
FLOOR = 50_000.0
"""Bits/s under which no estimate goes: audio must always have room."""


class Downlink:
    __slots__ = (
        "source",
        "estimate",
        "remb",
        "loss_cap",
        "delivered",
        "sent_rate",
        "_sent_before",
        "_lossy_reports",
        "_last_remb",
        "_rembs",
        "_quiet_until",
        "_smooth_until",
        "_lossy_at",
        "_last_loss_at",
        "_draining",
        "_drained_by",
    )

    def __init__(self) -> None:
        self.source: str | None = None
        """Where the delay-based estimate comes from: "twcc" (ours, from the subscriber's
        transport feedback), "remb" (the subscriber's own), None (neither yet)."""
        self.estimate: float | None = None
        """The last delay-based estimate, limit or not (for /metrics)."""
        self.remb: float | None = None
        """The REMB, once it has shown the link's limit (see the module's notes)."""
        self.loss_cap: float | None = None
        self.delivered: float | None = None
        """Bits/s the subscriber's transport feedback says arrived (half a second's)."""
        self.sent_rate = 0.0
        """Bits/s we sent this subscriber over the last second."""
        self._sent_before = 0.0
        """... and over the second before."""
        self._lossy_reports = 0
        self._last_remb: float | None = None
        self._rembs: deque[tuple[float, float]] = deque()
        """(time, REMB) at each tick, for `REMB_FLAT`."""
        self._quiet_until = float("-inf")
        self._smooth_until: float | None = None
        self._lossy_at = float("-inf")
        """When a measurement last showed more than `SMOOTH_LOSS`."""
        self._last_loss_at: float | None = None
        self._draining = False
        self._drained_by = float("-inf")
        """Until when the subscriber buffers for retransmissions; None: it never had to."""

    def on_estimate(
        self, bitrate: float, limit: bool, now: float, delivered: float | None = None
    ) -> None:
        """Our own delay-based estimate of this downlink, from its transport feedback
        (sfu/bandwidth.py), in the REMB's place: a browser given transport-cc sends no
        REMB. `limit`: the estimator has seen the link's limit (a queue building up);
        before that its estimate is a ramp from its start value, not the link. `delivered`:
        bits/s that arrived over the last half second, as the feedback says.

        A decrease of it answers a queue (0.85x what arrived while it grew): the loss
        reported for `LOSS_QUIET` seconds after it is that queue's, as after a cut. Cut
        again on top, a Chromium pupil behind 300 kbit/s flooded at its start (its estimate
        226 kbit/s) got a cap of 132 kbit/s, under its teacher's picture, for 10 s."""
        if limit and self.estimate is not None and bitrate < self.estimate * (1 - REMB_DROP):
            self._quiet_until = max(self._quiet_until, now + LOSS_QUIET)
            self._lossy_reports = 0
        self.source = "twcc"
        self.estimate = bitrate
        if delivered is not None:
            self.delivered = delivered
        self._last_remb = bitrate
        if limit or self.remb is not None:
            self.remb = max(FLOOR, bitrate)

    def on_remb(self, bitrate: float) -> None:
        if self.source == "twcc":
            return  # our own estimate is at hand: a REMB now is stale or a stray
        self.source = "remb"
        self.estimate = bitrate
        previous, self._last_remb = self._last_remb, bitrate
        if self.remb is not None or (previous is not None and bitrate < previous * (1 - REMB_DROP)):
            self.remb = max(FLOOR, bitrate)

    def on_loss(self, fraction: float, now: float) -> None:
        """A measurement's fraction lost (0..1) on our leg, the worst of our video streams'."""
        since, self._last_loss_at = self._last_loss_at, now
        if fraction > SMOOTH_LOSS:
            if now - self._lossy_at <= SMOOTH_HOLD:
                self._smooth_until = now + SMOOTH_HOLD
            self._lossy_at = now
        if now < self._quiet_until:
            return
        if self._draining:
            # Still lossy after a cut: the queue of what we sent before it (a keyframe's
            # burst) may still be draining. Cut again only if loss lasts past that.
            if fraction > HIGH_LOSS and now < self._drained_by:
                return
            self._draining = False
        if fraction > HIGH_LOSS:
            self._lossy_reports += 1
            if self._lossy_reports < 2:
                return
            # Before a limit is known, never above a REMB (a receiver's estimate follows what
            # arrives): cut from what we sent, a 300 kbit/s pupil sent 2.4 Mbit/s at first got
            # a cap of 1 Mbit/s. Not our own estimate: until its first overuse it is a ramp
            # from 300 kbit/s whatever the link (a Chromium pupil behind 300 kbit/s, cut from
            # it, froze for a third of the test's window). With transport feedback, what
            # arrived is known, and is what the link carries: what we sent is a flood (2.4
            # Mbit/s) or, a second stale, the trickle before it (cut from 164 kbit/s, a
            # pupil got a cap of 111, under audio and its teacher's picture, for 10 s).
            if self.source == "remb":
                first = min((v for v in (self.estimate, self.sent_rate) if v), default=None)
            else:
                first = self.delivered or self.sent_rate or None
            believed = self.loss_cap or self.remb or first
            if believed:
                self.loss_cap = max(FLOOR, believed * (1 - 0.5 * fraction))
                self._quiet_until = now + LOSS_QUIET
                self._draining = True
                self._drained_by = now + 2 * LOSS_QUIET
                self._lossy_reports = 0
            return
        self._lossy_reports = 0
        if fraction < LOW_LOSS and self.loss_cap is not None and since is not None:
            # Per second, not per measurement: on a narrow link a measurement waits for
            # enough packets and can span several seconds.
            span = now - max(since, self._quiet_until)
            self.loss_cap *= LOSS_GROWTH ** min(max(0.0, span), MAX_GROWTH_SPAN)

    def tick(self, sent_rate: float, now: float) -> None:
        """Once a second: what we sent, and whether a flat REMB below it shows the limit."""
        self._sent_before, self.sent_rate = self.sent_rate, sent_rate
        remb = self._last_remb
        if remb is None:
            return
        if (
            self.remb is None
            and self.source == "remb"
            and remb < REMB_FAR_UNDER * min(sent_rate, self._sent_before)
        ):
            self.remb = max(FLOOR, remb)
            return
        self._rembs.append((now, remb))
        while self._rembs and self._rembs[0][0] < now - REMB_FLAT - 0.5:
            self._rembs.popleft()
        if self.remb is None and remb < sent_rate:
            then, earlier = self._rembs[0]
            if now - then >= REMB_FLAT and remb <= earlier * (1 + REMB_DROP):
                self.remb = max(FLOOR, remb)

    def lossy(self, now: float) -> bool:
        """The link lost more than `SMOOTH_LOSS` within `LOSSY_FOR` seconds, or its cap was
        cut just now: no time to send it more."""
        return now - self._lossy_at < LOSSY_FOR or now < self._quiet_until

    def playout_delay(self, now: float) -> tuple[int, int] | None:
        """What the subscriber's video should carry in its playout-delay extension (None:
        nothing, the receiver's defaults)."""
        if self._smooth_until is None:
            return None
        return LOSSY_PLAYOUT if now < self._smooth_until else STEADY_PLAYOUT

    def budget(self) -> float | None:
        values = [v for v in (self.remb, self.loss_cap) if v is not None]
        return min(values) if values else None
