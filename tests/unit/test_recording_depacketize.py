"""RTP packets back to frames: real VP8, H.264 and Opus, reordered, repeated and lost."""

from __future__ import annotations

import av
import pytest

from recording.depacketize import Depacketizer, Frame
from tests.recording_media import (
    OPUS_TICKS,
    VIDEO_TICKS,
    Encoded,
    RtpPacket,
    as_annex_b,
    encode_h264,
    encode_opus,
    encode_vp8,
    frame_packets,
    h264_packets,
    nal_units,
    opus_packets,
    packetize,
    rtp_header,
    vp8_packets,
    vp8_payloads,
)


@pytest.fixture(scope="module")
def vp8() -> list[Encoded]:
    return encode_vp8(40, gop=10)


@pytest.fixture(scope="module")
def h264() -> list[Encoded]:
    return encode_h264(40, gop=10)


FIRST = 123456
"""The RTP timestamp of the first frame `packetize()` makes."""


def at(frame: int) -> int:
    """The RTP timestamp of frame `frame`."""
    return FIRST + frame * VIDEO_TICKS


def feed(depacketizer: Depacketizer, packets: list[RtpPacket]) -> list[Frame]:
    frames: list[Frame] = []
    for packet in packets:
        frames += depacketizer.push(packet.header, packet.payload)
    return frames + depacketizer.flush()


def decode(codec: str, frames: list[Frame]) -> int:
    """How many pictures a decoder makes of `frames`; raises if one is undecodable."""
    decoder = av.CodecContext.create(codec, "r")
    assert isinstance(decoder, av.video.codeccontext.VideoCodecContext)
    pictures = 0
    for frame in frames:
        pictures += len(decoder.decode(av.Packet(frame.data)))
    return pictures + len(decoder.decode(None))


def test_vp8_frames_come_out_whole_with_their_timestamps_and_keyframes(
    vp8: list[Encoded],
) -> None:
    packets = vp8_packets(vp8)
    assert len(packets) > 2 * len(vp8)  # most frames take several packets
    d = Depacketizer("video/VP8")
    frames = feed(d, packets)
    assert [f.data for f in frames] == [e.data for e in vp8]
    assert [f.keyframe for f in frames] == [e.keyframe for e in vp8]
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 10, 20, 30]
    assert [f.timestamp for f in frames] == [at(i) for i in range(40)]
    assert (d.frames, d.frames_dropped, d.packets_lost, d.packets_invalid) == (40, 0, 0, 0)
    assert decode("vp8", frames) == 40


def test_reordered_and_repeated_packets_change_nothing(vp8: list[Encoded]) -> None:
    packets = vp8_packets(vp8)
    shuffled = list(packets)
    for i in range(0, len(shuffled) - 1, 7):  # neighbours swapped, the very first two too
        shuffled[i], shuffled[i + 1] = shuffled[i + 1], shuffled[i]
    late = shuffled.pop(50)  # a retransmission, 30 packets after its place
    shuffled.insert(80, late)
    shuffled.insert(70, shuffled[60])  # a repeat of one held while the hole is open
    shuffled.insert(10, shuffled[3])  # a repeat of one consumed long ago
    d = Depacketizer("video/VP8")
    frames = feed(d, shuffled)
    assert [f.data for f in frames] == [e.data for e in vp8]
    assert (d.packets_lost, d.frames_dropped) == (0, 0)
    assert (d.packets_duplicate, d.packets_late) == (1, 1)


def test_after_a_loss_frames_are_dropped_until_the_next_keyframe(vp8: list[Encoded]) -> None:
    packets = vp8_packets(vp8)
    lost = frame_packets(packets, at(13))[1]  # inside frame 13
    d = Depacketizer("video/VP8")
    frames = feed(d, packets[:lost] + packets[lost + 1 :])
    expected = [e.data for i, e in enumerate(vp8) if not 13 <= i < 20]
    assert [f.data for f in frames] == expected
    assert (d.packets_lost, d.frames_dropped) == (1, 7)  # frames 13 to 19
    assert decode("vp8", frames) == 33


def test_a_lost_first_packet_drops_its_frame_and_the_rest_of_the_group(
    vp8: list[Encoded],
) -> None:
    packets = vp8_packets(vp8)
    first_of_keyframe = frame_packets(packets, at(10))[0]
    d = Depacketizer("video/VP8")
    frames = feed(d, packets[:first_of_keyframe] + packets[first_of_keyframe + 1 :])
    assert [f.timestamp for f in frames][9:11] == [at(9), at(20)]
    assert (d.packets_lost, d.frames_dropped) == (1, 10)


