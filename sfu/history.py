"""Per-consumer record of what was sent, to answer NACKs (sized in time, not in slots)."""

from __future__ import annotations

from dataclasses import dataclass

from .rtp import RtpView


@dataclass(frozen=True)
class SentPacket:
    """One packet as a consumer sent it: enough to send it again. Made only on a NACK."""

    seq: int
    timestamp: int
    marker: int
    view: RtpView
    sent_at: float
    resent_at: float = -1.0
    """When it was last retransmitted (a NACK repeated within a round trip is ignored)."""
    prefix: bytes | None = None
    """The start of the payload as sent, when it differed from the producer's (a VP8
    descriptor renumbered by the consumer's layer filter)."""

    def payload(self) -> bytes | memoryview:
        view = self.view
        payload = memoryview(view.data)[view.payload_start : view.payload_end]
        if self.prefix is None:
            return payload
        return self.prefix + bytes(payload[len(self.prefix) :])


class PacketHistory:
    """A ring indexed by outgoing sequence number, kept as parallel columns.

    Columns rather than one object per packet: every object with references is tracked by
    Python's cyclic garbage collector, and 40 subscribers × 4096 slots of such objects made
    each collection walk hundreds of thousands of them (a quarter of the SFU's CPU at
    8,000 packets/s out). Ints, floats and list slots are not tracked.

    Entries refer to the producer's shared incoming packet, so a consumer's history costs
    a few list slots per packet, not a copy of the payload. An entry older than `max_age`
    seconds is not retransmitted: by then the subscriber has moved on.
    """

    __slots__ = (
        "_seq",
        "_ts",
        "_marker",
        "_view",
        "_prefix",
        "_sent_at",
        "_resent_at",
        "_mask",
        "max_age",
    )

    def __init__(self, capacity: int = 4096, max_age: float = 2.0) -> None:
        if capacity & (capacity - 1):
            raise ValueError("history capacity must be a power of two")
        self._mask = capacity - 1
        self.max_age = max_age
        self.clear()

    def put(
        self,
        seq: int,
        timestamp: int,
        marker: int,
        view: RtpView,
        sent_at: float,
        prefix: bytes | None = None,
    ) -> None:
        at = seq & self._mask
        self._seq[at] = seq
        self._ts[at] = timestamp
        self._marker[at] = marker
        self._view[at] = view
        self._prefix[at] = prefix
        self._sent_at[at] = sent_at
        self._resent_at[at] = -1.0

    def get(self, seq: int, now: float) -> SentPacket | None:
        at = seq & self._mask
        view = self._view[at]
        if view is None or self._seq[at] != seq or now - self._sent_at[at] > self.max_age:
            return None
        return SentPacket(
            seq,
            self._ts[at],
            self._marker[at],
            view,
            self._sent_at[at],
            self._resent_at[at],
            self._prefix[at],
        )

    def mark_resent(self, seq: int, now: float) -> None:
        at = seq & self._mask
        if self._seq[at] == seq:
            self._resent_at[at] = now

    def clear(self) -> None:
        size = self._mask + 1
        self._seq: list[int] = [-1] * size
        self._ts: list[int] = [0] * size
        self._marker: list[int] = [0] * size
        self._view: list[RtpView | None] = [None] * size
        self._prefix: list[bytes | None] = [None] * size
        self._sent_at: list[float] = [0.0] * size
        self._resent_at: list[float] = [-1.0] * size
