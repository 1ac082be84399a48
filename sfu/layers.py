"""Temporal layer selection for one consumer: forward the layers its subscriber's link can carry.

A `LayerFilter` sits in front of a consumer's sequence rewriter. It forwards frames whose
temporal layer (VP8 TID) is at most `current`, and leaves the others out without a trace:
sequence numbers, PictureIDs and TL0PICIDX of what it forwards stay gapless (`Skips`), so the
subscriber sees a lower frame rate, not loss, and sends no NACK or PLI for it.

`target` is what the allocator wants; `current` follows it only where that is safe:
- down (fewer layers, or -1: video paused) at the start of any frame, because no frame
  references a layer above its own;
- up at the start of a base-layer frame, or of a frame marked layer-sync (it references only
  the base layer), since the frames that follow reference nothing we left out;
- from paused only at a keyframe (the consumer asks the publisher for one).
A stream without temporal layers (H.264, VP8 without the T bit) counts as all base layer:
the filter can then only pause and resume it.
"""

from __future__ import annotations

from bisect import bisect_right

from . import vp8

MAX_LAYER = 2
"""L1T3: layers 0, 1 and 2 (7.5, 15 and 30 frames per second at 30 fps)."""
PAUSED = -1


class Skips:
    """Values (sequence numbers, PictureIDs, TL0PICIDX) left out of a stream, so that what is
    forwarded can be renumbered without gaps: out = in − (values skipped before it)."""

    __slots__ = ("_mask", "_half", "_window", "_highest", "_skipped", "_folded")

    def __init__(self, bits: int, window: int) -> None:
        self._mask = (1 << bits) - 1
        self._half = 1 << (bits - 1)
        self._window = window
        """How far back (in values) a late value is still mapped; older ones are dropped."""
        self._highest: int | None = None
        self._skipped: list[int] = []
        """Skipped values, unwrapped and ascending, within the window."""
        self._folded = 0
        """Skipped values older than the window: they precede everything still mapped."""

    @property
    def count(self) -> int:
        return self._folded + len(self._skipped)

    def skip(self, value: int) -> None:
        extended = self._extend(value)
        skipped = self._skipped
        if not skipped or extended > skipped[-1]:
            skipped.append(extended)
        elif extended not in skipped:
            skipped.insert(bisect_right(skipped, extended), extended)
        assert self._highest is not None
        oldest = self._highest - self._window
        if skipped[0] < oldest:
            keep = bisect_right(skipped, oldest)
            self._folded += keep
            del skipped[:keep]

    def map(self, value: int) -> int | None:
        """The gapless number for `value`; None if it is older than the window."""
        if self._highest is None and not self._folded:
            self._extend(value)
            return value
        extended = self._extend(value)
        assert self._highest is not None
        if extended < self._highest - self._window:
            return None
        before = self._folded + bisect_right(self._skipped, extended)
        return (value - before) & self._mask

    def _extend(self, value: int) -> int:
        highest = self._highest
        if highest is None:
            self._highest = value
            return value
        delta = ((value - highest + self._half) & self._mask) - self._half
        extended = highest + delta
        if delta > 0:
            self._highest = extended
        return extended