def test_a_whole_frame_lost_between_frames_still_waits_for_a_keyframe(
    vp8: list[Encoded],
) -> None:
    packets = vp8_packets(vp8)
    gone = set(frame_packets(packets, at(25)))
    d = Depacketizer("video/VP8")
    frames = feed(d, [p for i, p in enumerate(packets) if i not in gone])
    assert len(frames) == 35  # 0..24 and 30..39; 26..29 refer to the lost 25
    assert (d.packets_lost, d.frames_dropped) == (len(gone), 4)


def test_a_recording_that_starts_mid_stream_waits_for_a_keyframe(vp8: list[Encoded]) -> None:
    packets = vp8_packets(vp8)
    start = frame_packets(packets, at(4))[2]  # inside frame 4
    d = Depacketizer("video/VP8")
    frames = feed(d, packets[start:])
    assert frames[0].keyframe and frames[0].timestamp == at(10)
    assert (len(frames), d.frames_dropped, d.packets_lost) == (30, 6, 0)


def test_sequence_numbers_and_timestamps_unwrap_past_their_wrap(vp8: list[Encoded]) -> None:
    first_timestamp = 0x1_0000_0000 - 5 * VIDEO_TICKS
    packets = vp8_packets(vp8, first_seq=0xFFFF - 20, first_timestamp=first_timestamp)
    assert packets[0].seq > packets[-1].seq and packets[0].timestamp > packets[-1].timestamp
    packets[30], packets[25] = packets[25], packets[30]  # reordered across the wrap
    d = Depacketizer("video/VP8")
    frames = feed(d, packets)
    assert [f.data for f in frames] == [e.data for e in vp8]
    assert [f.timestamp for f in frames] == [first_timestamp + i * VIDEO_TICKS for i in range(40)]
    assert frames[-1].timestamp > 0xFFFFFFFF


def test_every_vp8_descriptor_form_and_header_layout_is_read(vp8: list[Encoded]) -> None:
    """7-bit PictureIDs, TL0PICIDX and TID, CSRCs, a header extension, and the payload's
    first bytes handed over at the end of the header (a consumer's rewritten descriptor)."""
    frames_in = vp8[:10]
    d = Depacketizer("video/VP8")
    out: list[Frame] = []
    seq = 7
    for index, encoded in enumerate(frames_in):
        payloads = vp8_payloads(encoded.data, index, 400, False, tl0=index, tid=index % 3)
        for position, payload in enumerate(payloads):
            marker = position == len(payloads) - 1
            header = rtp_header(
                seq, index * VIDEO_TICKS, marker, csrcs=index % 3, extension=b"\x10\xff"
            )
            if index % 2:
                header, payload = header + payload[:5], payload[5:]
            out += d.push(header, payload)
            seq += 1
    assert [f.data for f in out] == [e.data for e in frames_in]


def test_h264_access_units_come_out_in_annex_b(h264: list[Encoded]) -> None:
    packets = h264_packets(h264, mtu=1200)
    kinds = {p.payload[0] & 0x1F for p in packets}
    assert {24, 28} <= kinds and kinds & set(range(1, 24))  # STAP-A, FU-A and single NALs
    d = Depacketizer("video/H264")
    frames = feed(d, packets)
    assert [f.data for f in frames] == [as_annex_b(nal_units(e.data)) for e in h264]
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 10, 20, 30]
    assert decode("h264", frames) == 40


def test_h264_after_a_loss_waits_for_the_next_idr(h264: list[Encoded]) -> None:
    packets = h264_packets(h264)
    lost = frame_packets(packets, at(22))[-2]  # the middle of an FU-A
    shuffled = packets[:lost] + packets[lost + 1 :]
    shuffled[5], shuffled[6] = shuffled[6], shuffled[5]
    d = Depacketizer("video/H264")
    frames = feed(d, shuffled)
    assert [f.timestamp for f in frames][21:23] == [at(21), at(30)]
    assert (len(frames), d.packets_lost, d.frames_dropped) == (32, 1, 8)
    assert decode("h264", frames) == 32


def test_h264_loss_of_an_idr_start_skips_the_partial_access_unit(h264: list[Encoded]) -> None:
    packets = h264_packets(h264)
    idr = frame_packets(packets, at(10))
    d = Depacketizer("video/H264")
    frames = feed(d, packets[: idr[0]] + packets[idr[0] + 1 :])  # its SPS and PPS
    assert len(frames) == 30 and frames[10].timestamp == at(20)
    assert d.frames_dropped == 10
    assert decode("h264", frames) == 30


