"""The few RTCP fields the bots act on, read from and written to bytes (no packet objects).

Reading: keyframe requests (PLI, FIR) a publisher must honour whatever their media SSRC field
says, and the sender reports a receiver echoes in its reports (LSR / DLSR). Writing: generic
NACKs across the 16-bit sequence wrap-around (aiortc's ``RtcpRtpfbPacket`` cannot).
"""

import struct
from collections.abc import Iterable, Iterator

RTCP_SR = 200
RTCP_RR = 201
RTCP_RTPFB = 205
RTCP_PSFB = 206
RTPFB_NACK = 1
PSFB_PLI = 1
PSFB_FIR = 4

_HEADER = struct.Struct("!BBH")
_FEEDBACK = struct.Struct("!BBHII")
_NACK_ITEM = struct.Struct("!HH")


def rtcp_packets(data: bytes) -> Iterator[tuple[int, int, int, int]]:
    """(packet type, count / format field, offset, length in bytes) of each packet of a
    compound RTCP packet; stops at the first malformed one."""
    pos, end = 0, len(data)
    while pos + 4 <= end:
        first, packet_type, words = _HEADER.unpack_from(data, pos)
        length = (words + 1) * 4
        if first >> 6 != 2 or pos + length > end:
            return
        yield packet_type, first & 0x1F, pos, length
        pos += length


def keyframe_requests(data: bytes) -> list[tuple[int, int]]:
    """(format, SSRC) of every keyframe request in ``data``: a PLI's media SSRC, and the SSRC
    of each FIR entry (RFC 5104 puts the target in the FCI and 0 in the media SSRC field)."""
    found: list[tuple[int, int]] = []
    for packet_type, fmt, pos, length in rtcp_packets(data):
        if packet_type != RTCP_PSFB or length < 12:
            continue
        if fmt == PSFB_PLI:
            found.append((PSFB_PLI, int.from_bytes(data[pos + 8 : pos + 12], "big")))
        elif fmt == PSFB_FIR:
            entries = range(pos + 12, pos + length - 7, 8)
            if not entries:
                found.append((PSFB_FIR, int.from_bytes(data[pos + 8 : pos + 12], "big")))
            for entry in entries:
                found.append((PSFB_FIR, int.from_bytes(data[entry : entry + 4], "big")))
    return found


def sender_reports(data: bytes) -> list[tuple[int, int]]:
    """(SSRC, middle 32 bits of the NTP timestamp) of every sender report in ``data``: what a
    receiver report's LSR field echoes (RFC 3550 6.4.1)."""
    found: list[tuple[int, int]] = []
    for packet_type, _, pos, length in rtcp_packets(data):
        if packet_type == RTCP_SR and length >= 28:
            ssrc = int.from_bytes(data[pos + 4 : pos + 8], "big")
            middle = int.from_bytes(data[pos + 10 : pos + 14], "big")
            found.append((ssrc, middle))
    return found


def sender_report_clocks(data: bytes) -> list[tuple[int, int, int]]:
    """(SSRC, 64-bit NTP time, RTP timestamp) of every sender report in ``data``: the pair that
    maps a stream's RTP timestamps to the sender's wall clock."""
    found: list[tuple[int, int, int]] = []
    for packet_type, _, pos, length in rtcp_packets(data):
        if packet_type == RTCP_SR and length >= 28:
            ssrc = int.from_bytes(data[pos + 4 : pos + 8], "big")
            ntp = int.from_bytes(data[pos + 8 : pos + 16], "big")
            rtp = int.from_bytes(data[pos + 16 : pos + 20], "big")
            found.append((ssrc, ntp, rtp))
    return found


def pack_nack(sender_ssrc: int, media_ssrc: int, sequences: Iterable[int]) -> bytes:
    """A generic NACK (RFC 4585 6.2.1) for extended ``sequences`` (any order, wrap-safe)."""
    items = bytearray()
    pid: int | None = None
    blp = 0
    for ext in sorted(set(sequences)):
        if pid is not None and ext - pid <= 16:
            blp |= 1 << (ext - pid - 1)
            continue
        if pid is not None:
            items += _NACK_ITEM.pack(pid & 0xFFFF, blp)
        pid, blp = ext, 0
    if pid is None:
        raise ValueError("a NACK needs at least one sequence number")
    items += _NACK_ITEM.pack(pid & 0xFFFF, blp)
    words = (12 + len(items)) // 4 - 1
    header = _FEEDBACK.pack(0x80 | RTPFB_NACK, RTCP_RTPFB, words, sender_ssrc, media_ssrc)
    return header + bytes(items)


def nacked_sequences(data: bytes) -> list[int]:
    """The 16-bit sequence numbers every generic NACK in ``data`` asks for (for tests)."""
    found: list[int] = []
    for packet_type, fmt, pos, length in rtcp_packets(data):
        if packet_type != RTCP_RTPFB or fmt != RTPFB_NACK:
            continue
        for item in range(pos + 12, pos + length, 4):
            pid, blp = _NACK_ITEM.unpack_from(data, item)
            found.append(pid)
            found += [(pid + d + 1) & 0xFFFF for d in range(16) if blp >> d & 1]
    return found
