"""A leaky-bucket pacer: what one connection sends leaves at `pacing rate`, not in bursts.

A keyframe is hundreds of packets produced at once; forwarded as they come, they hit a
subscriber's narrow link as one burst that its queue may not hold. The pacer spreads them:

    pacer = Pacer(rate=PACING_FACTOR * estimate)
    if pacer.send_now(Kind.VIDEO, now, size):   # the fast path: nothing waits, budget left
        send(packet)
    else:
        pacer.enqueue(packet, Kind.VIDEO, now, size)
    for packet in pacer.release(now):      # now, and again at pacer.next_release_time()
        send(packet)                       # stamp the transport-wide seq and send time HERE
    pacer.set_rate(PACING_FACTOR * estimator.estimate)   # after each feedback

Pure: the clock is the caller's (`now`, seconds), packets are opaque, rates are bits/s.

- **Rate and burst.** A budget grows at the pacing rate, up to `burst` seconds of it (so
  after a pause a frame of up to `burst` × rate leaves at once, without waiting for the next
  tick), and every packet released spends its size: a packet leaves while the budget is
  positive, so the budget may end up to one packet in debt. Over any span the pacer releases
  at most rate × span + burst + one packet (audio aside).
- **Intervals.** `next_release_time` is never sooner than `interval` (5 ms) after the last
  release unless the budget is positive: a timer per 5 ms, not per packet, as libwebrtc.
- **Priorities.** Audio first, then retransmissions, then video; FIFO within a kind. Audio
  is never held back for budget (it is small, and late audio is lost audio), but it spends
  the budget like the rest.
- **Queue limit: drain, don't drop.** When the oldest waiting packet has waited part of
  `queue_limit` (0.5 s), the rate is raised so that everything queued leaves within the rest
  of the limit (libwebrtc's "drain large queues", with its 2 s limit cut to a lesson's
  0.5 s). Dropping video packets instead would break the frames they belong to: the
  receiver would NACK them and ask for a keyframe, adding to the very burst that filled the
  queue. Sending fewer packets is the layer allocator's job (`allocation.py`); the pacer
  only smooths, and reports its `queue_delay` so the allocator can see a queue growing.

The pacing factor (2.5, libwebrtc's) lets the pacer catch up after bursts while staying
under the link most of the time. The estimator must never see this queue: send times are
taken when a packet leaves `release`, not when it is enqueued (see `bandwidth.py`).
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum
from typing import Generic, TypeVar

T = TypeVar("T")

PACING_FACTOR = 2.5
INTERVAL = 0.005
BURST = 0.010
QUEUE_LIMIT = 0.5


class Kind(IntEnum):
    """What a packet is, in the order the pacer releases kinds."""

    AUDIO = 0
    RETRANSMISSION = 1
    VIDEO = 2


_AUDIO = int(Kind.AUDIO)


class Pacer(Generic[T]):
    """One connection's pacer: see the module's notes."""

    __slots__ = (
        "rate",
        "interval",
        "burst",
        "queue_limit",
        "queued_bytes",
        "_queues",
        "_budget",
        "_last",
        "_effective",
    )

    def __init__(
        self,
        rate: float,
        interval: float = INTERVAL,
        burst: float = BURST,
        queue_limit: float = QUEUE_LIMIT,
    ) -> None:
        self.rate = 0.0
        self.set_rate(rate)
        self.interval = interval
        self.burst = burst
        """Seconds of the rate that may leave at once."""
        self.queue_limit = queue_limit
        self.queued_bytes = 0
        self._queues: tuple[deque[tuple[T, int, float]], ...] = tuple(deque() for _ in Kind)
        self._budget = self.rate * burst
        """Bits that may leave now; negative: owed."""
        self._last: float | None = None
        self._effective = self.rate

    def set_rate(self, rate: float) -> None:
        """The pacing rate, bits/s (e.g. `PACING_FACTOR` × the estimate)."""
        if not rate > 0:
            raise ValueError("the pacing rate must be positive")
        self.rate = rate

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues)

    def enqueue(self, packet: T, kind: Kind, now: float, size: int) -> None:
        """Queue a packet of `size` bytes; it leaves at a later `release`."""
        self._queues[kind].append((packet, size, now))
        self.queued_bytes += size

    def send_now(self, kind: Kind, now: float, size: int) -> bool:
        """The fast path: whether a packet may skip the queue and leave at once (then its
        size is spent): nothing waits before it and the budget allows it. Otherwise the
        caller `enqueue`s it. A stream under the pacing rate never touches the queue."""
        audio, retransmissions, video = self._queues
        if audio or (kind != _AUDIO and (video or retransmissions)):
            return False
        last, self._last = self._last, now
        rate = self._effective = self.rate
        budget = self._budget
        if last is not None and now > last:
            budget = min(budget + rate * (now - last), rate * self.burst)
        if budget <= 0 and kind != _AUDIO:
            self._budget = budget
            return False
        self._budget = budget - size * 8
        return True

    def release(self, now: float) -> list[T]:
        """The packets that may leave at `now`, in the order to send them."""
        self._refill(now, self._drain_rate(now))
        out: list[T] = []
        budget = self._budget
        audio, retransmissions, video = self._queues
        while audio:
            packet, size, _ = audio.popleft()
            budget -= size * 8
            self.queued_bytes -= size
            out.append(packet)
        for queue in (retransmissions, video):
            while queue and budget > 0:
                packet, size, _ = queue.popleft()
                budget -= size * 8
                self.queued_bytes -= size
                out.append(packet)
        self._budget = budget
        return out

    def _refill(self, now: float, rate: float) -> None:
        last, self._last = self._last, now
        self._effective = rate
        if last is not None and now > last:
            self._budget = min(self._budget + rate * (now - last), rate * self.burst)

    def next_release_time(self) -> float | None:
        """When `release` should next be called; None while nothing waits. A time in the past
        means now."""
        audio = self._queues[Kind.AUDIO]
        if audio:
            return audio[0][2]
        oldest = self._oldest_paced()
        if oldest is None:
            return None
        last = self._last
        if last is None or self._budget > 0:
            return oldest
        # when the budget is back above zero (by a bit, against rounding), not before a tick
        return max(oldest, last + max(self.interval, (1 - self._budget) / self._effective))

    def queue_delay(self, now: float) -> float:
        """Seconds the oldest waiting packet has waited (0 when none waits)."""
        oldest = min((q[0][2] for q in self._queues if q), default=None)
        return 0.0 if oldest is None else max(0.0, now - oldest)

    def _drain_rate(self, now: float) -> float:
        """The pacing rate, raised so that what waits leaves within `queue_limit`."""
        oldest = self._oldest_paced()
        if oldest is None:
            return self.rate
        left = max(self.interval, self.queue_limit - (now - oldest))
        return max(self.rate, self.queued_bytes * 8 / left)

    def _oldest_paced(self) -> float | None:
        """When the longest-waiting retransmission or video packet was queued."""
        _, retransmissions, video = self._queues
        if retransmissions and video:
            return min(retransmissions[0][2], video[0][2])
        queue = retransmissions or video
        return queue[0][2] if queue else None
