"""The VP8 payload descriptor (RFC 7741 §4.2): read once per packet, rewritten per consumer.

     0 1 2 3 4 5 6 7
    |X|R|N|S|R| PID |   S: start of a partition; PID 0 and S: the first packet of a frame
    |I|L|T|K| RSV   |   (X) which optional fields follow
    |M| PictureID   |   (I) 7 bits, or 15 when M is set
    |   TL0PICIDX   |   (L) index of the last base-layer frame
    |TID|Y| KEYIDX  |   (T or K) temporal layer, layer sync

Chrome sends `scalabilityMode: "L1T3"` video with I, L and T set: three temporal layers in
the pattern 0 2 1 2, where a frame only ever references frames of its own layer or below.
An SFU can therefore drop layers 2 (or 1 and 2) per subscriber, as long as it renumbers the
PictureIDs (and TL0PICIDX, when it drops base frames during a pause) of what it forwards:
the receiver takes a gap in PictureIDs for lost frames.
"""

from __future__ import annotations


class Vp8Descriptor:
    """Where the fields of one packet's descriptor are, and their values."""

    __slots__ = (
        "size",
        "frame_start",
        "picture_id",
        "picture_id_at",
        "long_picture_id",
        "tl0",
        "tl0_at",
        "tid",
        "layer_sync",
    )

    def __init__(
        self,
        size: int,
        frame_start: bool,
        picture_id: int | None = None,
        picture_id_at: int = 0,
        long_picture_id: bool = False,
        tl0: int | None = None,
        tl0_at: int = 0,
        tid: int | None = None,
        layer_sync: bool = False,
    ) -> None:
        self.size = size
        self.frame_start = frame_start
        self.picture_id = picture_id
        self.picture_id_at = picture_id_at
        self.long_picture_id = long_picture_id
        self.tl0 = tl0
        self.tl0_at = tl0_at
        self.tid = tid
        self.layer_sync = layer_sync


def parse(payload: bytes | memoryview) -> Vp8Descriptor | None:
    """The descriptor at the start of a VP8 RTP payload; None if it is truncated."""
    size = len(payload)
    if size < 1:
        return None
    b0 = payload[0]
    frame_start = bool(b0 & 0x10) and not (b0 & 0x07)
    if not b0 & 0x80:
        return Vp8Descriptor(1, frame_start) if size > 1 else None
    if size < 2:
        return None
    x = payload[1]
    pos = 2
    descriptor = Vp8Descriptor(0, frame_start)
    if x & 0x80:  # I
        if size <= pos:
            return None
        if payload[pos] & 0x80:
            if size <= pos + 1:
                return None
            descriptor.picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
            descriptor.long_picture_id = True
            descriptor.picture_id_at = pos
            pos += 2
        else:
            descriptor.picture_id = payload[pos]
            descriptor.picture_id_at = pos
            pos += 1
    if x & 0x40:  # L
        if size <= pos:
            return None
        descriptor.tl0 = payload[pos]
        descriptor.tl0_at = pos
        pos += 1
    if x & 0x30:  # T or K share one byte
        if size <= pos:
            return None
        if x & 0x20:
            descriptor.tid = payload[pos] >> 6
            descriptor.layer_sync = bool(payload[pos] & 0x20)
        pos += 1
    if size <= pos:
        return None  # a descriptor with no frame data after it
    descriptor.size = pos
    return descriptor


def rewrite(
    payload: bytes | memoryview, descriptor: Vp8Descriptor, picture_id: int | None, tl0: int | None
) -> bytes:
    """The descriptor's bytes with a new PictureID and TL0PICIDX (same length and format)."""
    out = bytearray(payload[: descriptor.size])
    if picture_id is not None and descriptor.picture_id is not None:
        at = descriptor.picture_id_at
        if descriptor.long_picture_id:
            out[at] = 0x80 | ((picture_id >> 8) & 0x7F)
            out[at + 1] = picture_id & 0xFF
        else:
            out[at] = picture_id & 0x7F
    if tl0 is not None and descriptor.tl0 is not None:
        out[descriptor.tl0_at] = tl0 & 0xFF
    return bytes(out)


def keyframe_size(payload: bytes | memoryview, descriptor: Vp8Descriptor) -> tuple[int, int] | None:
    """Width and height from the first packet of a VP8 keyframe (RFC 6386 §9.1: a 3-byte frame
    tag, the start code 9d 01 2a, then 14-bit width and height); None if they are not there."""
    at = descriptor.size
    if len(payload) < at + 10 or bytes(payload[at + 3 : at + 6]) != b"\x9d\x01\x2a":
        return None
    width = (payload[at + 6] | payload[at + 7] << 8) & 0x3FFF
    height = (payload[at + 8] | payload[at + 9] << 8) & 0x3FFF
    return width, height
