"""Real encoded media and its RTP packets, for the recording tests.

Run as a script it is the process the crash test kills:
`python -m tests.recording_media <path.webm> <seconds> <speed>` records VP8 frames to
`path` with `TrackFile`, `speed` times faster than real time, printing `fed <frames>` after
each frame, and never closes the file.
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from recording.depacketize import Frame
from recording.track_file import TrackFile

WIDTH = 320
HEIGHT = 240
FPS = 30
VIDEO_TICKS = 90000 // FPS
OPUS_TICKS = 960
SSRC = 0x11223344


@dataclass(frozen=True)
class Encoded:
    """One frame as the encoder gave it."""

    data: bytes
    keyframe: bool


@dataclass(frozen=True)
class RtpPacket:
    header: bytes
    payload: bytes
    seq: int
    timestamp: int
    marker: bool


def picture(index: int) -> av.VideoFrame:
    """A moving bar over a gradient, with enough detail to fill several packets a frame."""
    rows = np.arange(HEIGHT, dtype=np.uint16)[:, None]
    cols = np.arange(WIDTH, dtype=np.uint16)[None, :]
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    image[:, :, 0] = (cols + index * 3) % 256
    image[:, :, 1] = (rows * 2 + index) % 256
    image[:, :, 2] = ((rows ^ cols) + index * 5) % 256
    left = (index * 7) % (WIDTH - 40)
    image[:, left : left + 40] = 255
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts = index
    frame.time_base = Fraction(1, FPS)
    return frame


def solid(luma: int) -> Callable[[int], av.VideoFrame]:
    """Pictures of one grey (`luma`, video range), for telling who is where in a layout."""
    planes = np.concatenate(
        [np.full((HEIGHT, WIDTH), luma, np.uint8), np.full((HEIGHT // 2, WIDTH), 128, np.uint8)]
    )

    def make(index: int) -> av.VideoFrame:
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = index
        frame.time_base = Fraction(1, FPS)
        return frame

    return make


def encode_vp8(
    count: int, gop: int = 30, pictures: Callable[[int], av.VideoFrame] = picture
) -> list[Encoded]:
    """`count` VP8 frames of `pictures` (by default `picture()`), a keyframe every `gop`."""
    codec = _video_codec("libvpx", gop)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    codec.thread_count = 1
    return _encode_video(codec, count, pictures)


def encode_h264(count: int, gop: int = 30) -> list[Encoded]:
    """`count` H.264 access units (Annex B, SPS and PPS before each IDR), an IDR every `gop`."""
    codec = _video_codec("libx264", gop)
    codec.options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline"}
    codec.options |= {"x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:threads=1"}
    return _encode_video(codec, count)


def _video_codec(name: str, gop: int) -> av.video.codeccontext.VideoCodecContext:
    """An encoder of `picture()`'s size and rate at 400 kbit/s, a keyframe every `gop`."""
    codec = av.CodecContext.create(name, "w")
    assert isinstance(codec, av.video.codeccontext.VideoCodecContext)
    codec.width = WIDTH
    codec.height = HEIGHT
    codec.pix_fmt = "yuv420p"
    codec.time_base = Fraction(1, FPS)
    codec.bit_rate = 400_000
    codec.gop_size = gop
    return codec


def _encode_video(
    codec: av.video.codeccontext.VideoCodecContext,
    count: int,
    pictures: Callable[[int], av.VideoFrame] = picture,
) -> list[Encoded]:
    out: list[Encoded] = []
    for index in range(count):
        out += [Encoded(bytes(p), p.is_keyframe) for p in codec.encode(pictures(index))]
    out += [Encoded(bytes(p), p.is_keyframe) for p in codec.encode(None)]
    assert len(out) == count
    return out


