"""Receive statistics from RTP headers alone: packets, loss, RTX, keyframes, first-packet times.

A counting subscriber reads each decrypted packet's header and, for VP8, the first bytes of
the payload; nothing is parsed into objects or decoded, so one bot process can receive many
streams.
"""

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .frame_assembly import FrameAssembly, FrameHead
from .sequence import Arrival, SequenceTracker
from .session_layout import MediaLine

_HEADER = struct.Struct("!BBHII")
NTP_UNIX_OFFSET = 2208988800
CLOCK_RATES = {"vp8": 90000, "h264": 90000, "vp9": 90000, "opus": 48000}
MAX_DELAYS = 50_000
"""Delay samples kept per stream (a 10 s window of 720p is ~2,000 packets)."""
GapListener = Callable[["StreamStats", int, int], None]
"""(stream, first, last extended sequence number of a new gap)."""
_EXT_HEADER = struct.Struct("!HH")
ONE_BYTE_EXTENSIONS = 0xBEDE


@dataclass
class StreamStats:
    """What one subscriber received of one RTP stream (one SSRC; its RTX is folded in)."""

    ssrc: int
    mid: str | None = None
    kind: str | None = None
    codec: str | None = None
    """Lower-case codec name (``vp8``, ``opus`` …) when the SDP says."""
    packets: int = 0
    """Media packets received, duplicates included, RTX not."""
    bytes: int = 0
    frames: int = 0
    """Packets with the marker bit, RTX-recovered ones included (for video: completed frames)."""
    keyframes: int = 0
    """VP8 keyframe starts received (including those recovered through RTX)."""
    rtx_packets: int = 0
    rtx_recovered: int = 0
    """RTX packets that filled a gap."""
    first_packet_at: float | None = None
    first_keyframe_at: float | None = None
    """When the first packet of the timed VP8 keyframe arrived: the first keyframe, or, while
    that one is incomplete, the newest keyframe started since."""
    first_keyframe_end_at: float | None = None
    """When the timed keyframe became complete: its first and its last (marker) packet both
    arrived, in any order, directly or recovered through RTX."""
    last_packet_at: float | None = None
    clock_rate: int = 0
    """RTP clock of the codec (90 kHz video, 48 kHz Opus); 0 if unknown."""
    sr_wall: float | None = None
    """Wall-clock seconds of the server's latest sender report for this stream..."""
    sr_rtp: int | None = None
    """...and the RTP timestamp it maps to them."""
    delays: list[tuple[float, float]] = field(default_factory=list)
    """(arrival on the bench clock, one-way delay in ms) per packet, once an SR is known."""
    audio_level: int | None = None
    """The latest RFC 6464 audio level received, in dBov (-127..0), for audio streams."""
    layer_frames: list[int] = field(default_factory=lambda: [0, 0, 0])
    """VP8 frames started per temporal layer (TID; frames without one count as layer 0)."""
    picture_id_gaps: int = 0
    """Times a VP8 frame's PictureID was not the previous frame's + 1 (a frame missing)."""
    last_picture_id: int | None = None
    assembly: FrameAssembly | None = None
    """For VP8: which frames arrived complete, and when (``bench.frame_assembly``)."""
    pli_sent: int = 0
    """Keyframe requests this subscriber sent for the stream (see ``Subscription``)."""
    last_pli_at: float | None = None
    sequence: SequenceTracker = field(default_factory=SequenceTracker)
    _keyframe_timestamp: int | None = None
    _marker_timestamp: int | None = None
    """RTP timestamp of the latest marker packet, kept until a keyframe is complete."""

    @property
    def lost(self) -> int:
        """Packets missing now (neither arrived late nor recovered through RTX).

        Counting starts at the first packet received: packets lost before it are unknown.
        """
        return self.sequence.lost

    @property
    def expected(self) -> int:
        return self.sequence.expected

    def summary(self) -> dict[str, object]:
        """A JSON-friendly snapshot."""
        return {
            "ssrc": self.ssrc,
            "mid": self.mid,
            "kind": self.kind,
            "codec": self.codec,
            "packets": self.packets,
            "bytes": self.bytes,
            "frames": self.frames,
            "keyframes": self.keyframes,
            "expected": self.expected,
            "lost": self.lost,
            "late": self.sequence.late,
            "duplicates": self.sequence.duplicates,
            "rtx_packets": self.rtx_packets,
            "rtx_recovered": self.rtx_recovered,
            "layer_frames": list(self.layer_frames),
            "picture_id_gaps": self.picture_id_gaps,
            "complete_frames": self.assembly.complete if self.assembly is not None else None,
            "first_packet_at": self.first_packet_at,
            "first_keyframe_at": self.first_keyframe_at,
            "first_keyframe_end_at": self.first_keyframe_end_at,
            "pli_sent": self.pli_sent,
            "audio_level": self.audio_level,
        }


