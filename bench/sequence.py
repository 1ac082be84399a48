"""RTP sequence-number bookkeeping for one stream: gaps, late packets, duplicates, recovery."""

from enum import Enum


class Arrival(Enum):
    NEW = "new"
    LATE = "late"
    """Filled a gap: reordered, or retransmitted with the original SSRC."""
    DUPLICATE = "duplicate"


class SequenceTracker:
    """Tracks which sequence numbers of one stream arrived, across 16-bit wrap-around.

    Gaps are remembered so a late packet or an RTX retransmission can fill them; gaps older
    than ``window`` packets are given up on and stay counted as lost.
    """

    def __init__(self, window: int = 8192, max_gap: int = 3000) -> None:
        self.base: int | None = None
        """Extended sequence number of the first packet."""
        self.highest: int | None = None
        """Highest extended sequence number seen."""
        self.received = 0
        """Distinct packets received (late and recovered ones included)."""
        self.late = 0
        self.duplicates = 0
        self._missing: set[int] = set()
        self._given_up = 0
        self._window = window
        self._max_gap = max_gap

    @property
    def expected(self) -> int:
        if self.base is None or self.highest is None:
            return 0
        return self.highest - self.base + 1

    @property
    def lost(self) -> int:
        return len(self._missing) + self._given_up

    @property
    def max_gap(self) -> int:
        """Jumps longer than this are taken as a restart: lost, but never waited for."""
        return self._max_gap

    def is_missing(self, ext: int) -> bool:
        """True if extended sequence number ``ext`` is a gap still waited for."""
        return ext in self._missing

    def extend(self, seq: int) -> int:
        """The extended (wrap-counting) sequence number closest to the highest seen."""
        highest = self.highest
        if highest is None:
            return seq
        candidate = (highest & ~0xFFFF) | seq
        if candidate - highest > 0x8000:
            candidate -= 0x10000
        elif highest - candidate > 0x8000:
            candidate += 0x10000
        return candidate

    def add(self, seq: int) -> Arrival:
        """Record a packet with 16-bit sequence number ``seq``."""
        ext = self.extend(seq)
        highest = self.highest
        if highest is None or self.base is None:
            self.base = self.highest = ext
            self.received += 1
            return Arrival.NEW
        if ext > highest:
            gap = ext - highest - 1
            if gap > self._max_gap:
                # A jump this large is a stream restart or a bug upstream, not loss to track.
                self._given_up += gap
            elif gap:
                self._missing.update(range(highest + 1, ext))
                if len(self._missing) > self._window:
                    self._forget_before(ext - self._window)
            self.highest = ext
            self.received += 1
            return Arrival.NEW
        if ext in self._missing:
            self._missing.discard(ext)
            self.received += 1
            self.late += 1
            return Arrival.LATE
        self.duplicates += 1
        return Arrival.DUPLICATE

    def recover(self, seq: int) -> bool:
        """Record a retransmission of ``seq``; True if it filled a gap."""
        ext = self.extend(seq)
        if ext in self._missing:
            self._missing.discard(ext)
            self.received += 1
            return True
        return False

    def _forget_before(self, ext: int) -> None:
        old = {s for s in self._missing if s < ext}
        self._missing -= old
        self._given_up += len(old)