class LayerFilter:
    """Which packets of one producer a consumer forwards, and how they are renumbered."""

    __slots__ = (
        "target",
        "current",
        "_seqs",
        "_pictures",
        "_tl0s",
        "frames_dropped",
        "switches",
        "_picture_shift",
        "_tl0_shift",
        "_shifted",
        "last_picture",
        "last_tl0",
    )

    def __init__(self) -> None:
        self.target = MAX_LAYER
        self.current = MAX_LAYER
        self._seqs = Skips(16, 4096)
        self._pictures: Skips | None = None
        self._tl0s = Skips(8, 64)
        self.frames_dropped = 0
        self.switches = 0
        self._picture_shift = 0
        self._tl0_shift = 0
        self._shifted = False
        """PictureIDs and TL0PICIDX are moved by a shift (the stream began on another
        simulcast layer, `restart`): every descriptor is rewritten."""
        self.last_picture: int | None = None
        """The PictureID and TL0PICIDX last forwarded (after renumbering)."""
        self.last_tl0: int | None = None

    def restart(self, descriptor: vp8.Vp8Descriptor | None) -> None:
        """Another stream (a simulcast layer) starts at this keyframe: new sequence numbers,
        and its PictureIDs and TL0PICIDX shifted to follow the last ones forwarded, so the
        subscriber sees one stream (a PictureID going back would read as an old frame)."""
        self._seqs = Skips(16, 4096)
        self._pictures = None
        self._tl0s = Skips(8, 64)
        if self.target != PAUSED:
            self.current = self.target  # a keyframe references nothing
        self._picture_shift = self._tl0_shift = 0
        if descriptor is not None:
            if descriptor.picture_id is not None and self.last_picture is not None:
                mask = 0x7FFF if descriptor.long_picture_id else 0x7F
                self._picture_shift = (self.last_picture + 1 - descriptor.picture_id) & mask
            if descriptor.tl0 is not None and self.last_tl0 is not None:
                self._tl0_shift = (self.last_tl0 + 1 - descriptor.tl0) & 0xFF
        self._shifted = bool(self._picture_shift or self._tl0_shift)

    @property
    def waiting_keyframe(self) -> bool:
        """Resuming from a pause: nothing is forwarded until a keyframe starts."""
        return self.current == PAUSED and self.target != PAUSED

    def admit(
        self,
        seq: int,
        payload: bytes | memoryview,
        descriptor: vp8.Vp8Descriptor | None,
        keyframe: bool,
    ) -> tuple[int, bytes | None] | None:
        """None to leave this packet out; else its gapless sequence number and, when its
        PictureID or TL0PICIDX changed, the rewritten VP8 descriptor to send instead."""
        if descriptor is None:
            self._switch(0, False, keyframe)
            if self.current == PAUSED:
                self._seqs.skip(seq)
                return None
            out_seq = self._seqs.map(seq)
            return None if out_seq is None else (out_seq, None)
        tid = descriptor.tid or 0
        if descriptor.frame_start:
            self._switch(tid, descriptor.layer_sync, keyframe)
        if tid > self.current:  # also every layer while paused (current is -1)
            self._seqs.skip(seq)
            if descriptor.frame_start:
                self.frames_dropped += 1
                if descriptor.picture_id is not None:
                    self._picture_skips(descriptor).skip(descriptor.picture_id)
                if tid == 0 and descriptor.tl0 is not None:
                    self._tl0s.skip(descriptor.tl0)
            return None
        out_seq = self._seqs.map(seq)
        if out_seq is None:
            return None
        pictures = self._pictures
        if not self._shifted and (pictures is None or not pictures.count) and not self._tl0s.count:
            self.last_picture = descriptor.picture_id
            self.last_tl0 = descriptor.tl0
            return out_seq, None
        picture_id = None
        if descriptor.picture_id is not None:
            picture_id = self._picture_skips(descriptor).map(descriptor.picture_id)
            if picture_id is not None:
                mask = 0x7FFF if descriptor.long_picture_id else 0x7F
                picture_id = (picture_id + self._picture_shift) & mask
        tl0 = None if descriptor.tl0 is None else self._tl0s.map(descriptor.tl0)
        if tl0 is not None:
            tl0 = (tl0 + self._tl0_shift) & 0xFF
        self.last_picture = picture_id
        self.last_tl0 = tl0
        return out_seq, vp8.rewrite(payload, descriptor, picture_id, tl0)

    def _picture_skips(self, descriptor: vp8.Vp8Descriptor) -> Skips:
        if self._pictures is None:
            self._pictures = Skips(15 if descriptor.long_picture_id else 7, 64)
        return self._pictures

    def _switch(self, tid: int, layer_sync: bool, keyframe: bool) -> None:
        target, current = self.target, self.current
        if target == current:
            return
        if target < current:
            self.current = target
        elif current == PAUSED:
            if not keyframe:
                return
            self.current = target
        elif tid == 0 or (layer_sync and tid <= target):
            self.current = target
        else:
            return
        self.switches += 1
