"""Send-side bandwidth estimation for one subscriber's downlink, from transport-wide feedback.

Google Congestion Control (GCC) as libwebrtc's goog_cc does it, without probing. Pure: no
clock is read, no socket touched; times are floats in seconds, rates bits/s. Per connection:

    estimator = BandwidthEstimator(initial=300_000)
    ...
    estimate = estimator.on_feedback(sent.on_feedback(feedback), loop.time())
    estimator.state()   # an `EstimatorState`: the parts, for logs and /metrics

`on_feedback` takes what `transport_feedback.SentPackets.on_feedback` made of one feedback
packet: per packet its send time (ours), arrival time (the receiver's clock) or "lost", and
size. Inside, in this order:

- **Packet groups** (`PacketGroups`): packets sent within 5 ms of a group's first are one
  group (a pacer burst, a frame); a packet arriving within 5 ms of the group's last and
  earlier than its send spacing says also belongs to it (a burst the network bunched). Two
  consecutive groups give one sample: how much later the second arrived than it was sent
  after the first (the inter-group delay variation: positive while a queue grows).
- **Trendline filter** (`Trendline`, libwebrtc's TrendlineEstimator): the delay variations
  are accumulated, smoothed (0.9) and the slope of the last 20 against arrival time fitted
  by least squares. The slope, times the number of samples (up to 60) and a gain of 4, is
  compared with an adaptive threshold (12.5 ms at first, 6-600 ms; it follows the signal at
  0.039/ms when the signal is under it and 0.0087/ms when over, ignoring spikes 15 ms past
  it): over it for more than 10 ms and two samples, with a slope not falling, is
  *overusing*; under minus it, *underusing*; else *normal*.
- **AIMD rate control** (`RateControl`): overusing → decrease to 0.85 × the acknowledged
  bitrate (at most once per round trip, 10-200 ms), then hold; underusing → hold (the queue
  is draining); normal → increase. The increase is multiplicative (8 % a second) while the
  acknowledged bitrate is far from the link capacity estimate (the acknowledged bitrates at
  past decreases, averaged, ± 3 deviations), additive near it (about a packet per frame per
  round trip + 100 ms), and never above 1.5 × the acknowledged bitrate + 10 kbit/s: a
  sender that uses less than its estimate must not grow it unchecked.
- **Loss bound** (`LossBound`, libwebrtc's classic SendSideBandwidthEstimation): over at
  least 20 reported packets, loss above 10 % in two measurements in a row cuts the bound by
  half the loss (at most once per 300 ms + round trip), loss below 2 % raises it 8 % a
  second, in between it holds. The bound never rises above the delay-based estimate. So
  random loss of 2 % does not cut the estimate; it slows its growth (measurements of 1 loss
  in 20 hold it), and steady loss between 2 and 10 % holds it where it is.
- **Acknowledged bitrate** (`AckedBitrate`): what arrived over the last 0.5 s of the
  receiver's clock.

The estimate is the smaller of the delay-based and the loss-based one, within [floor, ceiling].

**Send time means the time the packet was handed to the socket.** The delay signal is
arrival time against send time; a packet's send time must therefore be taken where it leaves
for the network — after the pacer (`sfu/pacer.py`), when `SentPackets.add` numbers it — never
when a consumer produced it. Earlier attempts in this project spiralled on exactly this: the
pacer's queue delay read as overuse (and its drops as loss), the estimate fell, the pacer,
paced at a multiple of the estimate, queued longer. `tests/unit/test_bandwidth.py` keeps
both halves visible: stamped at release, a paced stream over a free 5 Mbit/s link never
shows overuse; stamped at enqueue, every keyframe's wait in the pacer read as overuse (81
times in 20 s) and the estimate stayed at a third of the right one, under what the stream
needed. The pacer's queue is our decision, not the link's: it is reported
(`Pacer.queue_delay`) for the allocator to act on, and never reaches this module.

Without probing the estimate grows at most 8 % a second from `initial`: from 300 kbit/s a
3 Mbit/s link takes ~30 s to fill. Start it from what is known (the subscriber's REMB, the
rate already sent) where there is something.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .transport_feedback import PacketResult

Usage = Literal["normal", "overusing", "underusing"]
Phase = Literal["increase", "hold", "decrease"]

FLOOR = 50_000.0
"""Bits/s under which no estimate goes: audio must always have room (as `downlink.FLOOR`)."""
CEILING = 50_000_000.0
INITIAL = 300_000.0
"""libwebrtc's default start bitrate."""
DEFAULT_RTT = 0.1

