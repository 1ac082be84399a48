"""Per-consumer record of what was sent, to answer NACKs (sized in time, not in slots)."""

from __future__ import annotations

from .rtp import RtpView


class SentPacket:
    """One packet as a consumer sent it: enough to send it again."""

    __slots__ = ("seq", "timestamp", "marker", "view", "sent_at", "resent_at")

    def __init__(self, seq: int, timestamp: int, marker: int, view: RtpView, sent_at: float):
        self.seq = seq
        self.timestamp = timestamp
        self.marker = marker
        self.view = view
        self.sent_at = sent_at
        self.resent_at = -1.0
        """When it was last retransmitted (a NACK repeated within a round trip is ignored)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SentPacket) and (
            self.seq,
            self.timestamp,
            self.marker,
            self.view,
            self.sent_at,
        ) == (other.seq, other.timestamp, other.marker, other.view, other.sent_at)

    def __repr__(self) -> str:
        return f"SentPacket(seq={self.seq}, timestamp={self.timestamp}, sent_at={self.sent_at})"


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
