"""RTCP we build is what aiortc's parser (the browser's stand-in) reads back."""

from aiortc.rtp import RtcpPacket, RtcpRtpfbPacket, RtcpSrPacket

from sfu import rtcp


def test_nack_packs_sequence_numbers_across_the_wrap() -> None:
    lost = [65533, 65535, 0, 2, 40]
    (packet,) = RtcpPacket.parse(rtcp.nack(1, 2, lost))
    assert isinstance(packet, RtcpRtpfbPacket)
    assert (packet.ssrc, packet.media_ssrc) == (1, 2)
    # aiortc unpacks each FCI entry as pid + bits, without wrapping: compare modulo 2^16
    assert sorted(s & 0xFFFF for s in packet.lost) == sorted(lost)


def test_sender_report_carries_the_counters() -> None:
    (packet,) = RtcpPacket.parse(rtcp.sender_report(7, 1 << 40, 2**32 + 5, 10, 2**32 + 3))
    assert isinstance(packet, RtcpSrPacket)
    info = packet.sender_info
    assert (info.ntp_timestamp, info.rtp_timestamp, info.packet_count, info.octet_count) == (
        1 << 40,
        5,
        10,
        3,
    )


def test_remb_round_trip() -> None:
    assert rtcp.unpack_remb(RtcpPacket.parse(rtcp.remb(1, 1_500_000, [5, 6]))[0].fci) == (
        1_500_000,
        [5, 6],
    )


def test_ntp_time_of_the_unix_epoch() -> None:
    assert rtcp.ntp_now(0.5) == (2208988800 << 32) | (1 << 31)
