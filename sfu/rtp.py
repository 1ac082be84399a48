"""RTP header bytes: parse once, patch per consumer. No asyncio, no aiortc."""

from __future__ import annotations

import struct

RTP_VERSION = 2
ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE_MASK = 0xFFF0
TWO_BYTE_PROFILE = 0x1000
TRANSPORT_SEQ_AT = 17
"""Where a `HeaderTemplate`'s transport-wide sequence number sits: 12 bytes of fixed header
(no CSRC), 4 of extension header, 1 of the element's ID and length, then 2 bytes of value."""

_FIXED = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")
_RTX_OSN = struct.Struct("!H")


TRANSPORT_OVERHEAD = 38
"""Bytes a packet costs on the wire beyond its RTP header and payload: the SRTP tag (10),
UDP (8) and IPv4 (20)."""
PACKET_OVERHEAD = TRANSPORT_OVERHEAD + 32
"""Bytes a forwarded packet costs beyond its payload: `TRANSPORT_OVERHEAD` and our RTP
header with its extensions (12 + 16-24). Counted in every rate a budget is compared with:
behind 300 kbit/s a pupil receives ~250 packets a second (two voices at 50 each, and the
video), and ~17 kbit/s of headers per 30 packets a second left out made the server fill
the link's queue while its accounts said 190 kbit/s (`tc` dropped a third of the packets)."""


class RtpParseError(ValueError):
    """The bytes are not a valid RTP packet."""