GROUP_SPAN = 0.005
"""Packets sent within this of a group's first packet form one group."""
BURST_SPAN = 0.005
MAX_BURST = 0.1
RESET_OFFSET = 3.0
"""A jump of the receiver's clock against ours beyond this starts the groups afresh."""
MAX_REORDERED = 3


class PacketGroups:
    """Packets grouped by send time; each completed group gives (send delta, arrival delta)
    against the previous one (libwebrtc's InterArrival)."""

    __slots__ = (
        "_first_send",
        "_send",
        "_first_arrival",
        "_arrival",
        "_prev_send",
        "_prev_arrival",
        "_reordered",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._first_send: float | None = None
        self._send = 0.0
        self._first_arrival = 0.0
        self._arrival = 0.0
        self._prev_send: float | None = None
        self._prev_arrival = 0.0
        self._reordered = 0

    def push(self, send: float, arrival: float) -> tuple[float, float] | None:
        """Add a received packet (in send order); when it starts a new group, the previous
        group's (send delta, arrival delta) against the one before it."""
        first = self._first_send
        if first is None:
            self._first_send = self._send = send
            self._first_arrival = self._arrival = arrival
            return None
        if send < first:
            return None  # sent before the current group began: reordered, ignored
        deltas = None
        if self._new_group(send, arrival):
            if self._prev_send is not None:
                send_delta = self._send - self._prev_send
                arrival_delta = self._arrival - self._prev_arrival
                if abs(arrival_delta - send_delta) >= RESET_OFFSET:
                    self.reset()
                    self.push(send, arrival)
                    return None
                if arrival_delta < 0:
                    self._reordered += 1
                    if self._reordered >= MAX_REORDERED:
                        self.reset()
                        self.push(send, arrival)
                        return None
                else:
                    self._reordered = 0
                    deltas = (send_delta, arrival_delta)
            self._prev_send, self._prev_arrival = self._send, self._arrival
            self._first_send = self._send = send
            self._first_arrival = arrival
        else:
            self._send = max(self._send, send)
        self._arrival = arrival
        return deltas

    def _new_group(self, send: float, arrival: float) -> bool:
        arrival_delta = arrival - self._arrival
        send_delta = send - self._send
        if send_delta == 0:
            return False
        if (
            arrival_delta - send_delta < 0
            and arrival_delta <= BURST_SPAN
            and arrival - self._first_arrival < MAX_BURST
        ):
            return False  # bunched up by the network: part of the same burst
        assert self._first_send is not None
        return send - self._first_send > GROUP_SPAN


WINDOW = 20
SMOOTHING = 0.9
GAIN = 4.0
MIN_DELTAS = 60
MAX_DELTAS = 1000
INITIAL_THRESHOLD = 12.5
THRESHOLD_RANGE = (6.0, 600.0)
K_UP = 0.0087
K_DOWN = 0.039
MAX_ADAPT_OFFSET = 15.0
OVERUSE_TIME = 10.0
MAX_THRESHOLD_STEP = 100.0


class Trendline:
    """The slope of the smoothed accumulated delay variation, and the overuse detector with
    its adaptive threshold (libwebrtc's TrendlineEstimator). Milliseconds inside, as the
    thresholds are."""

    __slots__ = (
        "usage",
        "trend",
        "threshold",
        "_deltas",
        "_first_arrival",
        "_accumulated",
        "_smoothed",
        "_history",
        "_time_over",
        "_overuse_count",
        "_last_threshold_update",
        "modified_trend",
    )

    def __init__(self) -> None:
        self.usage: Usage = "normal"
        self.trend = 0.0
        self.modified_trend = 0.0
        self.threshold = INITIAL_THRESHOLD
        self._deltas = 0
        self._first_arrival: float | None = None
        self._accumulated = 0.0
        self._smoothed = 0.0
        self._history: deque[tuple[float, float]] = deque(maxlen=WINDOW)
        self._time_over = -1.0
        self._overuse_count = 0
        self._last_threshold_update: float | None = None

    def update(self, send_delta: float, arrival_delta: float, arrival: float) -> Usage:
        """One group sample (seconds); the detector's verdict."""
        delta_ms = (arrival_delta - send_delta) * 1000
        self._deltas = min(self._deltas + 1, MAX_DELTAS)
        if self._first_arrival is None:
            self._first_arrival = arrival
        self._accumulated += delta_ms
        self._smoothed = SMOOTHING * self._smoothed + (1 - SMOOTHING) * self._accumulated
        self._history.append(((arrival - self._first_arrival) * 1000, self._smoothed))
        if len(self._history) == WINDOW:
            slope = _slope(self._history)
            if slope is not None:
                self._detect(slope, send_delta * 1000, arrival * 1000)
                return self.usage
        self._detect(self.trend, send_delta * 1000, arrival * 1000)
        return self.usage

    def _detect(self, trend: float, send_delta_ms: float, now_ms: float) -> None:
        if self._deltas < 2:
            self.usage = "normal"
            return
        modified = min(self._deltas, MIN_DELTAS) * trend * GAIN
        self.modified_trend = modified
        if modified > self.threshold:
            if self._time_over == -1:
                self._time_over = send_delta_ms / 2
            else:
                self._time_over += send_delta_ms
            self._overuse_count += 1
            if self._time_over > OVERUSE_TIME and self._overuse_count > 1 and trend >= self.trend:
                self._time_over = 0
                self._overuse_count = 0
                self.usage = "overusing"
        elif modified < -self.threshold:
            self._time_over = -1
            self._overuse_count = 0
            self.usage = "underusing"
        else:
            self._time_over = -1
            self._overuse_count = 0
            self.usage = "normal"
        self.trend = trend
        self._adapt_threshold(modified, now_ms)

    def _adapt_threshold(self, modified: float, now_ms: float) -> None:
        last = self._last_threshold_update
        self._last_threshold_update = now_ms
        if last is None or abs(modified) > self.threshold + MAX_ADAPT_OFFSET:
            return  # a spike (a sudden drop of capacity): not something to get used to
        k = K_DOWN if abs(modified) < self.threshold else K_UP
        step = min(max(0.0, now_ms - last), MAX_THRESHOLD_STEP)
        threshold = self.threshold + k * (abs(modified) - self.threshold) * step
        self.threshold = min(max(threshold, THRESHOLD_RANGE[0]), THRESHOLD_RANGE[1])


def _slope(points: deque[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x."""
    n = len(points)
    sum_x = sum_y = 0.0
    for x, y in points:
        sum_x += x
        sum_y += y
    mean_x = sum_x / n
    mean_y = sum_y / n
    numerator = denominator = 0.0
    for x, y in points:
        dx = x - mean_x
        numerator += dx * (y - mean_y)
        denominator += dx * dx
    return numerator / denominator if denominator else None


ACK_WINDOW = 0.5
ACK_MIN_SPAN = 0.1


class AckedBitrate:
    """What arrived, in bits/s, over the last `ACK_WINDOW` seconds of the receiver's clock;
    None until `ACK_MIN_SPAN` of arrivals were seen."""

    __slots__ = ("_packets", "_bytes", "_newest")

    def __init__(self) -> None:
        self._packets: deque[tuple[float, int]] = deque()
        self._bytes = 0
        self._newest = -math.inf

    def add(self, arrival: float, size: int) -> None:
        packets = self._packets
        if arrival > self._newest:
            self._newest = arrival
        packets.append((arrival, size))
        self._bytes += size
        oldest = self._newest - ACK_WINDOW
        while packets and packets[0][0] < oldest:
            self._bytes -= packets.popleft()[1]

    @property
    def rate(self) -> float | None:
        packets = self._packets
        if len(packets) < 2:
            return None
        first_arrival, first_size = packets[0]  # the oldest reported (reordering aside)
        span = self._newest - first_arrival
        if span < ACK_MIN_SPAN:
            return None
        return (self._bytes - first_size) * 8 / span


BETA = 0.85
MULTIPLICATIVE = 1.08
"""Growth per second far from the last congestion point."""
MIN_ADDITIVE = 4000.0
"""Bits/s per second at least, near it."""
FRAME_RATE = 30.0
PACKET_BYTES = 1200
ACKED_HEADROOM = 1.5
ACKED_EXTRA = 10_000.0
CAPACITY_ALPHA = 0.05
CAPACITY_VARIANCE = (0.4, 2.5)
INITIAL_HALVING_INTERVAL = 0.2


class RateControl:
    """AIMD on the detector's verdicts (libwebrtc's AimdRateControl, with its link capacity
    estimate)."""

    __slots__ = (
        "rate",
        "phase",
        "floor",
        "ceiling",
        "_last_change",
        "_capacity",
        "_capacity_variance",
    )

    def __init__(self, initial: float, floor: float, ceiling: float) -> None:
        self.rate = initial
        self.phase: Phase = "hold"
        self.floor = floor
        self.ceiling = ceiling
        self._last_change: float | None = None
        self._capacity: float | None = None
        """kbit/s: the acknowledged bitrate where overuse was seen (an average)."""
        self._capacity_variance = CAPACITY_VARIANCE[0]

    @property
    def near_capacity(self) -> bool:
        return self._capacity is not None

    def time_to_reduce(self, acked: float, rtt: float, now: float) -> bool:
        """Whether an overuse may cut again: once per round trip, or at once when what
        arrives is under half the estimate."""
        if self._last_change is None or now - self._last_change >= min(max(rtt, 0.01), 0.2):
            return True
        return acked < 0.5 * self.rate

    def update(self, usage: Usage, acked: float | None, rtt: float, now: float) -> float:
        """Move by the detector's verdict, given the acknowledged bitrate (None: not known
        yet) and the round trip; the new delay-based rate."""
        if usage == "overusing":
            self.phase = "decrease"
        elif usage == "underusing":
            self.phase = "hold"
        elif self.phase == "hold":
            self.phase = "increase"
            self._last_change = now
        rate = self.rate
        if self.phase == "increase":
            if acked is not None and self._capacity is not None and acked > self._upper():
                self._capacity = None  # far past the old congestion point: a new link
            limit = math.inf if acked is None else ACKED_HEADROOM * acked + ACKED_EXTRA
            if rate < limit:
                elapsed = 0.0 if self._last_change is None else max(0.0, now - self._last_change)
                if self._capacity is not None:
                    rate += self._additive_rate(rtt) * elapsed
                else:
                    rate += max(rate * (MULTIPLICATIVE ** min(elapsed, 1.0) - 1), 1000.0)
                rate = min(rate, limit)
            self._last_change = now
        elif self.phase == "decrease":
            if acked is not None:
                lowered = BETA * acked
                if lowered > rate and self._capacity is not None:
                    lowered = BETA * self._capacity * 1000
                if lowered < rate:
                    rate = lowered
                if self._capacity is not None and acked < self._lower():
                    self._capacity = None
                self._observe_capacity(acked)
            self.phase = "hold"
            self._last_change = now
        self.rate = min(max(rate, self.floor), self.ceiling)
        return self.rate

    def halve(self, now: float) -> bool:
        """Overuse before anything was acknowledged: halve, at most every 200 ms."""
        if self._last_change is not None and now - self._last_change < INITIAL_HALVING_INTERVAL:
            return False
        self.rate = max(self.floor, self.rate / 2)
        self.phase = "hold"
        self._last_change = now
        return True

    def _additive_rate(self, rtt: float) -> float:
        frame_bits = self.rate / FRAME_RATE
        packets = max(1.0, math.ceil(frame_bits / (PACKET_BYTES * 8)))
        return max(MIN_ADDITIVE, (frame_bits / packets) / (rtt + 0.1))

    def _observe_capacity(self, acked: float) -> None:
        sample = acked / 1000
        capacity = self._capacity
        if capacity is None:
            capacity = sample
        else:
            capacity = (1 - CAPACITY_ALPHA) * capacity + CAPACITY_ALPHA * sample
        error = capacity - sample
        variance = (1 - CAPACITY_ALPHA) * self._capacity_variance + CAPACITY_ALPHA * (
            error * error / max(capacity, 1.0)
        )
        self._capacity_variance = min(max(variance, CAPACITY_VARIANCE[0]), CAPACITY_VARIANCE[1])
        self._capacity = capacity

    def _deviation(self) -> float:
        assert self._capacity is not None
        return math.sqrt(self._capacity_variance * self._capacity)

    def _upper(self) -> float:
        assert self._capacity is not None
        return (self._capacity + 3 * self._deviation()) * 1000

    def _lower(self) -> float:
        assert self._capacity is not None
        return max(0.0, self._capacity - 3 * self._deviation()) * 1000


LOSS_MIN_PACKETS = 20
LOW_LOSS = 0.02
HIGH_LOSS = 0.10
LOSS_GROWTH = 1.08
LOSS_DECREASE_INTERVAL = 0.3


class LossBound:
    """The loss-based bound (libwebrtc's classic SendSideBandwidthEstimation).

    One change to it: a cut needs two measurements in a row above `HIGH_LOSS` (and is by
    the smaller loss of the two). Over 20 packets, random loss of 2 % shows 3 losses (15 %)
    in one measurement out of 140; acted on, every such fluke cut the estimate by 7 % on a
    link that had not changed. A keyframe's burst into a shallow queue loses its tail once,
    too (see `downlink.py`). Real loss above 10 % is cut one measurement later (~0.2 s).
    """

    __slots__ = (
        "value",
        "loss",
        "_lost",
        "_expected",
        "_last_update",
        "_last_decrease",
        "_high",
        "cuts",
    )

    def __init__(self, initial: float) -> None:
        self.value = initial
        self.cuts = 0
        """How often loss has cut the bound."""
        self.loss: float | None = None
        """The last measured fraction lost."""
        self._lost = 0
        self._expected = 0
        self._last_update: float | None = None
        self._last_decrease = -math.inf
        self._high: float | None = None
        """The previous measurement's loss, when it was above `HIGH_LOSS`."""

    def update(self, lost: int, expected: int, cap: float, rtt: float, now: float) -> float:
        """Count a feedback's packets; once `LOSS_MIN_PACKETS` are counted, act on their loss.
        The bound never goes past `cap` (the delay-based estimate)."""
        self._lost += lost
        self._expected += expected
        if self._expected >= LOSS_MIN_PACKETS:
            loss = self.loss = self._lost / self._expected
            self._lost = self._expected = 0
            last, self._last_update = self._last_update, now
            previous, self._high = self._high, None
            if loss < LOW_LOSS:
                elapsed = 0.0 if last is None else min(max(0.0, now - last), 1.0)
                self.value = self.value * LOSS_GROWTH**elapsed + 1000 * elapsed
            elif loss > HIGH_LOSS:
                self._high = loss
                if previous is not None and now - self._last_decrease >= (
                    LOSS_DECREASE_INTERVAL + rtt
                ):
                    self.value *= 1 - 0.5 * min(loss, previous)
                    self._last_decrease = now
                    self._high = None
                    self.cuts += 1
        self.value = min(self.value, cap)
        return self.value


RTT_SMOOTHING = 0.9


@dataclass(frozen=True)
class EstimatorState:
    """A `BandwidthEstimator` at one moment, for logs, /metrics and tests."""

    estimate: float
    delay_based: float
    loss_based: float
    acked: float | None
    usage: Usage
    phase: Phase
    near_capacity: bool
    """The rate controller grows additively (near the last congestion point)."""
    loss: float | None
    rtt: float
    trend: float
    """The detector's modified trend and its adaptive threshold (ms)."""
    threshold: float


class BandwidthEstimator:
    """One connection's send-side estimate: see the module's notes."""

    __slots__ = ("groups", "trendline", "acked", "rate_control", "loss_bound", "rtt", "floor")

    def __init__(
        self, initial: float = INITIAL, floor: float = FLOOR, ceiling: float = CEILING
    ) -> None:
        initial = min(max(initial, floor), ceiling)
        self.floor = floor
        self.groups = PacketGroups()
        self.trendline = Trendline()
        self.acked = AckedBitrate()
        self.rate_control = RateControl(initial, floor, ceiling)
        self.loss_bound = LossBound(initial)
        self.rtt = DEFAULT_RTT
        """Seconds from sending the newest packet a feedback acknowledges to receiving that
        feedback (includes the receiver's wait before sending it), smoothed."""

    @property
    def estimate(self) -> float:
        """Bits/s the link is believed to carry now."""
        return max(self.floor, min(self.rate_control.rate, self.loss_bound.value))

    def on_feedback(self, results: Sequence[PacketResult], now: float) -> float:
        """One feedback's packets (in sequence order, send times as handed to the socket),
        received at `now` (our clock); the new estimate."""
        if not results:
            return self.estimate
        lost = 0
        newest_send = -math.inf
        groups, trendline, acked = self.groups, self.trendline, self.acked
        usage = trendline.usage
        for result in results:
            arrival = result.arrival
            if arrival is None:
                lost += 1
                continue
            acked.add(arrival, result.size)
            if result.send_time > newest_send:
                newest_send = result.send_time
            deltas = groups.push(result.send_time, arrival)
            if deltas is not None:
                usage = trendline.update(deltas[0], deltas[1], arrival)
        if newest_send > -math.inf and now >= newest_send:
            self.rtt = RTT_SMOOTHING * self.rtt + (1 - RTT_SMOOTHING) * (now - newest_send)
        rate = acked.rate
        control = self.rate_control
        if usage == "overusing":
            if rate is not None:
                if control.time_to_reduce(rate, self.rtt, now):
                    control.update(usage, rate, self.rtt, now)
            else:
                control.halve(now)
        else:
            control.update(usage, rate, self.rtt, now)
        self.loss_bound.update(lost, len(results), control.rate, self.rtt, now)
        return self.estimate

    def state(self) -> EstimatorState:
        return EstimatorState(
            estimate=self.estimate,
            delay_based=self.rate_control.rate,
            loss_based=self.loss_bound.value,
            acked=self.acked.rate,
            usage=self.trendline.usage,
            phase=self.rate_control.phase,
            near_capacity=self.rate_control.near_capacity,
            loss=self.loss_bound.loss,
            rtt=self.rtt,
            trend=self.trendline.modified_trend,
            threshold=self.trendline.threshold,
        )
