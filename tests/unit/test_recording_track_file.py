"""Frames to files, untranscoded, read back with PyAV: frame counts, durations, sizes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import av
import pytest

from recording.depacketize import Depacketizer, Frame
from recording.track_file import TrackFile, suffix_for
from tests.recording_media import (
    HEIGHT,
    OPUS_TICKS,
    VIDEO_TICKS,
    WIDTH,
    Encoded,
    encode_h264,
    encode_opus,
    encode_vp8,
    frame_packets,
    vp8_packets,
)

FRAME = 1 / 30


@pytest.fixture(scope="module")
def vp8() -> list[Encoded]:
    return encode_vp8(90, gop=30)


def frames_of(encoded: list[Encoded], ticks: int = VIDEO_TICKS, first: int = 7000) -> list[Frame]:
    return [Frame(e.data, first + i * ticks, e.keyframe) for i, e in enumerate(encoded)]


def record(path: Path, mime_type: str, frames: list[Frame], channels: int = 2) -> TrackFile:
    track = TrackFile(path, mime_type, channels=channels)
    for frame in frames:
        track.write(frame)
    track.close()
    return track


class ReadBack:
    """What PyAV finds in a finished file: its first stream, packets and decoded frames."""

    def __init__(self, path: Path) -> None:
        with av.open(str(path)) as container:
            stream = container.streams[0]
            self.format = container.format.name
            self.codec = stream.codec_context.name
            self.duration = (container.duration or 0) / 1_000_000
            self.size = (0, 0)
            self.channels = 0
            if isinstance(stream, av.VideoStream):
                self.size = (stream.codec_context.width, stream.codec_context.height)
            elif isinstance(stream, av.AudioStream):
                self.channels = stream.codec_context.channels
            self.packets = 0
            self.keyframes: list[int] = []
            self.decoded = 0
            self.samples = 0
            for packet in container.demux(stream):  # the last, empty, flushes the decoder
                if packet.dts is not None:
                    if packet.is_keyframe:
                        self.keyframes.append(self.packets)
                    self.packets += 1
                for frame in packet.decode():
                    self.decoded += 1
                    if isinstance(frame, av.AudioFrame):
                        self.samples += frame.samples


def test_vp8_goes_to_a_webm_file_frame_for_frame(tmp_path: Path, vp8: list[Encoded]) -> None:
    path = tmp_path / ("lesson-camera" + suffix_for("video/VP8"))
    track = record(path, "video/VP8", frames_of(vp8))
    result = track.join(30)
    assert (result.path, result.frames, result.duration) == (path, 90, 3.0)
    assert not path.with_name(path.name + ".part").exists()
    back = ReadBack(path)
    assert (back.format, back.codec, back.size) == ("matroska,webm", "vp8", (WIDTH, HEIGHT))
    assert (back.packets, back.decoded, back.keyframes) == (90, 90, [0, 30, 60])
    assert abs(back.duration - 3.0) <= FRAME


def test_h264_goes_to_a_matroska_file_frame_for_frame(tmp_path: Path) -> None:
    path = tmp_path / ("screen" + suffix_for("video/H264"))
    assert path.suffix == ".mkv"
    track = record(path, "video/H264", frames_of(encode_h264(90, gop=30)))
    assert track.join(30).frames == 90
    back = ReadBack(path)
    assert (back.format, back.codec, back.size) == ("matroska,webm", "h264", (WIDTH, HEIGHT))
    assert (back.packets, back.decoded, back.keyframes) == (90, 90, [0, 30, 60])
    assert abs(back.duration - 3.0) <= FRAME


@pytest.mark.parametrize("channels", [1, 2])
def test_opus_goes_to_a_webm_file_with_its_channel_count(tmp_path: Path, channels: int) -> None:
    encoded = encode_opus(3.0, channels)
    path = tmp_path / "microphone.webm"
    track = record(path, "audio/opus", frames_of(encoded, OPUS_TICKS), channels)
    result = track.join(30)
    assert (result.frames, result.duration) == (len(encoded), len(encoded) * 0.02)
    back = ReadBack(path)
    assert (back.codec, back.channels) == ("opus", channels)
    assert (back.packets, back.decoded) == (len(encoded), len(encoded))
    assert abs(back.duration - 3.0) <= 0.03
    assert abs(back.samples / 48000 - len(encoded) * 0.02) <= 0.01  # less the encoder delay


def test_video_starts_at_a_keyframe(tmp_path: Path, vp8: list[Encoded]) -> None:
    path = tmp_path / "late.webm"
    track = record(path, "video/VP8", frames_of(vp8)[20:])
    assert (track.join(30).frames, track.dropped_no_keyframe) == (60, 10)
    back = ReadBack(path)
    assert (back.packets, back.decoded, back.keyframes) == (60, 60, [0, 30])
    assert abs(back.duration - 2.0) <= FRAME


def test_frames_not_after_the_one_before_are_dropped(tmp_path: Path, vp8: list[Encoded]) -> None:
    frames = frames_of(vp8[:6])
    shuffled = [frames[0], frames[1], frames[1], frames[3], frames[2], frames[4], frames[5]]
    track = record(tmp_path / "order.webm", "video/VP8", shuffled)
    assert (track.join(30).frames, track.dropped_out_of_order) == (5, 2)


def test_a_writer_stuck_on_its_disk_never_holds_write_and_drops_past_its_bound(
    tmp_path: Path, vp8: list[Encoded]
) -> None:
    """The ".part" is a FIFO: the writer thread blocks opening it until a reader comes."""
    path = tmp_path / "stuck.webm"
    os.mkfifo(path.with_name(path.name + ".part"))
    frames = frames_of(vp8[:40])
    track = TrackFile(path, "video/VP8", max_pending=5)
    track.write(frames[0])
    deadline = time.monotonic() + 10
    while track.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert track.pending == 0  # the writer holds frame 0, stuck
    for frame in frames[1:]:
        track.write(frame)
    # 1-5 queued; 6 dropped, 7-29 wait for a keyframe, 30 finds the queue still full, 31-39
    # wait for the next
    assert (track.pending, track.dropped_backlog, track.dropped_no_keyframe) == (5, 2, 32)
    received = bytearray()

    def drain() -> None:
        with open(path.with_name(path.name + ".part"), "rb") as fifo:
            received.extend(fifo.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    track.close()
    assert track.join(30).frames == 6
    reader.join(30)
    copy = tmp_path / "copy.webm"
    copy.write_bytes(bytes(received))
    back = ReadBack(copy)
    assert (back.packets, back.decoded) == (6, 6)


async def test_the_event_loop_waits_for_the_file_without_blocking(
    tmp_path: Path, vp8: list[Encoded]
) -> None:
    path = tmp_path / "async.webm"
    track = record(path, "video/VP8", frames_of(vp8[:30]))
    result = await track.wait_closed()
    assert (result.path, result.frames, result.duration) == (path, 30, 1.0)
    track.close()  # idempotent
    assert track.join(1) == result


def test_depacketized_rtp_with_a_loss_records_what_a_player_can_show(
    tmp_path: Path, vp8: list[Encoded]
) -> None:
    packets = vp8_packets(vp8)
    lost = frame_packets(packets, 123456 + 40 * VIDEO_TICKS)[1]  # inside frame 40
    depacketizer = Depacketizer("video/VP8")
    track = TrackFile(tmp_path / "rtp.webm", "video/VP8")
    for packet in packets[:lost] + packets[lost + 1 :]:
        for frame in depacketizer.push(packet.header, packet.payload):
            track.write(frame)
    for frame in depacketizer.flush():
        track.write(frame)
    track.close()
    result = track.join(30)
    assert (result.frames, depacketizer.frames_dropped, result.duration) == (70, 20, 3.0)
    back = ReadBack(tmp_path / "rtp.webm")
    assert (back.packets, back.decoded, back.keyframes) == (70, 70, [0, 30, 40])


def test_a_track_closed_before_any_frame_makes_no_file(tmp_path: Path) -> None:
    track = TrackFile(tmp_path / "empty.webm", "audio/opus")
    track.close()
    assert (track.join(10).path, list(tmp_path.iterdir())) == (None, [])


def test_a_writer_that_fails_reports_it_and_drops_what_follows(
    tmp_path: Path, vp8: list[Encoded]
) -> None:
    frames = frames_of(vp8[:3])
    (tmp_path / "a-file").write_bytes(b"")  # where the file's directory should be
    track = TrackFile(tmp_path / "a-file" / "x.webm", "video/VP8")
    track.write(frames[0])
    track.write(frames[1])  # the file is opened when the first frame is written, now
    deadline = time.monotonic() + 10
    while not track.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    track.write(frames[2])
    track.close()
    with pytest.raises(FileExistsError):
        track.join(30)
    assert (track.frames_queued, track.dropped_backlog) == (2, 1)


def test_an_unknown_codec_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="video/AV1 cannot be recorded"):
        TrackFile(tmp_path / "x.mkv", "video/AV1")
