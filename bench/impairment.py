"""Network impairments for the bench relay: what a weak link does to datagrams, seeded."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Impairment:
    """How one direction of a link mistreats datagrams. The default is a perfect link."""

    loss: float = 0.0
    """Probability that a datagram is dropped on its own (outside a burst)."""
    burst_loss: float = 0.0
    """Probability, per datagram, that a loss burst starts (Gilbert-Elliott bad state)."""
    burst_length: float = 3.0
    """Mean number of datagrams a burst drops."""
    delay_ms: float = 0.0
    """Fixed one-way delay added to every datagram."""
    jitter_ms: float = 0.0
    """Extra delay drawn uniformly from [0, jitter_ms]; delivery order is kept, as on a wire."""
    bandwidth_kbps: float | None = None
    """Bottleneck rate; datagrams queue behind it."""
    queue_ms: float = 200.0
    """Longest queue at the bottleneck; a datagram that would wait longer is dropped."""

    @property
    def is_perfect(self) -> bool:
        return (
            self.loss == 0.0
            and self.burst_loss == 0.0
            and self.delay_ms == 0.0
            and self.jitter_ms == 0.0
            and self.bandwidth_kbps is None
        )


class LossModel:
    """Decides which datagrams are lost: independent loss plus Gilbert-Elliott bursts.

    Exactly one ``rng.random()`` draw per datagram when only ``loss`` is set (and one more
    per datagram when bursts are enabled), so a test can replay the decisions from the seed.
    """

    def __init__(self, impairment: Impairment, rng: random.Random) -> None:
        self._loss = impairment.loss
        self._burst_start = impairment.burst_loss
        self._burst_end = 1.0 / max(1.0, impairment.burst_length)
        self._rng = rng
        self._in_burst = False

    def drops(self) -> bool:
        """Whether the next datagram is lost."""
        if self._burst_start > 0.0:
            if self._in_burst:
                if self._rng.random() < self._burst_end:
                    self._in_burst = False
                return True
            if self._rng.random() < self._burst_start:
                self._in_burst = True
                return True
        return self._loss > 0.0 and self._rng.random() < self._loss


class DelayModel:
    """Decides when each datagram leaves: bottleneck queueing, fixed delay, jitter, in order."""

    def __init__(self, impairment: Impairment, rng: random.Random) -> None:
        self._delay = impairment.delay_ms / 1000.0
        self._jitter = impairment.jitter_ms / 1000.0
        self._rate = impairment.bandwidth_kbps * 1000.0 / 8.0 if impairment.bandwidth_kbps else None
        self._queue_limit = impairment.queue_ms / 1000.0
        self._rng = rng
        self._link_free_at = 0.0
        self._last_delivery = 0.0

    def delivery_time(self, now: float, size: int) -> float | None:
        """When a datagram of ``size`` bytes arriving at ``now`` is delivered; None if dropped."""
        departure = now
        if self._rate is not None:
            start = max(now, self._link_free_at)
            if start - now > self._queue_limit:
                return None
            departure = start + size / self._rate
            self._link_free_at = departure
        delivery = departure + self._delay
        if self._jitter > 0.0:
            delivery += self._rng.random() * self._jitter
        # Keep datagrams in order: jitter on a real path stretches gaps, it rarely reorders.
        delivery = max(delivery, self._last_delivery)
        self._last_delivery = delivery
        return delivery
