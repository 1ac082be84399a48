"""Sequence numbers and timestamps a subscriber sees: continuous across switches and pauses."""

from __future__ import annotations

import random

MAX_HINT_SECONDS = 2
"""A switch's timestamp offset from sender reports is trusted up to this far ahead."""


class SeqRewriter:
    """Maps a producer's sequence numbers and timestamps onto one consumer's outgoing stream.

    While the source stays the same, out = in + offset (so reordered and retransmitted
    packets keep their place). After a pause or a switch to another source the offsets
    are rebased so the subscriber sees sequence last+1 and a timestamp advanced by the
    wall-clock time that passed: its jitter buffer never sees a jump backwards.
    """

    __slots__ = (
        "clock_rate",
        "seq_offset",
        "ts_offset",
        "last_seq",
        "last_ts",
        "last_time",
        "source_ssrc",
        "_rebase",
        "_ts_hint",
    )

    def __init__(self, clock_rate: int, rng: random.Random | None = None) -> None:
        rng = rng or random.Random()
        self.clock_rate = clock_rate
        self.seq_offset = 0
        self.ts_offset = 0
        # Start in the lower half of the sequence space: early wrap-arounds confuse SRTP.
        self.last_seq = rng.randrange(0, 0x8000)
        self.last_ts = rng.randrange(0, 0x1_0000_0000)
        self.last_time: float | None = None
        self.source_ssrc: int | None = None
        self._rebase = True
        self._ts_hint: int | None = None

    def switch(self, ts_offset: int | None) -> None:
        """The next packet comes from another encoding of the same track (simulcast):
        `ts_offset` maps its timestamps onto this stream (from sender reports), None when
        not known; the wall-clock rule of `rebase` is used then, or if the offset would
        send time backwards or far ahead."""
        self._rebase = True
        self._ts_hint = ts_offset

    def rebase(self) -> None:
        """The next packet starts a new run (after a pause, or from a new source)."""
        self._rebase = True

    def rewrite(self, ssrc: int, seq: int, ts: int, now: float) -> tuple[int, int]:
        if self._rebase or ssrc != self.source_ssrc:
            self._rebase = False
            self.source_ssrc = ssrc
            next_seq = (self.last_seq + 1) & 0xFFFF
            if self.last_time is None:
                next_ts = self.last_ts
            else:
                step = max(1, int((now - self.last_time) * self.clock_rate))
                next_ts = (self.last_ts + step) & 0xFFFFFFFF
            self.seq_offset = (next_seq - seq) & 0xFFFF
            self.ts_offset = (next_ts - ts) & 0xFFFFFFFF
            hint, self._ts_hint = self._ts_hint, None
            if hint is not None:
                ahead = ((ts + hint) - self.last_ts) & 0xFFFFFFFF
                if 0 < ahead < MAX_HINT_SECONDS * self.clock_rate:
                    self.ts_offset = hint
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (ts + self.ts_offset) & 0xFFFFFFFF
        if ((out_seq - self.last_seq) & 0xFFFF) < 0x8000:
            self.last_seq = out_seq
            self.last_ts = out_ts
            self.last_time = now
        return out_seq, out_ts
