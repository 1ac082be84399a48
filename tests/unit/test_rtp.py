"""RTP header bytes: parsing once, and per-consumer headers that aiortc reads back exactly."""

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from sfu.rtp import (
    HeaderTemplate,
    RtpParseError,
    RtpView,
    abs_send_time,
    rtx_payload,
    seq_delta,
    seq_newer,
    unwrap_rtx,
)

MID, LEVEL, AST = 1, 2, 3


def extension_map() -> HeaderExtensionsMap:
    params = RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=MID, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(
                id=LEVEL, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"
            ),
            RTCRtpHeaderExtensionParameters(
                id=AST, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
            ),
        ]
    )
    ext = HeaderExtensionsMap()
    ext.configure(params)
    return ext


def publisher_packet(**kwargs: object) -> bytes:
    packet = RtpPacket(payload_type=111, sequence_number=65535, timestamp=4_000_000_000, ssrc=42)
    packet.marker = 1
    packet.payload = b"opus-frame"
    packet.extensions.mid = "7"
    packet.extensions.audio_level = (True, 33)
    for key, value in kwargs.items():
        setattr(packet, key, value)
    return packet.serialize(extension_map())


def test_view_reads_fixed_header_and_payload_without_copying_it() -> None:
    view = RtpView(publisher_packet())
    assert (view.marker, view.payload_type, view.seq, view.timestamp, view.ssrc) == (
        1,
        111,
        65535,
        4_000_000_000,
        42,
    )
    assert view.payload == b"opus-frame"
    assert view.extension(MID) == b"7"
    assert view.extension(LEVEL) == bytes([0x80 | 33])
    assert view.extension(AST) is None
    assert view.extension(0) is None


def test_view_strips_padding() -> None:
    data = bytearray(publisher_packet())
    data[0] |= 0x20
    data += b"\x00\x00\x03"
    assert RtpView(bytes(data)).payload == b"opus-frame"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80\x00", "RTP packet is too short"),
        (b"\x40" + bytes(11), "RTP packet has wrong version"),
        (b"\x90" + bytes(11) + b"\xbe\xde", "RTP extension header is truncated"),
        (b"\xa0" + bytes(11) + b"\x09", "RTP padding length is invalid"),
        (b"\x8f" + bytes(11), "RTP header is longer than the packet"),
    ],
)
def test_view_rejects_malformed_packets_with_exact_messages(data: bytes, message: str) -> None:
    with pytest.raises(RtpParseError) as info:
        RtpView(data)
    assert str(info.value) == message


def test_template_builds_a_packet_aiortc_parses_back_exactly() -> None:
    template = HeaderTemplate(
        ssrc=0xDEADBEEF, mid="3", mid_id=MID, audio_level_id=LEVEL, abs_send_time_id=0
    )
    data = bytes(template.header(1, 100, 17, 123456, 0xDEADBEEF, bytes([0x80 | 20]))) + b"payload"
    packet = RtpPacket.parse(data, extension_map())
    assert (packet.marker, packet.payload_type, packet.sequence_number) == (1, 100, 17)
    assert (packet.timestamp, packet.ssrc, packet.payload) == (123456, 0xDEADBEEF, b"payload")
    assert packet.extensions.mid == "3"
    assert packet.extensions.audio_level == (True, 20)
    assert packet.extensions.abs_send_time is None


def test_template_for_video_stamps_our_abs_send_time() -> None:
    template = HeaderTemplate(ssrc=5, mid="0", mid_id=MID, audio_level_id=0, abs_send_time_id=AST)
    stamp = abs_send_time(12.5)
    data = bytes(template.header(0, 96, 1, 2, 5, None, stamp)) + b"x"
    packet = RtpPacket.parse(data, extension_map())
    assert packet.extensions.abs_send_time == stamp == (12 * (1 << 18) + (1 << 17))
    assert packet.extensions.mid == "0"


def test_template_without_extensions_is_a_bare_12_byte_header() -> None:
    template = HeaderTemplate(ssrc=9, mid=None, mid_id=0, audio_level_id=0, abs_send_time_id=0)
    assert template.header(0, 96, 1, 2, 9) == bytes.fromhex("806000010000000200000009")


def test_rtx_payload_round_trip() -> None:
    assert unwrap_rtx(rtx_payload(0xABCD, b"data")) == (0xABCD, b"data")
    with pytest.raises(RtpParseError, match="RTX payload is too short"):
        unwrap_rtx(b"\x01")


def test_sequence_comparison_wraps() -> None:
    assert seq_newer(0, 65535)
    assert not seq_newer(65535, 0)
    assert seq_delta(2, 65534) == 4
    assert seq_delta(65534, 2) == -4
