"""RTCP the SFU sends and reads: built and parsed with aiortc's public RTCP classes."""

from __future__ import annotations

import struct
import time

from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTCP_RTPFB,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from .rtp import seq_delta

NTP_EPOCH_OFFSET = 2208988800


def ntp_now(wall: float | None = None) -> int:
    """64-bit NTP time of the server's wall clock."""
    now = time.time() if wall is None else wall
    seconds = int(now)
    fraction = int((now - seconds) * (1 << 32)) & 0xFFFFFFFF
    return ((seconds + NTP_EPOCH_OFFSET) << 32) | fraction


def ntp_to_unix(ntp: int) -> float:
    return (ntp >> 32) - NTP_EPOCH_OFFSET + (ntp & 0xFFFFFFFF) / (1 << 32)


def parse(data: bytes) -> list[AnyRtcpPacket]:
    """Every packet of a compound RTCP datagram; ValueError if it is malformed."""
    return RtcpPacket.parse(data)


def pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=sender_ssrc, media_ssrc=media_ssrc))


def remb(sender_ssrc: int, bitrate: int, ssrcs: list[int]) -> bytes:
    fci = pack_remb_fci(bitrate, ssrcs)
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=sender_ssrc, media_ssrc=0, fci=fci))


def nack(sender_ssrc: int, media_ssrc: int, lost: list[int]) -> bytes:
    """Generic NACK (RFC 4585 6.2.1), sequence numbers in arrival order, wrap-around safe.

    aiortc's packer computes bit positions without modular arithmetic, which breaks
    at the 65535 → 0 wrap, hence our own FCI packing.
    """
    fci = bytearray()
    pid: int | None = None
    blp = 0
    for seq in lost:
        if pid is not None:
            d = seq_delta(seq, pid) - 1
            if 0 <= d < 16:
                blp |= 1 << d
                continue
            fci += struct.pack("!HH", pid, blp)
        pid, blp = seq, 0
    if pid is not None:
        fci += struct.pack("!HH", pid, blp)
    body = struct.pack("!II", sender_ssrc, media_ssrc) + bytes(fci)
    return struct.pack("!BBH", 0x80 | RTCP_RTPFB_NACK, RTCP_RTPFB, len(body) // 4) + body


def unpack_remb(fci: bytes) -> tuple[int, list[int]]:
    return unpack_remb_fci(fci)


def receiver_report(sender_ssrc: int, reports: list[RtcpReceiverInfo]) -> bytes:
    return bytes(RtcpRrPacket(ssrc=sender_ssrc, reports=reports))


def sender_report(
    ssrc: int, ntp: int, rtp_timestamp: int, packet_count: int, octet_count: int
) -> bytes:
    info = RtcpSenderInfo(
        ntp_timestamp=ntp,
        rtp_timestamp=rtp_timestamp & 0xFFFFFFFF,
        packet_count=packet_count & 0xFFFFFFFF,
        octet_count=octet_count & 0xFFFFFFFF,
    )
    return bytes(RtcpSrPacket(ssrc=ssrc, sender_info=info))


__all__ = [
    "AnyRtcpPacket",
    "RtcpReceiverInfo",
    "nack",
    "ntp_now",
    "ntp_to_unix",
    "parse",
    "pli",
    "receiver_report",
    "remb",
    "sender_report",
    "unpack_remb",
]
