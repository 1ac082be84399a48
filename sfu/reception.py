"""What a producer's incoming stream looks like from here: RFC 3550 statistics and NACKs."""

from __future__ import annotations

from .rtp import seq_delta

MAX_MISSING = 256


class ReceptionStats:
    """Sequence tracking, loss and interarrival jitter (RFC 3550 A.1, A.3, A.8)."""

    __slots__ = (
        "clock_rate",
        "base_seq",
        "max_seq",
        "cycles",
        "received",
        "_expected_prior",
        "_received_prior",
        "_jitter",
        "_last_transit",
        "started",
    )

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.base_seq = 0
        self.max_seq = 0
        self.cycles = 0
        self.received = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._jitter = 0.0
        self._last_transit: float | None = None
        self.started = False

    def add(self, seq: int, timestamp: int, arrival: float) -> None:
        self.received += 1
        if not self.started:
            self.started = True
            self.base_seq = self.max_seq = seq
        else:
            delta = seq_delta(seq, self.max_seq)
            if delta > 0:
                if seq < self.max_seq:
                    self.cycles += 1 << 16
                self.max_seq = seq
        transit = arrival * self.clock_rate - timestamp
        if self._last_transit is not None:
            d = abs(transit - self._last_transit)
            # Timestamps jump when a publisher switches source; ignore absurd deltas.
            if d < self.clock_rate * 10:
                self._jitter += (d - self._jitter) / 16
        self._last_transit = transit

    @property
    def extended_max_seq(self) -> int:
        return self.cycles | self.max_seq

    @property
    def expected(self) -> int:
        return self.extended_max_seq - self.base_seq + 1 if self.started else 0

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.received)

    @property
    def jitter(self) -> int:
        return int(self._jitter)

    def fraction_lost(self) -> int:
        """Loss since the previous report, as a fraction of 256; advances the interval."""
        expected_interval = self.expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior = self.expected
        self._received_prior = self.received
        lost_interval = expected_interval - received_interval
        if expected_interval <= 0 or lost_interval <= 0:
            return 0
        return min(255, (lost_interval << 8) // expected_interval)


class NackTracker:
    """Which sequence numbers are missing, and which of them to ask for now.

    A gap is asked for when seen, then again every `retry_after` seconds, at most
    `max_tries` times; packets older than that are given up (the decoder will PLI).
    """

    __slots__ = ("_highest", "_missing", "retry_after", "max_tries")

    def __init__(self, retry_after: float = 0.05, max_tries: int = 3) -> None:
        self._highest: int | None = None
        self._missing: dict[int, list[float]] = {}
        self.retry_after = retry_after
        self.max_tries = max_tries

    @property
    def missing(self) -> list[int]:
        return list(self._missing)

    def add(self, seq: int, now: float) -> list[int]:
        """Record an arrival; return the sequence numbers to NACK now."""
        if self._highest is None:
            self._highest = seq
            return []
        delta = seq_delta(seq, self._highest)
        if delta <= 0:
            self._missing.pop(seq, None)  # a retransmission or a late packet filled a gap
            return []
        ask: list[int] = []
        if delta > 1:
            if delta > MAX_MISSING:
                self._missing.clear()  # a jump this large is a restart, not loss
            else:
                for i in range(1, delta):
                    missing = (self._highest + i) & 0xFFFF
                    self._missing[missing] = [now, 1.0]
                    ask.append(missing)
        self._highest = seq
        if self._missing and not ask:
            ask = self._retries(now)
        return ask

    def _retries(self, now: float) -> list[int]:
        ask: list[int] = []
        for seq, state in list(self._missing.items()):
            if now - state[0] < self.retry_after:
                continue
            if state[1] >= self.max_tries:
                del self._missing[seq]
                continue
            state[0] = now
            state[1] += 1
            ask.append(seq)
        return ask
