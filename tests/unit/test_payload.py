"""Keyframe detection from RTP payloads, on real VP8 from aiortc's encoder."""

import fractions

import av
import numpy
from aiortc.codecs.vpx import Vp8Encoder

from sfu.payload import h264_is_keyframe, is_keyframe, vp8_is_keyframe


def vp8_payloads(frames: int) -> list[list[bytes]]:
    encoder = Vp8Encoder()
    out = []
    for i in range(frames):
        image = numpy.full((240, 320, 3), i * 7 % 255, dtype=numpy.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = i * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame)
        out.append(payloads)
    return out


def test_only_the_first_packet_of_a_vp8_keyframe_is_detected() -> None:
    frames = vp8_payloads(3)
    assert vp8_is_keyframe(frames[0][0])
    assert not any(vp8_is_keyframe(p) for p in frames[0][1:])
    assert not any(vp8_is_keyframe(p) for f in frames[1:] for p in f)
    assert is_keyframe("video/VP8", memoryview(frames[0][0]))


def test_vp8_descriptor_variants() -> None:
    # X=1 with a 15-bit PictureID, S=1, PID=0, then a keyframe tag (P bit 0)
    assert vp8_is_keyframe(bytes([0x90, 0x80, 0x81, 0x23, 0x10]))
    assert not vp8_is_keyframe(bytes([0x90, 0x80, 0x81, 0x23, 0x11]))
    assert not vp8_is_keyframe(bytes([0x80, 0x00]))  # S=0: a continuation
    assert not vp8_is_keyframe(b"")


def test_h264_idr_alone_in_stap_a_and_starting_fu_a() -> None:
    assert h264_is_keyframe(bytes([0x65, 0x88]))
    assert h264_is_keyframe(bytes([0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE]))
    assert h264_is_keyframe(bytes([0x7C, 0x85, 0x00]))
    assert not h264_is_keyframe(bytes([0x7C, 0x05, 0x00]))  # FU-A continuation
    assert not h264_is_keyframe(bytes([0x41, 0x9A]))  # non-IDR slice
    assert not is_keyframe("audio/opus", b"\x65")