def test_every_opus_packet_is_a_frame_and_a_loss_costs_only_itself() -> None:
    opus = encode_opus(1.0)
    packets = opus_packets(opus)
    shuffled = packets[:20] + packets[21:]  # one lost
    shuffled[3], shuffled[4] = shuffled[4], shuffled[3]
    shuffled.append(shuffled[30])
    d = Depacketizer("audio/opus", payload_type=111)
    frames = feed(d, shuffled)
    assert [f.data for f in frames] == [e.data for i, e in enumerate(opus) if i != 20]
    assert all(f.keyframe for f in frames)
    assert frames[20].timestamp - frames[19].timestamp == 2 * OPUS_TICKS
    assert (d.packets_lost, d.frames_dropped, d.packets_duplicate) == (1, 0, 1)


def test_padding_and_other_payload_types_take_their_place_without_loss(
    vp8: list[Encoded],
) -> None:
    packets = vp8_packets(vp8[:5], first_seq=10)
    seqs = iter(range(10, 1000))
    d = Depacketizer("video/VP8", payload_type=96)
    out: list[Frame] = []
    for packet in packets:
        out += d.push(rtp_header(next(seqs), packet.timestamp, packet.marker), packet.payload)
        if packet.marker:  # a padding-only probe, then a FEC packet, after each frame
            out += d.push(
                rtp_header(next(seqs), packet.timestamp, False, padding=True), b"\0" * 9 + b"\x0a"
            )
            out += d.push(rtp_header(next(seqs), packet.timestamp, False, payload_type=127), b"fec")
    assert [f.data for f in out] == [e.data for e in vp8[:5]]
    assert (d.packets_lost, d.packets_invalid, d.frames_dropped) == (0, 0, 0)


def test_rfc4588_retransmissions_fill_the_hole_they_name(vp8: list[Encoded]) -> None:
    packets = vp8_packets(vp8[:10])
    d = Depacketizer("video/VP8", payload_type=96, rtx_payload_type=97)
    out: list[Frame] = []
    for i, packet in enumerate(packets):
        if i == 12:
            continue
        out += d.push(packet.header, packet.payload)
        if i == 20:
            missing = packets[12]
            header = rtp_header(5, missing.timestamp, missing.marker, payload_type=97)
            out += d.push(header, missing.seq.to_bytes(2, "big") + missing.payload)
    assert [f.data for f in out] == [e.data for e in vp8[:10]]
    assert d.packets_lost == 0


def test_a_stream_restarted_far_behind_is_followed_not_refused(vp8: list[Encoded]) -> None:
    first = vp8_packets(vp8[:10], first_seq=40000)
    second = vp8_packets(vp8[10:20], first_seq=20000, first_timestamp=at(10))
    d = Depacketizer("video/VP8")
    frames = feed(d, first + second)
    assert len(frames) == 20 and d.restarts == 1 and d.packets_late == 0


def test_what_is_not_rtp_or_not_vp8_is_counted_invalid(vp8: list[Encoded]) -> None:
    d = Depacketizer("video/VP8")
    assert d.push(b"\x80\x60\x00", b"payload") == []  # too short
    assert d.push(b"\x40" + rtp_header(1, 0, True)[1:], b"payload") == []  # version 1
    assert d.push(rtp_header(2, 0, True, extension=b"\x10\xff")[:14], b"") == []
    assert d.push(rtp_header(3, 0, True), b"\x90\x80") == []  # descriptor, then nothing
    assert d.flush() == []
    assert d.packets_invalid == 4
    with pytest.raises(ValueError, match="video/AV1 cannot be depacketized"):
        Depacketizer("video/AV1")


def test_a_frame_whose_last_packet_never_comes_is_dropped_at_the_end(
    vp8: list[Encoded],
) -> None:
    packets = vp8_packets(vp8[:3])
    d = Depacketizer("video/VP8")
    frames = feed(d, packets[:-1])
    assert len(frames) == 2 and d.frames_dropped == 1


def test_a_frame_ending_without_a_marker_is_whole_when_the_next_follows() -> None:
    frames_in = encode_vp8(3)
    payloads = [vp8_payloads(e.data, i, 500) for i, e in enumerate(frames_in)]
    packets = [
        RtpPacket(rtp_header(p.seq, p.timestamp, False), p.payload, p.seq, p.timestamp, False)
        for p in packetize(payloads, VIDEO_TICKS)
    ]
    d = Depacketizer("video/VP8")
    frames = feed(d, packets)
    assert [f.data for f in frames] == [e.data for e in frames_in[:2]]  # the last: unknown
    assert d.frames_dropped == 1
