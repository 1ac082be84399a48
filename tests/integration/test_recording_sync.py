"""Lips and voice stay together through recording and composing: a publisher bot sends a white
flash and a beep at the same instants (its own encoded media, not Chrome's fake camera, whose
capture has a skew of its own), and in the composed MP4 each flash comes within 60 ms of its
beep."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from bench.bots import PublisherBot
from bench.media import AUDIO_TIME_BASE, VIDEO_TIME_BASE, EncodedFrame
from classroom.roles import Role
from recording.composition import read_status

from .conftest import ROOM, serving

FPS = 30
SAMPLES = 960
"""Opus frames of 20 ms."""
CLIP = 2
"""Seconds of the looped clip: a flash and a beep at 0 s and 1 s of it."""
MARK = 0.1
"""Seconds each flash and beep lasts."""
TOLERANCE = 0.060


def flashes() -> list[EncodedFrame]:
    """320x240 VP8, dark with a white flash of `MARK` s at each whole second. Every frame is a
    keyframe: a keyframe request never makes the clip jump, so frame k is always sent at k/30 s."""
    codec = av.CodecContext.create("libvpx", "w")
    assert isinstance(codec, av.video.codeccontext.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = 320, 240, "yuv420p"
    codec.time_base = Fraction(1, FPS)
    codec.bit_rate = 500_000
    codec.gop_size = 1
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    frames = []
    for index in range(CLIP * FPS):
        luma = 235 if (index % FPS) < MARK * FPS else 16
        planes = np.concatenate(
            [np.full((240, 320), luma, np.uint8), np.full((120, 320), 128, np.uint8)]
        )
        picture = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        picture.pts = index
        (packet,) = codec.encode(picture)
        frames.append(EncodedFrame(bytes(packet), index * 3000, 3000, True, VIDEO_TIME_BASE, index))
    return frames


def beeps() -> list[EncodedFrame]:
    """Opus, silent with a 1 kHz beep of `MARK` s at each whole second."""
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.audio.codeccontext.AudioCodecContext)
    codec.sample_rate, codec.layout, codec.format = 48000, "mono", "s16"
    codec.bit_rate = 64000
    codec.options = {"frame_duration": "20", "application": "audio"}
    codec.time_base = Fraction(1, 48000)
    t = np.arange(CLIP * 48000) / 48000
    wave = np.where(t % 1.0 < MARK, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
    pcm = (wave * 32767).astype(np.int16)
    packets = []
    for start in range(0, len(pcm), SAMPLES):
        frame = av.AudioFrame.from_ndarray(
            pcm[None, start : start + SAMPLES], format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, start
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    # One packet per 20 ms of the clip, numbered: the loop stays exactly CLIP seconds.
    return [
        EncodedFrame(data, n * SAMPLES, SAMPLES, True, AUDIO_TIME_BASE)
        for n, data in enumerate(packets[: len(pcm) // SAMPLES])
    ]


def flash_times(path: Path) -> list[float]:
    """When the picture turns white (each output frame's time, as a player shows it)."""
    onsets, lit = [], False
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            y = frame.to_ndarray()[:720]  # Y of yuv420p
            bright = float(y[300:420, 580:700].mean()) > 128
            if bright and not lit:
                onsets.append(float(frame.time or 0.0))
            lit = bright
    return onsets


def beep_times(path: Path) -> list[float]:
    """When the sound starts after silence (to the sample)."""
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray()[0] for f in container.decode(audio=0)]
        rate = container.streams.audio[0].sample_rate
    sound = np.abs(np.concatenate(chunks))
    loud = sound > 0.1
    onsets = []
    quiet_until = 0
    for index in np.flatnonzero(loud):
        if index >= quiet_until:
            onsets.append(index / rate)
        quiet_until = index + rate // 2  # a beep lasts 0.1 s; the next one is 1 s later
    return onsets


async def test_each_flash_comes_within_60_ms_of_its_beep(tmp_path: Path) -> None:
    video, audio = await asyncio.to_thread(flashes), await asyncio.to_thread(beeps)
    async with (
        serving(tmp_path) as server,
        PublisherBot(
            server.url,
            server.token("teacher", Role.TEACHER),
            video_frames=video,
            audio_frames=audio,
        ) as teacher,
    ):
        await teacher.start()
        reply = await teacher.signal.request({"type": "start_recording"})
        await asyncio.sleep(7.0)
        await teacher.signal.request({"type": "stop_recording"})
        directory = tmp_path / "recordings" / ROOM / reply["recordingId"]
        for _ in range(600):  # composed by the server, in a child process
            if (read_status(directory) or {}).get("state") in ("done", "failed"):
                break
            await asyncio.sleep(0.1)
    assert (read_status(directory) or {}).get("state") == "done", read_status(directory)

    composed = directory / "composed.mp4"
    flashes_at, beeps_at = flash_times(composed), beep_times(composed)
    assert len(flashes_at) >= 5, flashes_at
    assert abs(len(flashes_at) - len(beeps_at)) <= 1, (flashes_at, beeps_at)
    skews = [min(beeps_at, key=lambda b: abs(b - f)) - f for f in flashes_at]
    print("flash minus beep (ms):", [round(-s * 1000) for s in skews])
    assert all(abs(s) <= TOLERANCE for s in skews), skews