def encode_opus(seconds: float, channels: int = 1) -> list[Encoded]:
    """A 440 Hz tone in 20 ms Opus packets."""
    layout = "mono" if channels == 1 else "stereo"
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = layout
    codec.format = "s16"
    codec.bit_rate = 32000 * channels
    codec.time_base = Fraction(1, 48000)
    samples = int(48000 * seconds)
    t = np.arange(samples) / 48000
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    out: list[Encoded] = []
    for start in range(0, samples, OPUS_TICKS):
        chunk = tone[start : start + OPUS_TICKS]
        interleaved = np.repeat(chunk, channels)[None, :]
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout=layout)
        frame.sample_rate = 48000
        frame.pts = start
        out += [Encoded(bytes(p), True) for p in codec.encode(frame)]
    out += [Encoded(bytes(p), True) for p in codec.encode(None)]
    return out


def recorded_track(
    directory: Path,
    name: str,
    encoded: list[Encoded],
    start: float | None,
    arrival: float | None = None,
) -> dict[str, Any]:
    """`encoded` (Opus if `name` ends in "microphone", else VP8) written to `<name>.webm` as
    the recorder writes it, and its sidecar entry. `start`: its first frame's capture time
    by its sender report (None: no report came); `arrival`: by the server's clock. An
    empty `Encoded` stands for a frame that never came."""
    participant, source = name.split("-")
    audio = source == "microphone"
    mime, ticks = ("audio/opus", OPUS_TICKS) if audio else ("video/VP8", VIDEO_TICKS)
    writer = TrackFile(directory / f"{name}.webm", mime, channels=1)
    for index, frame in enumerate(encoded):
        if frame.data:  # an empty one stands for a frame that never came: a gap
            writer.write(Frame(frame.data, index * ticks, frame.keyframe))
    writer.close()
    return {
        "participant": participant,
        "kind": "audio" if audio else "video",
        "source": source,
        "mime_type": mime,
        "clock_rate": 48000 if audio else 90000,
        "file": f"{name}.webm",
        "frames": writer.join(30).frames,
        "duration": len(encoded) * ticks / (48000 if audio else 90000),
        "first_timestamp": 0,
        "sender_clock": None if start is None else {"wall": start, "rtp_timestamp": 0},
        "first_arrival": arrival if arrival is not None else start,
    }


def nal_units(annex_b: bytes) -> list[bytes]:
    """The NAL units of an Annex B stream (3- or 4-byte start codes)."""
    units = []
    for chunk in annex_b.split(b"\x00\x00\x01")[1:]:
        units.append(chunk[:-1] if chunk.endswith(b"\x00") else chunk)
    return units


def as_annex_b(units: list[bytes]) -> bytes:
    return b"".join(b"\x00\x00\x00\x01" + unit for unit in units)


