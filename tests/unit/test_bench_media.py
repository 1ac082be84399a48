"""The bench's pre-encoded media is real 720p VP8 with rare keyframes and 20 ms Opus packets.

The first run encodes the clips into bench/cache/ (~12 s); later runs load them in milliseconds.
"""

import time
from fractions import Fraction

import av
import pytest

from bench.encoded_track import EncodedTrack
from bench.media import (
    AUDIO_TIME_BASE,
    DEFAULT_CACHE_DIR,
    VIDEO_TIME_BASE,
    AudioSpec,
    EncodedFrame,
    default_video_spec,
    load_audio,
    load_video,
)
from bench.publication import opus_dtx, with_browser_opus_fmtp


@pytest.fixture(scope="module")
def video() -> list[EncodedFrame]:
    return load_video(1280, 720)


@pytest.fixture(scope="module")
def audio() -> list[EncodedFrame]:
    return load_audio()


def decode(frames: list[EncodedFrame]) -> list[av.VideoFrame]:
    codec = av.CodecContext.create("libvpx", "r")
    pictures: list[av.VideoFrame] = []
    for frame in frames:
        pictures += codec.decode(av.Packet(frame.data))
    return pictures


def test_the_video_is_20_seconds_of_30_fps_on_the_90khz_clock(video: list[EncodedFrame]) -> None:
    assert len(video) == 600
    assert [f.pts for f in video[:3]] == [0, 3000, 6000]
    assert all(f.duration == 3000 and f.time_base == VIDEO_TIME_BASE for f in video)


def test_the_first_frame_is_a_keyframe_and_keyframes_come_every_10_seconds(
    video: list[EncodedFrame],
) -> None:
    assert [i for i, f in enumerate(video) if f.keyframe] == [0, 300]


def test_the_video_decodes_to_1280x720_pictures(video: list[EncodedFrame]) -> None:
    pictures = decode(video[:10])
    assert len(pictures) == 10
    assert {(p.width, p.height) for p in pictures} == {(1280, 720)}


def test_decoding_can_start_at_the_second_keyframe(video: list[EncodedFrame]) -> None:
    pictures = decode(video[300:305])
    assert [(p.width, p.height) for p in pictures] == [(1280, 720)] * 5


def test_the_cached_file_is_a_standard_ivf_that_pyav_reads(video: list[EncodedFrame]) -> None:
    path = DEFAULT_CACHE_DIR / default_video_spec(1280, 720).file_name()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name in ("vp8", "libvpx")
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert sum(1 for p in container.demux(stream) if p.size) == 600


def test_the_video_bitrate_is_that_of_a_720p_call(video: list[EncodedFrame]) -> None:
    kbps = sum(len(f.data) for f in video) * 8 / 20 / 1000
    assert 1200 <= kbps <= 1800


def test_cached_media_loads_fast(video: list[EncodedFrame], audio: list[EncodedFrame]) -> None:
    started = time.perf_counter()
    load_video(1280, 720)
    load_audio()
    assert time.perf_counter() - started < 0.5


def test_opus_packets_are_20_ms_at_48_khz(audio: list[EncodedFrame]) -> None:
    assert len(audio) == 1000
    assert all(f.duration == 960 and f.time_base == AUDIO_TIME_BASE for f in audio)
    assert [f.pts for f in audio[:3]] == [0, 960, 1920]
    path = DEFAULT_CACHE_DIR / AudioSpec().file_name()
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        durations = [p.duration for p in container.demux(stream) if p.size]
        assert stream.time_base is not None
        # All but the last packet, which the container trims to the end of the samples.
        assert {Fraction(d or 0) * stream.time_base for d in durations[:-1]} == {Fraction(1, 50)}


def test_opus_packets_decode_to_960_samples(audio: list[EncodedFrame]) -> None:
    codec = av.CodecContext.create("libopus", "r")
    samples = [f.samples for packet in audio[10:20] for f in codec.decode(av.Packet(packet.data))]
    assert samples == [960] * 10


def test_a_bot_encoder_ignores_requests_under_300_ms_apart_as_a_browser_does(
    video: list[EncodedFrame],
) -> None:
    track = EncodedTrack("video", video)
    track.request_keyframe(now=10.0)
    track.request_keyframe(now=10.25)  # ignored, as libwebrtc's encoder would
    track.request_keyframe(now=10.31)
    assert (track.counters.keyframe_requests, track.counters.keyframe_requests_ignored) == (3, 1)


# A silent microphone asked for DTX (usedtx=1) sends a packet per 400 ms, as a browser's.

ANSWER = "\r\n".join(
    [
        "v=0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:0",
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 minptime=10; useinbandfec=1;usedtx=1",
        "m=video 9 UDP/TLS/RTP/SAVPF 97",
        "a=mid:1",
        "a=rtpmap:97 VP8/90000",
        "",
    ]
)


def test_the_answer_s_opus_parameters_say_whether_to_use_dtx() -> None:
    assert opus_dtx(ANSWER, "0") and not opus_dtx(ANSWER, "1")
    assert not opus_dtx(ANSWER.replace("usedtx=1", "usedtx=0"), "0")
    assert not opus_dtx(ANSWER.replace("a=fmtp:96", "a=fmtp:95"), "0")
    # The offer carries Chrome's Opus parameters (and DTX) where aiortc wrote none.
    offer = ANSWER.replace("a=fmtp:96 minptime=10; useinbandfec=1;usedtx=1\r\n", "")
    munged = with_browser_opus_fmtp(offer)
    assert "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 minptime=10;useinbandfec=1;usedtx=1\r\n" in munged
    assert with_browser_opus_fmtp(ANSWER) == ANSWER


async def test_a_silent_microphone_with_dtx_sends_its_toc_byte_every_400_ms() -> None:
    frames = [
        EncodedFrame(bytes([0x78, k, k]), k * 960, 960, True, AUDIO_TIME_BASE, k)
        for k in range(100)
    ]
    track = EncodedTrack("audio", frames)
    track.audio_level = -127
    track.dtx = True
    silent = [await track.recv() for _ in range(3)]
    assert [p.pts for p in silent] == [0, 20 * 960, 40 * 960]  # the capture clock's 400 ms
    assert [bytes(p) for p in silent] == [b"\x78"] * 3  # libopus's DTX frame: the TOC alone
    assert (track.counters.dtx_packets, track.counters.dtx_frames_skipped) == (3, 38)
    track.audio_level = -13  # speaking: every 20 ms, whole frames
    loud = [await track.recv() for _ in range(2)]
    assert [p.pts for p in loud] == [41 * 960, 42 * 960]
    assert bytes(loud[0]) == bytes([0x78, 41, 41])
    track.dtx = False  # not asked for: a silent microphone sends everything
    track.audio_level = -127
    assert len(bytes(await track.recv())) == 3
