"""Pre-encoded bench media: VP8 video and Opus audio, encoded once with PyAV and cached on disk.

Publishing bots send these frames as they are, so no encoder runs in the measured loop.
Keyframes are rare on purpose (one every 10 s): a subscriber that needs a picture has to get
one through the server's PLI relay, which is what the bench must exercise.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .ivf import IvfHeader, read_ivf, write_ivf
from .pattern import MovingPattern, beeping_tone
from .temporal_layers import PATTERN, ffmpeg_options

VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_TIME_BASE = Fraction(1, 48000)
AUDIO_FRAME_SAMPLES = 960  # 20 ms at 48 kHz, what browsers send
# Bump when the generated content or settings change, so stale caches are not reused.
FORMAT_VERSION = 1
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent / "cache"


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded frame (one VP8 picture or one Opus packet)."""

    data: bytes
    pts: int
    """Presentation time in ``time_base`` units, from 0 at the start of the clip."""
    duration: int
    """How long the frame lasts, in ``time_base`` units."""
    keyframe: bool
    """True if a decoder can start here (always true for audio)."""
    time_base: Fraction
    position: int = 0
    """Index in the clip: with temporal layers, its layer is `PATTERN[position % 4]`."""


@dataclass(frozen=True)
class VideoSpec:
    """How a cached video clip is encoded."""

    width: int = 1280
    height: int = 720
    fps: int = 30
    seconds: int = 20
    keyframe_interval_s: int = 10
    bitrate: int = 1_500_000
    temporal_layers: int = 1
    """1, or 3 for Chrome's L1T3 (bench/temporal_layers.py)."""
    still: bool = False
    """The pattern's background stays put, as a room behind a speaker (`MovingPattern`)."""
    drawn_at: tuple[int, int] | None = None
    """Draw the pattern at this size and scale each picture down to ``width`` x ``height``
    (any size, odd ones included): the layers of a simulcast camera show the same picture."""

    def __post_init__(self) -> None:
        if self.temporal_layers not in (1, 3):
            raise ValueError("temporal_layers must be 1 or 3")
        frames = self.fps * self.keyframe_interval_s
        if self.temporal_layers == 3 and (frames % len(PATTERN) or self.seconds % 4):
            raise ValueError("with temporal layers, keyframes and the loop fall on the pattern")

    def file_name(self) -> str:
        layers = "_l1t3" if self.temporal_layers == 3 else ""
        layers += "_still" if self.still else ""
        if self.drawn_at is not None:
            layers += f"_from{self.drawn_at[0]}x{self.drawn_at[1]}"
        return (
            f"vp8_{self.width}x{self.height}_{self.fps}fps_{self.seconds}s_"
            f"kf{self.keyframe_interval_s}s_{self.bitrate // 1000}k{layers}_v{FORMAT_VERSION}.ivf"
        )


@dataclass(frozen=True)
class AudioSpec:
    """How the cached audio clip is encoded."""

    seconds: int = 20
    bitrate: int = 32_000
    stereo: bool = False
    """Music mode's: the beeping tone on the left, a fifth above it on the right."""

    def file_name(self) -> str:
        layout = "stereo" if self.stereo else "mono"
        return (
            f"opus_48k_{layout}_20ms_{self.seconds}s_{self.bitrate // 1000}k_v{FORMAT_VERSION}.ogg"
        )


MUSIC_AUDIO = AudioSpec(bitrate=256_000, stereo=True)
"""An event's performer: stereo Opus at music mode's 256 kbit/s (sfu/sdp.py MUSIC_OPUS)."""