def rtp_header(
    seq: int,
    timestamp: int,
    marker: bool,
    payload_type: int = 96,
    csrcs: int = 0,
    extension: bytes = b"",
    padding: bool = False,
) -> bytes:
    """An RTP header; `extension` is a one-byte-header extension block (padded to 4)."""
    b0 = 0x80 | csrcs | (0x10 if extension else 0) | (0x20 if padding else 0)
    header = struct.pack("!BBHII", b0, (0x80 if marker else 0) | payload_type, seq, timestamp, SSRC)
    header += b"".join(struct.pack("!I", 1000 + i) for i in range(csrcs))
    if extension:
        extension += b"\x00" * (-len(extension) % 4)
        header += struct.pack("!HH", 0xBEDE, len(extension) // 4) + extension
    return header


def vp8_payloads(
    frame: bytes,
    picture_id: int,
    mtu: int,
    long_picture_id: bool = True,
    tl0: int | None = None,
    tid: int | None = None,
) -> list[bytes]:
    """RFC 7741 packetization: the frame split in `mtu`-byte pieces, each after a descriptor."""
    payloads = []
    for pos in range(0, len(frame), mtu):
        b0 = 0x80 | (0x10 if pos == 0 else 0)
        x = 0x80 | (0x40 if tl0 is not None else 0) | (0x20 if tid is not None else 0)
        descriptor = bytes([b0, x])
        if long_picture_id:
            descriptor += struct.pack("!H", 0x8000 | (picture_id & 0x7FFF))
        else:
            descriptor += bytes([picture_id & 0x7F])
        if tl0 is not None:
            descriptor += bytes([tl0])
        if tid is not None:
            descriptor += bytes([tid << 6])
        payloads.append(descriptor + frame[pos : pos + mtu])
    return payloads


def h264_payloads(access_unit: bytes, mtu: int) -> list[bytes]:
    """RFC 6184 mode 1: small NAL units together in STAP-A, large ones in FU-A."""
    payloads: list[bytes] = []
    small: list[bytes] = []

    def flush_small() -> None:
        if len(small) == 1:
            payloads.append(small[0])
        elif small:
            nri = max(unit[0] & 0x60 for unit in small)
            body = b"".join(struct.pack("!H", len(unit)) + unit for unit in small)
            payloads.append(bytes([nri | 24]) + body)
        small.clear()

    for unit in nal_units(access_unit):
        if len(unit) <= mtu // 4:
            small.append(unit)
            continue
        flush_small()
        if len(unit) <= mtu:
            payloads.append(unit)
            continue
        indicator = (unit[0] & 0xE0) | 28
        kind = unit[0] & 0x1F
        body = unit[1:]
        for pos in range(0, len(body), mtu):
            start = 0x80 if pos == 0 else 0
            end = 0x40 if pos + mtu >= len(body) else 0
            payloads.append(bytes([indicator, start | end | kind]) + body[pos : pos + mtu])
    flush_small()
    return payloads


def packetize(
    payloads_per_frame: list[list[bytes]],
    ticks: int,
    first_seq: int = 1000,
    first_timestamp: int = 123456,
    payload_type: int = 96,
) -> list[RtpPacket]:
    """Frames' payloads as a sender sends them: consecutive sequence numbers, one
    timestamp per frame `ticks` apart, the marker on each frame's last packet."""
    packets = []
    seq = first_seq
    for index, payloads in enumerate(payloads_per_frame):
        timestamp = (first_timestamp + index * ticks) & 0xFFFFFFFF
        for position, payload in enumerate(payloads):
            marker = position == len(payloads) - 1
            header = rtp_header(seq & 0xFFFF, timestamp, marker, payload_type)
            packets.append(RtpPacket(header, payload, seq & 0xFFFF, timestamp, marker))
            seq += 1
    return packets


def frame_packets(packets: list[RtpPacket], timestamp: int) -> list[int]:
    """Indices of the packets of the frame with this RTP timestamp."""
    return [i for i, p in enumerate(packets) if p.timestamp == timestamp]


def vp8_packets(frames: list[Encoded], mtu: int = 300, **kwargs: int) -> list[RtpPacket]:
    payloads = [vp8_payloads(f.data, 100 + i, mtu) for i, f in enumerate(frames)]
    return packetize(payloads, VIDEO_TICKS, **kwargs)


def h264_packets(frames: list[Encoded], mtu: int = 300, **kwargs: int) -> list[RtpPacket]:
    return packetize([h264_payloads(f.data, mtu) for f in frames], VIDEO_TICKS, **kwargs)


def opus_packets(frames: list[Encoded], **kwargs: int) -> list[RtpPacket]:
    return packetize([[f.data] for f in frames], OPUS_TICKS, payload_type=111, **kwargs)


def _record_until_killed(path: str, seconds: float, speed: float) -> None:
    frames = encode_vp8(int(seconds * FPS))
    track = TrackFile(path, "video/VP8")
    started = time.monotonic()
    for index, encoded in enumerate(frames):
        due = started + index / FPS / speed
        time.sleep(max(0.0, due - time.monotonic()))
        track.write(Frame(encoded.data, 5000 + index * VIDEO_TICKS, encoded.keyframe))
        print("fed", index + 1, flush=True)
    print("all fed", flush=True)
    time.sleep(3600)  # killed before it closes anything


if __name__ == "__main__":
    _record_until_killed(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
