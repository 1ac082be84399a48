"""The bench's header-only RTP counting: loss, late packets, RTX recovery, VP8 keyframes."""

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from bench.rtp_stats import RtpCounter, starts_vp8_keyframe
from bench.sequence import Arrival, SequenceTracker
from bench.session_layout import (
    AUDIO_LEVEL_URI,
    MID_EXTENSION_URI,
    MediaLine,
    media_lines,
    mid_extension_id,
)

VIDEO_SSRC = 1111
RTX_SSRC = 2222
VIDEO = MediaLine(
    mid="1",
    kind="video",
    codecs={96: "vp8", 97: "rtx"},
    ssrcs=[VIDEO_SSRC],
    rtx_ssrcs={RTX_SSRC: VIDEO_SSRC},
)
# VP8 payload descriptor: X=1, S=1, PID=0; I=1; 15-bit PictureID.
START = bytes([0x90, 0x80, 0x81, 0x23])
MIDDLE = bytes([0x80, 0x80, 0x81, 0x23])
KEYFRAME_TAG = bytes([0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A])  # P bit (bit 0) = 0
INTERFRAME_TAG = bytes([0x31, 0x02, 0x00])


def rtp(
    seq: int,
    payload: bytes,
    *,
    ssrc: int = VIDEO_SSRC,
    pt: int = 96,
    ts: int = 9000,
    marker: bool = False,
) -> bytes:
    packet = RtpPacket(payload_type=pt, sequence_number=seq, timestamp=ts, ssrc=ssrc)
    packet.payload = payload
    packet.marker = int(marker)
    return packet.serialize()


def counter() -> RtpCounter:
    ticks = iter(range(1000))
    c = RtpCounter(clock=lambda: float(next(ticks)))
    c.configure([VIDEO], mid_extension_id=None)
    return c


def test_a_keyframe_is_seen_at_its_first_packet_and_completed_at_its_marker() -> None:
    c = counter()
    c.add(rtp(10, START + KEYFRAME_TAG))
    c.add(rtp(11, MIDDLE + b"\x00" * 10))
    c.add(rtp(12, MIDDLE + b"\x00" * 10, marker=True))
    c.add(rtp(13, START + INTERFRAME_TAG, ts=12000, marker=True))
    stream = c.streams[VIDEO_SSRC]
    assert (stream.mid, stream.kind, stream.codec) == ("1", "video", "vp8")
    assert (stream.packets, stream.frames, stream.keyframes) == (4, 2, 1)
    assert (stream.first_packet_at, stream.first_keyframe_at) == (0.0, 0.0)
    assert stream.first_keyframe_end_at == 2.0
    assert (stream.expected, stream.lost) == (4, 0)


def rtx(seq: int, original: int, payload: bytes, *, ts: int = 9000, marker: bool = False) -> bytes:
    """An RTX packet (RFC 4588): the original sequence number, then the original payload."""
    return rtp(
        seq, original.to_bytes(2, "big") + payload, ssrc=RTX_SSRC, pt=97, ts=ts, marker=marker
    )


def test_a_keyframe_whose_last_packet_comes_back_by_rtx_is_timed_at_the_recovery() -> None:
    c = counter()
    c.add(rtp(10, START + KEYFRAME_TAG))  # t=0
    c.add(rtp(11, MIDDLE + b"\x00" * 10))  # t=1; 12 (the marker) is lost
    c.add(rtp(13, START + INTERFRAME_TAG, ts=12000, marker=True))  # t=2
    stream = c.streams[VIDEO_SSRC]
    assert stream.first_keyframe_end_at is None
    c.add(rtx(1, 12, MIDDLE + b"\x00" * 10, marker=True))  # t=3
    assert (stream.first_keyframe_at, stream.first_keyframe_end_at) == (0.0, 3.0)
    assert (stream.rtx_recovered, stream.lost, stream.frames) == (1, 0, 2)


def test_a_keyframe_completed_by_its_late_first_packet_is_timed_when_that_arrives() -> None:
    c = counter()
    c.add(rtp(10, MIDDLE + b"\x00" * 10, ts=6000, marker=True))  # t=0
    c.add(rtp(12, MIDDLE + b"\x00" * 10, marker=True))  # t=1: the end, before the start
    c.add(rtx(1, 11, START + KEYFRAME_TAG))  # t=2
    stream = c.streams[VIDEO_SSRC]
    assert (stream.first_keyframe_at, stream.first_keyframe_end_at) == (2.0, 2.0)