def default_video_spec(width: int, height: int) -> VideoSpec:
    """The bench's usual clip at this size: ~1.5 Mbit/s at 720p, scaled by pixel count."""
    bitrate = max(150_000, int(1_500_000 * (width * height) / (1280 * 720)) // 1000 * 1000)
    return VideoSpec(width=width, height=height, bitrate=bitrate)


def load_video(
    width: int = 1280, height: int = 720, *, cache_dir: Path | None = None
) -> list[EncodedFrame]:
    """The cached VP8 clip at this size (encoded on first use, ~11 s for 20 s of 720p)."""
    return load_video_spec(default_video_spec(width, height), cache_dir=cache_dir)


def load_video_spec(spec: VideoSpec, *, cache_dir: Path | None = None) -> list[EncodedFrame]:
    """The cached VP8 clip for ``spec``, encoding it first if it is not cached."""
    path = (cache_dir or DEFAULT_CACHE_DIR) / spec.file_name()
    if not path.exists():
        _atomic_write(path, lambda tmp: _encode_video(spec, tmp))
    header, frames = read_ivf(path)
    step = 90000 // header.rate * header.scale
    return [
        EncodedFrame(
            data=data,
            pts=timestamp * step,
            duration=step,
            keyframe=is_vp8_keyframe(data),
            time_base=VIDEO_TIME_BASE,
            position=position,
        )
        for position, (timestamp, data) in enumerate(frames)
    ]


def load_audio(
    *, cache_dir: Path | None = None, spec: AudioSpec | None = None
) -> list[EncodedFrame]:
    """The cached Opus clip: 48 kHz mono, 20 ms per packet, a tone beeping every second."""
    spec = spec or AudioSpec()
    path = (cache_dir or DEFAULT_CACHE_DIR) / spec.file_name()
    if not path.exists():
        _atomic_write(path, lambda tmp: _encode_audio(spec, tmp))
    frames: list[EncodedFrame] = []
    # The encoder's pre-skip spills the clip into one extra, mostly empty packet: leave it out
    # so the clip loops as whole 20 ms packets.
    wanted = spec.seconds * 48000 // AUDIO_FRAME_SAMPLES
    with av.open(str(path)) as container:
        for packet in container.demux(audio=0):
            if packet.size == 0 or len(frames) == wanted:
                continue
            # Opus pre-skip makes demuxed pts start below zero; number the packets instead.
            frames.append(
                EncodedFrame(
                    data=bytes(packet),
                    pts=len(frames) * AUDIO_FRAME_SAMPLES,
                    duration=AUDIO_FRAME_SAMPLES,
                    keyframe=True,
                    time_base=AUDIO_TIME_BASE,
                )
            )
    return frames


def is_vp8_keyframe(frame: bytes) -> bool:
    """True if a VP8 frame is a keyframe (bit 0 of the frame tag is 0, RFC 6386 9.1)."""
    return len(frame) > 0 and (frame[0] & 1) == 0


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    # Concurrent test processes may both generate; each writes its own temporary name and the
    # rename makes whichever finishes last win with a complete file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_video(spec: VideoSpec, path: Path) -> None:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width = spec.width
    codec.height = spec.height
    codec.pix_fmt = "yuv420p"
    codec.time_base = Fraction(1, spec.fps)
    codec.framerate = Fraction(spec.fps)
    codec.bit_rate = spec.bitrate
    gop = spec.fps * spec.keyframe_interval_s
    codec.gop_size = gop
    codec.thread_count = 2
    codec.options = {
        # keyint_min == gop gives a fixed keyframe distance: no scene-cut keyframes.
        "keyint_min": str(gop),
        "deadline": "realtime",
        "cpu-used": "8",
        # One output packet per input frame: no look-ahead, no hidden alt-ref frames.
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
        # minrate == maxrate makes libvpx run CBR, like a browser's real-time encoder.
        "minrate": str(spec.bitrate),
        "maxrate": str(spec.bitrate),
        "bufsize": str(spec.bitrate),
    }
    if spec.temporal_layers == 3:
        codec.options = {**codec.options, **ffmpeg_options(spec.bitrate)}
    drawn = spec.drawn_at or (spec.width, spec.height)
    pattern = MovingPattern(*drawn, still=spec.still)
    frames: list[tuple[int, bytes]] = []
    for index in range(spec.fps * spec.seconds):
        picture = av.VideoFrame.from_ndarray(pattern.frame(index), format="yuv420p")
        if drawn != (spec.width, spec.height):
            picture = picture.reformat(width=spec.width, height=spec.height)
        picture.pts = index
        picture.time_base = codec.time_base
        frames += [(int(p.pts or 0), bytes(p)) for p in codec.encode(picture)]
    frames += [(int(p.pts or 0), bytes(p)) for p in codec.encode(None)]
    header = IvfHeader(b"VP80", spec.width, spec.height, spec.fps, 1, len(frames))
    write_ivf(path, header, frames)


def _encode_audio(spec: AudioSpec, path: Path) -> None:
    samples = beeping_tone(spec.seconds)
    channels = 2 if spec.stereo else 1
    if spec.stereo:  # packed s16: left and right samples interleaved
        right = beeping_tone(spec.seconds, pitch=1.5)
        samples = np.stack([samples, right], axis=1).reshape(-1)
    layout = "stereo" if spec.stereo else "mono"
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000)
        stream.codec_context.layout = layout
        stream.codec_context.format = "s16"
        stream.codec_context.bit_rate = spec.bitrate
        stream.codec_context.options = {"frame_duration": "20", "application": "audio"}
        step = AUDIO_FRAME_SAMPLES * channels
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout=layout)
            frame.sample_rate = 48000
            frame.pts = start // channels
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
