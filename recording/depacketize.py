"""A recorded track's RTP packets back to whole encoded frames, only those a decoder can use."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sfu.rtp import seq_delta

from .assemblers import H264Assembler, VideoAssembler, Vp8Assembler

REORDER_WINDOW = 64
"""Packets held past a missing one before it counts as lost. A retransmission comes a round
trip after the loss, tens of packets at most, and a recorder has no playout deadline."""
RESTART_DISTANCE = 3000
"""A packet this far behind is no retransmission (the SFU keeps 2 s / 4096 packets of
history to resend from): the sender started again with other sequence numbers."""

START_PACKETS = 8
"""Packets held before the first is consumed: the stream's first packet, overtaken by the
next ones, must still find its place (it is often a keyframe's, which a recorder waits for)."""

_FIXED = struct.Struct("!BBHI")


@dataclass(frozen=True, slots=True)
class Frame:
    """One encoded frame: a VP8 frame, an H.264 access unit (Annex B), or an Opus packet."""

    data: bytes
    timestamp: int
    """RTP ticks, unwrapped: it keeps growing where the 32-bit RTP timestamp wraps."""
    keyframe: bool
    """A decoder can start here (VP8 key frame, H.264 IDR); every Opus packet can."""


class Depacketizer:
    """One track's packets, as an `RtpSink` gets them, to the frames a recorder writes.

    Packets are put back in sequence order (a retransmission comes late) and frames are built
    from unbroken runs of packets only. After a loss, video frames are dropped until the next
    keyframe, since each of them refers to frames before it; Opus packets stand alone.

    Packets of another payload type than `payload_type` (FEC, say) still take their place
    in the sequence, so they are not counted lost, but carry nothing. Retransmissions in
    RFC 4588 form (`rtx_payload_type`) take the place of the sequence number they carry.
    """

    def __init__(
        self,
        mime_type: str,
        payload_type: int | None = None,
        rtx_payload_type: int | None = None,
        window: int = REORDER_WINDOW,
    ) -> None:
        mime = mime_type.lower()
        self._video: VideoAssembler | None
        if mime == "video/vp8":
            self._video = Vp8Assembler(self._emit)
        elif mime == "video/h264":
            self._video = H264Assembler(self._emit)
        elif mime == "audio/opus":
            self._video = None
        else:
            raise ValueError(f"{mime_type} cannot be depacketized")
        self.mime_type = mime
        self.payload_type = payload_type
        self.rtx_payload_type = rtx_payload_type
        self.window = window
        self._held: dict[int, tuple[int, bool, bytes]] = {}
        """Extended sequence number → (RTP timestamp, marker, payload)."""
        self._next: int | None = None
        """The extended sequence number to consume next, all before it done with; None
        until `START_PACKETS` are held."""
        self._highest = 0
        self._last_timestamp: int | None = None
        self._unwrapped = 0
        self._out: list[Frame] = []
        self.frames = 0
        self.packets_lost = 0
        self.packets_late = 0
        """Came after their place was consumed or given up on (or repeated a consumed one)."""
        self.packets_duplicate = 0
        self.packets_invalid = 0
        self.restarts = 0

    @property
    def frames_dropped(self) -> int:
        """Video frames not given out: incomplete, malformed, or with no keyframe before."""
        return self._video.dropped if self._video is not None else 0

    def push(self, header: bytes | bytearray, payload: bytes | memoryview) -> list[Frame]:
        """Take one packet; returns the frames it completed, in order (often none)."""
        size = len(header)
        if size < 12 or header[0] >> 6 != 2:
            self.packets_invalid += 1
            return []
        b0, b1, seq, timestamp = _FIXED.unpack_from(header)
        start = 12 + (b0 & 0x0F) * 4
        if b0 & 0x10 and size >= start + 4:
            start += 4 + ((header[start + 2] << 8) | header[start + 3]) * 4
        elif b0 & 0x10:
            start = size + 1
        if start > size:
            self.packets_invalid += 1
            return []
        # A consumer that rewrote the start of the payload (a VP8 descriptor renumbered)
        # hands it over at the end of the header.
        body = bytes(payload) if start == size else bytes(header[start:]) + bytes(payload)
        if b0 & 0x20:
            if not body or body[-1] == 0 or body[-1] > len(body):
                self.packets_invalid += 1
                return []
            body = body[: len(body) - body[-1]]
        payload_type = b1 & 0x7F
        if payload_type == self.rtx_payload_type:
            if len(body) < 2:
                return []  # RTX padding: a probe, in a sequence of its own
            seq = (body[0] << 8) | body[1]
            body = body[2:]
        elif self.payload_type is not None and payload_type != self.payload_type:
            body = b""
        self._hold(seq, timestamp, bool(b1 & 0x80), body)
        return self._take()

    def flush(self) -> list[Frame]:
        """The end of the track: give up waiting for what is missing, return what is left.

        A frame still open (its last packet never came) is dropped."""
        self._give_up()
        if self._video is not None:
            self._video.lost()
        return self._take()

    def _hold(self, seq: int, timestamp: int, marker: bool, body: bytes) -> None:
        held = self._held
        if self._next is None and not held:
            self._highest = seq
        ext = self._highest + seq_delta(seq, self._highest & 0xFFFF)
        if self._next is not None and ext < self._next:
            if self._next - ext < RESTART_DISTANCE:
                self.packets_late += 1
                return
            self.restarts += 1
            self._give_up()
            if self._video is not None:
                self._video.lost()
            self._next = None
            self._highest = ext
        if ext > self._highest:
            self._highest = ext
        if ext == self._next and not held:  # in order, the usual case: no holding
            self._next = ext + 1
            self._consume(timestamp, marker, body)
            return
        if ext in held:
            self.packets_duplicate += 1
            return
        held[ext] = (timestamp, marker, body)
        if self._next is None:
            if len(held) < START_PACKETS:
                return
            self._next = min(held)
        self._drain()

    def _drain(self) -> None:
        held = self._held
        assert self._next is not None
        while held:
            entry = held.pop(self._next, None)
            if entry is None:
                if self._highest - self._next < self.window:
                    return  # the missing one may still come
                first = min(held)
                self.packets_lost += first - self._next
                self._next = first
                if self._video is not None:
                    self._video.lost()
                continue
            self._next += 1
            self._consume(*entry)

    def _give_up(self) -> None:
        """Consume everything held, counting the holes between as lost."""
        held = self._held
        for ext in sorted(held):
            if self._next is None:
                self._next = ext
            if ext != self._next:
                self.packets_lost += ext - self._next
                if self._video is not None:
                    self._video.lost()
            self._next = ext + 1
            self._consume(*held.pop(ext))

    def _consume(self, timestamp: int, marker: bool, body: bytes) -> None:
        if not body:
            return  # padding, or another payload type: its place is taken, nothing lost
        if self._video is None:
            self._emit(body, timestamp, True)
            return
        try:
            self._video.packet(timestamp, marker, body)
        except ValueError:
            self.packets_invalid += 1
            self._video.lost()

    def _emit(self, data: bytes, timestamp: int, keyframe: bool) -> None:
        last = self._last_timestamp
        if last is None:
            self._unwrapped = timestamp
        else:
            delta = (timestamp - last) & 0xFFFFFFFF
            self._unwrapped += delta - 0x1_0000_0000 if delta >= 0x8000_0000 else delta
        self._last_timestamp = timestamp
        self.frames += 1
        self._out.append(Frame(data, self._unwrapped, keyframe))

    def _take(self) -> list[Frame]:
        if not self._out:
            return []
        out = self._out
        self._out = []
        return out
