"""Which video frames a subscriber received whole, and when: a decoder's input, without decoding.

A frame is the packets sharing one RTP timestamp. It is complete once its first packet (for
VP8: the payload descriptor's S bit with partition 0), its last (the marker bit) and every
sequence number between them have arrived, in any order, directly, late or through RTX. A
forwarding server that drops frames renumbers what it sends, so the frames it forwards stay
complete. Completeness says nothing of what a frame references: a VP8 frame whose reference
was lost is complete here (a decoder would show garbage or wait for a keyframe);
`bench.references` tells those apart afterwards from the heads kept with each frame.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

MAX_PENDING = 64
"""Incomplete frames remembered (2 s of 30 fps); older ones are given up on."""
MAX_FINISHED = 256
"""Timestamps of completed frames remembered, so a late duplicate does not start one again."""
MAX_COMPLETIONS = 36_000
"""Complete frames kept (20 minutes at 30 fps)."""


class FrameHead(NamedTuple):
    """What a VP8 frame's first packet says of it (RFC 7741 payload descriptor)."""

    keyframe: bool = False
    picture_id: int | None = None
    tl0: int | None = None
    """TL0PICIDX: the index of the base-layer frame this frame belongs with."""
    tid: int = 0
    sync: bool = False
    """The layer-sync bit (Y): the frame references the base layer only."""
    width: int = 0
    height: int = 0
    """A keyframe's picture size (RFC 6386 9.1), when its first packet holds it; else 0."""


class CompleteFrame(NamedTuple):
    at: float
    """When its last missing packet arrived."""
    head: FrameHead


@dataclass
class _Frame:
    packets: int = 0
    first: int | None = None
    last: int | None = None
    head: FrameHead | None = None


class FrameAssembly:
    """One stream's complete frames, fed one packet at a time."""

    def __init__(self) -> None:
        self.frames: list[CompleteFrame] = []
        """Complete frames in completion order (the latest ``MAX_COMPLETIONS``)."""
        self.complete = 0
        """Frames completed so far."""
        self.given_up = 0
        """Frames that started arriving and were never completed (dropped from memory)."""
        self._pending: dict[int, _Frame] = {}
        self._finished: deque[int] = deque()
        self._finished_set: set[int] = set()

    @property
    def completed_at(self) -> list[float]:
        return [f.at for f in self.frames]

    def add(
        self, sequence: int, timestamp: int, marker: bool, head: FrameHead | None, now: float
    ) -> bool:
        """One packet not seen before (no duplicates: the caller's sequence tracking tells):
        its 16-bit sequence number, RTP timestamp, marker bit, its frame's head if it is the
        frame's first packet, and its arrival time; True if it completed its frame."""
        frame = self._pending.get(timestamp)
        if frame is None:
            if timestamp in self._finished_set:
                return False
            frame = self._pending[timestamp] = _Frame()
            if len(self._pending) > MAX_PENDING:
                del self._pending[next(iter(self._pending))]
                self.given_up += 1
        frame.packets += 1
        if head is not None:
            frame.first = sequence
            frame.head = head
        if marker:
            frame.last = sequence
        first, last = frame.first, frame.last
        # Distinct packets of one timestamp, as many as the numbers from first to last.
        if first is None or last is None or frame.packets != ((last - first) & 0xFFFF) + 1:
            return False
        del self._pending[timestamp]
        self._finish(timestamp)
        self.complete += 1
        self.frames.append(CompleteFrame(now, frame.head or FrameHead()))
        if len(self.frames) > MAX_COMPLETIONS:
            del self.frames[: len(self.frames) - MAX_COMPLETIONS]
        return True

    def _finish(self, timestamp: int) -> None:
        self._finished.append(timestamp)
        self._finished_set.add(timestamp)
        if len(self._finished) > MAX_FINISHED:
            self._finished_set.discard(self._finished.popleft())
