"""Whole video frames from one track's payloads in sequence order: VP8 and H.264."""

from __future__ import annotations

from collections.abc import Callable

from sfu import vp8

_ANNEX_B = b"\x00\x00\x00\x01"
_H264_IDR = 5
_H264_SPS = 7
_H264_AUD = 9
_H264_STAP_A = 24
_H264_FU_A = 28

Emit = Callable[[bytes, int, bool], None]


class VideoAssembler:
    """Frames from one video track's payloads in sequence order; codec details in subclasses.

    A frame is its packets of one RTP timestamp, the last with the marker bit; one that
    ends without it is whole too when the next timestamp follows with no packet missing.
    """

    implicit_start = False
    """Whether the packet after a whole frame starts the next one whatever it holds (H.264,
    whose payloads do not mark a frame's first packet), or only one marked so (VP8)."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._parts: list[bytes] = []
        self._open = False
        self._timestamp = 0
        self._keyframe = False
        self._last_timestamp: int | None = None
        """Of the packet before, when none is missing since; None after a loss."""
        self._last_marker = False
        self._skipped: int | None = None
        self.waiting_keyframe = True
        self.dropped = 0

    def packet(self, timestamp: int, marker: bool, payload: bytes) -> None:
        """The next packet in sequence. Raises ValueError when it is malformed."""
        last = self._last_timestamp
        after_frame = last is not None and (self._last_marker or timestamp != last)
        self._last_timestamp = timestamp
        self._last_marker = marker
        if self._open and timestamp != self._timestamp:
            self._finish()
        starts, body = self._split(payload)
        if not self._open:
            if not (starts or (self.implicit_start and after_frame)):
                self._skip(timestamp)  # the rest of a frame whose start is lost
                return
            self._begin(timestamp)
        self._append(body)
        if marker:
            self._finish()

    def lost(self) -> None:
        """Packets are missing before the next one (or it ends here)."""
        if self._open:
            self._open = False
            self._parts = []
            self._skip(self._timestamp)
        self._last_timestamp = None
        self.waiting_keyframe = True

    def _skip(self, timestamp: int) -> None:
        if timestamp != self._skipped:
            self._skipped = timestamp
            self.dropped += 1
        self.waiting_keyframe = True

    def _begin(self, timestamp: int) -> None:
        self._open = True
        self._timestamp = timestamp
        self._keyframe = False

    def _finish(self) -> None:
        self._open = False
        parts = self._parts
        self._parts = []
        if not self._whole():
            self._skip(self._timestamp)
            return
        if self.waiting_keyframe:
            if not self._keyframe:
                self.dropped += 1
                return
            self.waiting_keyframe = False
        self._emit(b"".join(parts), self._timestamp, self._keyframe)

    def _split(self, payload: bytes) -> tuple[bool, bytes]:
        """Whether the payload certainly starts a frame, and what of it the frame keeps."""
        raise NotImplementedError

    def _append(self, body: bytes) -> None:
        raise NotImplementedError

    def _whole(self) -> bool:
        return True


class Vp8Assembler(VideoAssembler):
    """RFC 7741: the payload descriptor is dropped; S=1 with partition 0 starts a frame."""

    def _split(self, payload: bytes) -> tuple[bool, bytes]:
        descriptor = vp8.parse(payload)
        if descriptor is None:
            raise ValueError("VP8 payload descriptor is truncated")
        return descriptor.frame_start, payload[descriptor.size :]

    def _append(self, body: bytes) -> None:
        if not self._parts:
            self._keyframe = not body[0] & 0x01  # the frame tag's P bit (RFC 6386 §9.1)
        self._parts.append(body)


class H264Assembler(VideoAssembler):
    """RFC 6184 packetization mode 1 (single NAL units, STAP-A, FU-A) to Annex B."""

    implicit_start = True

    def __init__(self, emit: Emit) -> None:
        super().__init__(emit)
        self._in_fragment = False

    def _split(self, payload: bytes) -> tuple[bool, bytes]:
        if not payload:
            raise ValueError("H.264 payload is empty")
        first = payload[0] & 0x1F
        if first == _H264_STAP_A and len(payload) > 3:
            first = payload[3] & 0x1F
        # An access unit delimiter or a sequence parameter set opens an access unit:
        # a frame after a loss can start there without waiting for the next marker.
        return first in (_H264_SPS, _H264_AUD), payload

    def _begin(self, timestamp: int) -> None:
        super()._begin(timestamp)
        self._in_fragment = False

    def _append(self, body: bytes) -> None:
        kind = body[0] & 0x1F
        if kind == _H264_FU_A:
            self._append_fragment(body)
            return
        if self._in_fragment:
            raise ValueError("H.264 fragmented NAL unit is unfinished")
        if 1 <= kind <= 23:
            self._append_nal(body)
        elif kind == _H264_STAP_A:
            pos = 1
            end = len(body)
            while pos < end:
                if pos + 2 > end:
                    raise ValueError("STAP-A length field is truncated")
                size = (body[pos] << 8) | body[pos + 1]
                pos += 2
                if size == 0 or pos + size > end:
                    raise ValueError("STAP-A data is truncated")
                self._append_nal(body[pos : pos + size])
                pos += size
        else:
            raise ValueError(f"H.264 NAL unit type {kind} is not supported")

    def _append_nal(self, nal: bytes) -> None:
        self._parts.append(_ANNEX_B)
        self._parts.append(nal)
        if nal[0] & 0x1F == _H264_IDR:
            self._keyframe = True

    def _append_fragment(self, body: bytes) -> None:
        if len(body) < 3:
            raise ValueError("FU-A is too short")
        header = body[1]
        if header & 0x80:
            if self._in_fragment:
                raise ValueError("H.264 fragmented NAL unit is unfinished")
            self._in_fragment = True
            kind = header & 0x1F
            self._parts.append(_ANNEX_B)
            self._parts.append(bytes([(body[0] & 0xE0) | kind]))
            if kind == _H264_IDR:
                self._keyframe = True
        elif not self._in_fragment:
            raise ValueError("FU-A continues a NAL unit that did not start")
        self._parts.append(body[2:])
        if header & 0x40:
            self._in_fragment = False

    def _whole(self) -> bool:
        return not self._in_fragment