class RtpView:
    """What the forwarding path needs from one incoming RTP packet, read once.

    Holds the decrypted bytes and offsets into them; payload bytes are never copied
    until a consumer builds its outgoing packet.
    """

    __slots__ = (
        "data",
        "marker",
        "payload_type",
        "seq",
        "timestamp",
        "ssrc",
        "ext_start",
        "ext_end",
        "two_byte_ext",
        "payload_start",
        "payload_end",
    )

    def __init__(self, data: bytes) -> None:
        size = len(data)
        if size < 12:
            raise RtpParseError("RTP packet is too short")
        b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data)
        if b0 >> 6 != RTP_VERSION:
            raise RtpParseError("RTP packet has wrong version")
        self.data = data
        self.marker = b1 >> 7
        self.payload_type = b1 & 0x7F
        self.seq = seq
        self.timestamp = ts
        self.ssrc = ssrc
        pos = 12 + (b0 & 0x0F) * 4
        self.ext_start = self.ext_end = 0
        self.two_byte_ext = False
        if b0 & 0x10:
            if pos + 4 > size:
                raise RtpParseError("RTP extension header is truncated")
            profile, words = struct.unpack_from("!HH", data, pos)
            self.ext_start = pos + 4
            self.ext_end = pos + 4 + words * 4
            self.two_byte_ext = (profile & TWO_BYTE_PROFILE_MASK) == TWO_BYTE_PROFILE
            pos = self.ext_end
        end = size
        if b0 & 0x20:
            if size == 0 or data[-1] == 0 or data[-1] > size - pos:
                raise RtpParseError("RTP padding length is invalid")
            end = size - data[-1]
        if pos > end:
            raise RtpParseError("RTP header is longer than the packet")
        self.payload_start = pos
        self.payload_end = end

    @property
    def payload(self) -> bytes:
        return self.data[self.payload_start : self.payload_end]

    def extension(self, ext_id: int) -> bytes | None:
        """The value of header extension `ext_id`, or None."""
        if not ext_id or not self.ext_end:
            return None
        data = self.data
        pos = self.ext_start
        end = self.ext_end
        if self.two_byte_ext:
            while pos + 1 < end:
                xid = data[pos]
                if xid == 0:
                    pos += 1
                    continue
                length = data[pos + 1]
                if xid == ext_id:
                    return data[pos + 2 : pos + 2 + length]
                pos += 2 + length
            return None
        while pos < end:
            byte = data[pos]
            if byte == 0:
                pos += 1
                continue
            xid = byte >> 4
            if xid == 15:
                return None
            length = (byte & 0x0F) + 1
            if xid == ext_id:
                return data[pos + 1 : pos + 1 + length]
            pos += 1 + length
        return None


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 demultiplexing: RTCP packet types 192-223 sit where RTP has M+PT."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def seq_newer(a: int, b: int) -> bool:
    """True when 16-bit sequence number `a` comes after `b` (RFC 3550 wrap-around)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000


def seq_delta(a: int, b: int) -> int:
    """Signed distance a - b between two 16-bit sequence numbers."""
    d = (a - b) & 0xFFFF
    return d - 0x10000 if d >= 0x8000 else d


class HeaderTemplate:
    """One consumer's outgoing header: fixed part plus its own extension block.

    Extension IDs are negotiated per connection, so the block is built for the
    subscriber (MID, audio level, abs-send-time, playout delay, transport-wide sequence
    number) rather than copied from the publisher. Per packet only a few bytes are written
    into a copy of the template.

    The transport-wide sequence number, when negotiated, is the block's first element, so
    its value always sits at `TRANSPORT_SEQ_AT`: `header()` leaves it zero, and whoever
    hands the packet to the socket (after the pacer) writes it there, in the order packets
    really leave (`transport_feedback.stamp_transport_seq`).
    """

    __slots__ = ("template", "level_at", "abs_send_time_at", "transport_seq_at")

    def __init__(
        self,
        ssrc: int,
        mid: str | None,
        mid_id: int,
        audio_level_id: int,
        abs_send_time_id: int,
        playout_delay_id: int = 0,
        playout_delay: tuple[int, int] | None = None,
        transport_seq_id: int = 0,
    ) -> None:
        """`playout_delay` is (min, max) in milliseconds, written when both it and its ID are
        given; a receiver keeps the last one it got, so once sent it must stay.
        `transport_seq_id`: the transport-wide-cc extension's ID (0: not negotiated)."""
        elements = bytearray()
        self.level_at = -1
        self.abs_send_time_at = -1
        self.transport_seq_at = -1
        if transport_seq_id:
            elements += bytes([(transport_seq_id << 4) | 1, 0, 0])
            self.transport_seq_at = TRANSPORT_SEQ_AT
        if mid and mid_id:
            value = mid.encode()
            elements += bytes([(mid_id << 4) | (len(value) - 1)]) + value
        if audio_level_id:
            elements += bytes([audio_level_id << 4])
            self.level_at = len(elements)
            elements += b"\x7f"  # silence until the publisher's level is copied in
        if abs_send_time_id:
            elements += bytes([(abs_send_time_id << 4) | 2])
            self.abs_send_time_at = len(elements)
            elements += b"\x00\x00\x00"
        if playout_delay_id and playout_delay is not None:
            low, high = (min(0xFFF, ms // 10) for ms in playout_delay)  # 12 bits of 10 ms
            elements += bytes([(playout_delay_id << 4) | 2, low >> 4, (low & 0xF) << 4 | high >> 8])
            elements += bytes([high & 0xFF])
        header = bytearray(_FIXED.pack(0x80, 0, 0, 0, ssrc))
        if elements:
            elements += b"\x00" * (-len(elements) % 4)
            header[0] |= 0x10
            header += struct.pack("!HH", ONE_BYTE_PROFILE, len(elements) // 4) + elements
            if self.level_at >= 0:
                self.level_at += 16
            if self.abs_send_time_at >= 0:
                self.abs_send_time_at += 16
        self.template = bytes(header)

    def header(
        self,
        marker: int,
        payload_type: int,
        seq: int,
        timestamp: int,
        ssrc: int,
        audio_level: bytes | None = None,
        abs_send_time: int = 0,
    ) -> bytearray:
        """This packet's header: a copy of the template with its few bytes written in.

        The payload is not appended here: the sink copies header and payload once, straight
        into the buffer SRTP encrypts in place (`aiortc_glue.Egress`).
        """
        header = bytearray(self.template)
        header[1] = (marker << 7) | payload_type
        _SEQ_TS_SSRC.pack_into(header, 2, seq, timestamp, ssrc)
        if audio_level is not None and self.level_at >= 0:
            header[self.level_at] = audio_level[0]
        if self.abs_send_time_at >= 0:
            at = self.abs_send_time_at
            header[at] = (abs_send_time >> 16) & 0xFF
            header[at + 1] = (abs_send_time >> 8) & 0xFF
            header[at + 2] = abs_send_time & 0xFF
        return header


def rtx_payload(original_seq: int, payload: bytes | memoryview) -> bytes:
    """RFC 4588 retransmission payload: the original sequence number, then the payload."""
    return _RTX_OSN.pack(original_seq) + payload


def unwrap_rtx(payload: bytes) -> tuple[int, bytes]:
    """Split an RTX payload into the original sequence number and payload."""
    if len(payload) < 2:
        raise RtpParseError("RTX payload is too short")
    return _RTX_OSN.unpack_from(payload)[0], payload[2:]


def abs_send_time(now: float) -> int:
    """24-bit 6.18 fixed-point seconds, as in the abs-send-time extension."""
    return int(now * (1 << 18)) & 0xFFFFFF