def test_a_newer_keyframe_is_timed_when_the_first_never_completes() -> None:
    c = counter()
    c.add(rtp(10, START + KEYFRAME_TAG))  # t=0; 11 (its marker) is lost for good
    c.add(rtp(12, START + INTERFRAME_TAG, ts=12000, marker=True))  # t=1
    c.add(rtp(13, START + KEYFRAME_TAG, ts=15000))  # t=2: a newer keyframe starts
    c.add(rtp(10, START + KEYFRAME_TAG))  # t=3: a duplicate of the old one changes nothing
    stream = c.streams[VIDEO_SSRC]
    assert (stream.keyframes, stream.first_keyframe_at, stream.first_keyframe_end_at) == (
        3,
        2.0,
        None,
    )
    c.add(rtp(14, MIDDLE + b"\x00" * 10, ts=15000, marker=True))  # t=4
    assert (stream.first_keyframe_at, stream.first_keyframe_end_at) == (2.0, 4.0)
    c.add(rtp(15, START + KEYFRAME_TAG, ts=18000, marker=True))  # t=5: timed once only
    assert (stream.first_keyframe_at, stream.first_keyframe_end_at) == (2.0, 4.0)


def test_the_gap_listener_hears_each_new_gap_once() -> None:
    c = counter()
    gaps: list[tuple[int, int, int]] = []
    c.on_gap = lambda stream, first, last: gaps.append((stream.ssrc, first, last))
    for seq in (65533, 65534, 1, 0, 2, 5, 5000):
        c.add(rtp(seq, MIDDLE))
    # 65535 and 0 are missing after 1 (wrap-around: extended numbers), 3-4 before 5; 0 then
    # arrives late; the jump to 5000 is a restart (past max_gap), not a gap to wait for.
    assert gaps == [(VIDEO_SSRC, 65535, 65536), (VIDEO_SSRC, 65539, 65540)]
    assert c.streams[VIDEO_SSRC].sequence.is_missing(65535)
    assert not c.streams[VIDEO_SSRC].sequence.is_missing(65536)


def test_gaps_count_as_lost_until_a_late_packet_fills_them() -> None:
    c = counter()
    for seq in (1, 2, 5, 6):
        c.add(rtp(seq, MIDDLE))
    stream = c.streams[VIDEO_SSRC]
    assert (stream.expected, stream.lost) == (6, 2)
    c.add(rtp(3, MIDDLE))
    c.add(rtp(3, MIDDLE))
    assert (stream.lost, stream.sequence.late, stream.sequence.duplicates) == (1, 1, 1)


def test_an_rtx_packet_fills_the_gap_of_its_original_sequence_number() -> None:
    c = counter()
    c.add(rtp(100, MIDDLE))
    c.add(rtp(102, MIDDLE))
    # RTX payload: the original sequence number, then the original payload.
    c.add(rtp(7, (101).to_bytes(2, "big") + START + KEYFRAME_TAG, ssrc=RTX_SSRC, pt=97))
    c.add(rtp(8, (101).to_bytes(2, "big") + MIDDLE, ssrc=RTX_SSRC, pt=97))
    stream = c.streams[VIDEO_SSRC]
    assert (stream.rtx_packets, stream.rtx_recovered, stream.lost) == (2, 1, 0)
    assert stream.keyframes == 1  # the recovered packet started a keyframe
    assert RTX_SSRC not in c.streams


def test_padding_only_rtx_packets_recover_nothing() -> None:
    """A server probing the downlink sends RTX packets of padding alone (zeros, then their
    count): their first bytes are no original sequence number."""
    c = counter()
    c.add(rtp(0xFFFF, MIDDLE))
    c.add(rtp(1, MIDDLE))  # 0 is missing: the number a padding packet's zeros would read as
    padding = RtpPacket(payload_type=97, sequence_number=9, timestamp=9000, ssrc=RTX_SSRC)
    padding.padding_size = 255
    c.add(padding.serialize())
    stream = c.streams[VIDEO_SSRC]
    assert (stream.rtx_packets, stream.rtx_recovered, stream.lost) == (1, 0, 1)


