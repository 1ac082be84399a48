"""Per-consumer record of what was sent, to answer NACKs (sized in time, not in slots)."""

from __future__ import annotations

from typing import NamedTuple

from .rtp import RtpView


class SentPacket(NamedTuple):
    seq: int
    timestamp: int
    marker: int
    view: RtpView
    sent_at: float


class PacketHistory:
    """A ring indexed by outgoing sequence number.

    Entries refer to the producer's shared incoming packet, so a consumer's history
    costs a tuple per packet, not a copy of the payload. An entry older than
    `max_age` seconds is not retransmitted: by then the subscriber has moved on.
    """

    __slots__ = ("_slots", "_mask", "max_age")

    def __init__(self, capacity: int = 4096, max_age: float = 2.0) -> None:
        if capacity & (capacity - 1):
            raise ValueError("history capacity must be a power of two")
        self._slots: list[SentPacket | None] = [None] * capacity
        self._mask = capacity - 1
        self.max_age = max_age

    def put(self, entry: SentPacket) -> None:
        self._slots[entry.seq & self._mask] = entry

    def get(self, seq: int, now: float) -> SentPacket | None:
        entry = self._slots[seq & self._mask]
        if entry is None or entry.seq != seq or now - entry.sent_at > self.max_age:
            return None
        return entry

    def clear(self) -> None:
        self._slots = [None] * (self._mask + 1)