class RtpCounter:
    """Counts received RTP packets per SSRC, attributing them to m-lines from the SDP.

    SSRCs come from the SDP's ``a=ssrc`` lines when present, otherwise from the MID header
    extension of the first packet; RTX packets are recognised by payload type and folded into
    their media stream.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.on_gap: GapListener | None = None
        """Called when a media packet opens a gap that is waited for (e.g. to NACK it)."""
        self.streams: dict[int, StreamStats] = {}
        """Media streams by SSRC."""
        self.unattributed_packets = 0
        """Packets whose SSRC and MID no m-line claims."""
        self._clock = clock
        self._lines: dict[str, MediaLine] = {}
        self._ssrc_line: dict[int, MediaLine] = {}
        self._rtx_of: dict[int, int] = {}
        self._rtx_streams: dict[int, StreamStats] = {}
        self._mid_extension_id: int | None = None
        self._audio_level_extension_id: int | None = None

    def on_sender_report(self, ssrc: int, ntp: int, rtp_timestamp: int) -> None:
        """Map this stream's RTP time to wall-clock time (one-way delay from then on).

        The server derives each subscriber's SR from the publisher's; publisher, server and
        bots share this machine's clock, so arrival minus mapped send time is the one-way
        delay through the SFU (to within the publisher's packetisation).
        """
        stream = self.streams.get(ssrc)
        if stream is None:
            return
        stream.sr_wall = (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / 2**32
        stream.sr_rtp = rtp_timestamp

    def configure(
        self,
        lines: list[MediaLine],
        mid_extension_id: int | None,
        audio_level_extension_id: int | None = None,
    ) -> None:
        """Learn the m-lines of the current description (call after every offer)."""
        self._lines = {line.mid: line for line in lines}
        self._mid_extension_id = mid_extension_id
        self._audio_level_extension_id = audio_level_extension_id
        for line in lines:
            for ssrc in line.ssrcs:
                self._ssrc_line[ssrc] = line
            for rtx_ssrc, media_ssrc in line.rtx_ssrcs.items():
                self._ssrc_line[rtx_ssrc] = line
                self._rtx_of[rtx_ssrc] = media_ssrc

    def by_mid(self) -> dict[str, list[StreamStats]]:
        """Media streams grouped by the m-line they arrived on."""
        grouped: dict[str, list[StreamStats]] = {}
        for stream in self.streams.values():
            grouped.setdefault(stream.mid or "?", []).append(stream)
        return grouped

    def add(self, data: bytes) -> None:
        """Count one decrypted RTP packet."""
        if len(data) < 12:
            return
        b0, b1, seq, timestamp, ssrc = _HEADER.unpack_from(data)
        stream = self.streams.get(ssrc)
        if stream is not None:
            self._add_media(stream, data, b0, b1, seq, timestamp)
            return
        rtx = self._rtx_streams.get(ssrc)
        if rtx is not None:
            self._add_rtx(rtx, data, b0, b1)
            return
        self._first_packet(data, b0, b1, seq, timestamp, ssrc)

    def _first_packet(self, data: bytes, b0: int, b1: int, seq: int, ts: int, ssrc: int) -> None:
        line = self._ssrc_line.get(ssrc)
        if line is None:
            mid = self._mid_of(data, b0)
            line = self._lines.get(mid) if mid is not None else None
        if line is None:
            self.unattributed_packets += 1
            return
        codec = line.codecs.get(b1 & 0x7F)
        if codec == "rtx":
            media_ssrc = self._rtx_of.get(ssrc)
            media = self.streams.get(media_ssrc) if media_ssrc is not None else None
            if media is None:
                media = next((s for s in self.streams.values() if s.mid == line.mid), None)
            if media is None:
                self.unattributed_packets += 1
                return
            self._rtx_streams[ssrc] = media
            self._add_rtx(media, data, b0, b1)
            return
        stream = StreamStats(
            ssrc=ssrc,
            mid=line.mid,
            kind=line.kind,
            codec=codec,
            clock_rate=CLOCK_RATES.get(codec or "", 0),
            assembly=FrameAssembly() if codec == "vp8" else None,
        )
        self.streams[ssrc] = stream
        self._add_media(stream, data, b0, b1, seq, ts)

    def _add_media(
        self, stream: StreamStats, data: bytes, b0: int, b1: int, seq: int, timestamp: int
    ) -> None:
        now = self._clock()
        if stream.sr_rtp is not None and stream.clock_rate and len(stream.delays) < MAX_DELAYS:
            since_sr = ((timestamp - stream.sr_rtp + 2**31) & 0xFFFFFFFF) - 2**31
            sent = stream.sr_wall + since_sr / stream.clock_rate  # type: ignore[operator]
            stream.delays.append((now, (time.time() - sent) * 1000))
        stream.packets += 1
        stream.bytes += len(data)
        stream.last_packet_at = now
        if stream.first_packet_at is None:
            stream.first_packet_at = now
        sequence = stream.sequence
        on_gap = self.on_gap
        if on_gap is None:
            arrival = sequence.add(seq)
        else:
            before = sequence.highest
            arrival = sequence.add(seq)
            after = sequence.highest
            if before is not None and after is not None and 1 < after - before <= sequence.max_gap:
                on_gap(stream, before + 1, after - 1)
        if stream.codec == "vp8":
            start = _payload_start(data, b0)
            if start is not None:
                head = vp8_frame_head(data, start)
                if stream.assembly is not None and arrival is not Arrival.DUPLICATE:
                    stream.assembly.add(seq, timestamp, b1 & 0x80 != 0, head, now)
                if head is not None:
                    if head.keyframe:
                        self._keyframe_started(stream, timestamp, now)
                    stream.layer_frames[min(head.tid, 2)] += 1
                    last = stream.last_picture_id
                    picture_id = head.picture_id
                    if picture_id is not None:
                        if last is not None and picture_id != (last + 1) & 0x7FFF:
                            stream.picture_id_gaps += 1
                        stream.last_picture_id = picture_id
        elif stream.kind == "audio" and b0 & 0x10 and self._audio_level_extension_id:
            for ident, value in one_byte_extensions(data, b0):
                if ident == self._audio_level_extension_id and value:
                    stream.audio_level = -(value[0] & 0x7F)
        if b1 & 0x80:
            self._frame_ended(stream, timestamp, now)

    def _add_rtx(self, stream: StreamStats, data: bytes, b0: int, b1: int) -> None:
        stream.rtx_packets += 1
        start = _payload_start(data, b0)
        end = len(data) - (data[-1] if b0 & 0x20 else 0)  # RFC 3550: the last byte counts padding
        if start is None or end < start + 2:
            return  # padding only (a server probing the link): no packet inside
        original_seq = (data[start] << 8) | data[start + 1]
        if stream.sequence.recover(original_seq):
            stream.rtx_recovered += 1
            # RFC 4588: a retransmission keeps the original's timestamp and marker bit.
            timestamp = int.from_bytes(data[4:8], "big")
            now = self._clock()
            head = vp8_frame_head(data, start + 2) if stream.codec == "vp8" else None
            if head is not None and head.keyframe:
                self._keyframe_started(stream, timestamp, now)
            if stream.assembly is not None:
                stream.assembly.add(original_seq, timestamp, b1 & 0x80 != 0, head, now)
            if b1 & 0x80:
                self._frame_ended(stream, timestamp, now)

    @staticmethod
    def _keyframe_started(stream: StreamStats, timestamp: int, now: float) -> None:
        stream.keyframes += 1
        if stream.first_keyframe_end_at is not None:
            return
        timed = stream._keyframe_timestamp
        # The first keyframe, or a newer one while the first is incomplete (its end was lost
        # for good): time the newer one. A late packet of an older keyframe changes nothing.
        if timed is None or 0 < (timestamp - timed) & 0xFFFFFFFF < 0x80000000:
            stream._keyframe_timestamp = timestamp
            stream.first_keyframe_at = now
            if stream._marker_timestamp == timestamp:  # its end came first (reordered, RTX)
                stream.first_keyframe_end_at = now

    @staticmethod
    def _frame_ended(stream: StreamStats, timestamp: int, now: float) -> None:
        stream.frames += 1
        if stream.first_keyframe_end_at is None:
            stream._marker_timestamp = timestamp
            if timestamp == stream._keyframe_timestamp:
                stream.first_keyframe_end_at = now

    def _mid_of(self, data: bytes, b0: int) -> str | None:
        ext_id = self._mid_extension_id
        if ext_id is None or not b0 & 0x10:
            return None
        for ident, value in one_byte_extensions(data, b0):
            if ident == ext_id:
                return value.decode("ascii", "replace")
        return None


def _payload_start(data: bytes, b0: int) -> int | None:
    offset = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        if len(data) < offset + 4:
            return None
        _, words = _EXT_HEADER.unpack_from(data, offset)
        offset += 4 + 4 * words
    return offset if offset <= len(data) else None


def one_byte_extensions(data: bytes, b0: int) -> list[tuple[int, bytes]]:
    """The (id, value) pairs of a packet's RFC 8285 one-byte header extensions."""
    offset = 12 + 4 * (b0 & 0x0F)
    if len(data) < offset + 4:
        return []
    profile, words = _EXT_HEADER.unpack_from(data, offset)
    if profile != ONE_BYTE_EXTENSIONS:
        return []
    pos, end = offset + 4, min(len(data), offset + 4 + 4 * words)
    found: list[tuple[int, bytes]] = []
    while pos < end:
        ident, length = data[pos] >> 4, (data[pos] & 0x0F) + 1
        if ident == 0:  # padding
            pos += 1
            continue
        if ident == 15:
            break
        found.append((ident, data[pos + 1 : pos + 1 + length]))
        pos += 1 + length
    return found


def vp8_frame_start(data: bytes, start: int) -> tuple[int | None, int] | None:
    """(PictureID, temporal layer) if the VP8 payload at ``data[start:]`` starts a frame."""
    head = vp8_frame_head(data, start)
    return None if head is None else (head.picture_id, head.tid)


def vp8_frame_head(data: bytes, start: int) -> FrameHead | None:
    """If the VP8 payload at ``data[start:]`` starts a frame (S bit, partition 0): what its
    payload descriptor says (RFC 7741 4.2) and whether it is a keyframe (4.3: P bit 0)."""
    end = len(data)
    if start >= end:
        return None
    first = data[start]
    if not first & 0x10 or first & 0x0F:
        return None
    pos = start + 1
    picture_id = tl0 = None
    tid = 0
    sync = False
    if first & 0x80:
        if pos >= end:
            return None
        ext = data[pos]
        pos += 1
        if ext & 0x80:  # PictureID, 7 or 15 bits
            if pos >= end:
                return None
            if data[pos] & 0x80:
                if pos + 1 >= end:
                    return None
                picture_id = ((data[pos] & 0x7F) << 8) | data[pos + 1]
                pos += 2
            else:
                picture_id = data[pos]
                pos += 1
        if ext & 0x40:  # TL0PICIDX
            if pos >= end:
                return None
            tl0 = data[pos]
            pos += 1
        if ext & 0x30:  # TID, Y / KEYIDX
            if pos >= end:
                return None
            if ext & 0x20:
                tid = data[pos] >> 6
                sync = bool(data[pos] & 0x20)
            pos += 1
    keyframe = pos < end and not data[pos] & 0x01
    if keyframe and pos + 10 <= end:  # tag (3), start code (3), 14-bit width and height
        width = int.from_bytes(data[pos + 6 : pos + 8], "little") & 0x3FFF
        height = int.from_bytes(data[pos + 8 : pos + 10], "little") & 0x3FFF
        return FrameHead(True, picture_id, tl0, tid, sync, width, height)
    return FrameHead(keyframe, picture_id, tl0, tid, sync)


def starts_vp8_keyframe(data: bytes, start: int) -> bool:
    """True if the VP8 RTP payload at ``data[start:]`` begins a keyframe (RFC 7741 4.2, 4.3).

    The payload descriptor's S bit and PID 0 mark the start of the frame; the first byte of
    the VP8 payload header then has P (bit 0) = 0 for a keyframe.
    """
    end = len(data)
    if start >= end:
        return False
    first = data[start]
    if not first & 0x10 or first & 0x0F:
        return False
    pos = start + 1
    if first & 0x80:
        if pos >= end:
            return False
        ext = data[pos]
        pos += 1
        if ext & 0x80:  # PictureID, 7 or 15 bits
            if pos >= end:
                return False
            pos += 2 if data[pos] & 0x80 else 1
        if ext & 0x40:  # TL0PICIDX
            pos += 1
        if ext & 0x30:  # TID / KEYIDX
            pos += 1
    return pos < end and not data[pos] & 0x01