def test_sequence_numbers_wrap_around_without_loss() -> None:
    tracker = SequenceTracker()
    arrivals = [tracker.add(s) for s in (65534, 65535, 0, 1)]
    assert arrivals == [Arrival.NEW] * 4
    assert (tracker.expected, tracker.lost) == (4, 0)


def test_old_gaps_are_given_up_but_still_count_as_lost() -> None:
    tracker = SequenceTracker(window=10)
    tracker.add(0)
    tracker.add(6)  # 5 missing
    tracker.add(20)  # 13 more missing: 18 > window, the oldest are given up
    assert tracker.lost == 18
    assert not tracker.recover(1)  # given up: no longer fillable
    assert tracker.recover(19)
    assert tracker.lost == 17


def test_an_unannounced_ssrc_is_attributed_by_its_mid_header_extension() -> None:
    c = RtpCounter()
    c.configure([MediaLine(mid="3", kind="audio", codecs={111: "opus"})], mid_extension_id=4)
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(4, MID_EXTENSION_URI)])
    )
    packet = RtpPacket(payload_type=111, sequence_number=1, timestamp=0, ssrc=42)
    packet.extensions.mid = "3"
    packet.payload = b"\xfc" * 40
    c.add(packet.serialize(extensions))
    c.add(rtp(1, b"x", ssrc=43, pt=111))  # no extension, not in the SDP
    assert c.streams[42].mid == "3" and c.streams[42].codec == "opus"
    assert c.unattributed_packets == 1


def test_audio_streams_keep_the_latest_audio_level() -> None:
    c = RtpCounter()
    c.configure(
        [MediaLine(mid="0", kind="audio", codecs={111: "opus"}, ssrcs=[7])],
        mid_extension_id=None,
        audio_level_extension_id=2,
    )
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(2, AUDIO_LEVEL_URI)])
    )
    for seq, level in ((1, 30), (2, 127)):
        packet = RtpPacket(payload_type=111, sequence_number=seq, timestamp=0, ssrc=7)
        packet.extensions.audio_level = (True, level)
        c.add(packet.serialize(extensions))
    assert c.streams[7].audio_level == -127


def test_vp8_keyframe_detection_reads_the_payload_descriptor() -> None:
    assert starts_vp8_keyframe(START + KEYFRAME_TAG, 0)
    assert starts_vp8_keyframe(bytes([0x10]) + KEYFRAME_TAG, 0)  # no extension byte
    assert starts_vp8_keyframe(bytes([0x90, 0x80, 0x05]) + KEYFRAME_TAG, 0)  # 7-bit PictureID
    assert starts_vp8_keyframe(bytes([0x90, 0xE0, 0x81, 0x23, 0x07, 0x40]) + KEYFRAME_TAG, 0)
    assert not starts_vp8_keyframe(START + INTERFRAME_TAG, 0)
    assert not starts_vp8_keyframe(MIDDLE + KEYFRAME_TAG, 0)  # not the start of the frame
    assert not starts_vp8_keyframe(bytes([0x11]) + KEYFRAME_TAG, 0)  # partition 1
    assert not starts_vp8_keyframe(bytes([0x90, 0x80]), 0)  # truncated


async def test_media_lines_read_ssrcs_rtx_groups_and_codecs_from_an_aiortc_offer() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendonly")
    video = pc.addTransceiver("video", direction="sendonly")
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    video.setCodecPreferences([c for c in capabilities if c.mimeType in ("video/VP8", "video/rtx")])
    offer = await pc.createOffer()
    lines = media_lines(offer.sdp)
    await pc.close()
    assert [(line.mid, line.kind) for line in lines] == [("0", "audio"), ("1", "video")]
    assert "opus" in lines[0].codecs.values()
    assert sorted(lines[1].codecs.values()) == ["rtx", "vp8"]
    assert len(lines[1].ssrcs) == 1 and list(lines[1].rtx_ssrcs.values()) == lines[1].ssrcs
    assert mid_extension_id(offer.sdp) is not None
