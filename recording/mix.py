"""The room's sound: every microphone of a recording decoded and mixed, a slice at a time.

The composer's audio. Each track is placed on the recording's timeline by when its first
frame was captured (`media_start`, the publisher's clock from its sender reports), so a
voice stays with its lips in the composed video as it does in the per-participant WebM.
Within a track each decoded frame goes where its own timestamp says: a microphone that
fell silent (muted, or a lost stretch) leaves silence, not a shift of all that follows.

Tracks are decoded as the mix advances, never whole: a 45-minute lesson with 26 microphones
would be 27 GB of samples in memory.

Mixing adds the voices and clips what goes over full scale; it does not divide by the
number of tracks (ffmpeg's `amix` default): in a lesson one person speaks at a time, and
dividing would make a teacher alone with 25 muted pupils 25 times quieter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.audio.resampler
import numpy as np
import numpy.typing as npt

RATE = 48_000
"""Samples per second of the mix (Opus's own rate: decoding needs no resampling)."""
CHANNELS = 2

Samples = npt.NDArray[np.float32]
"""(CHANNELS, n) float32 in -1..1."""


class Stereo:
    """Decoded audio frames as the mix's samples: float, 48 kHz, two channels.

    A mono microphone goes to both ears at full level (a resampler's upmix would lower it
    by 3 dB)."""

    def __init__(self, channels: int) -> None:
        self._mono = channels == 1
        self._resampler = av.audio.resampler.AudioResampler(
            format="fltp", layout="mono" if self._mono else "stereo", rate=RATE
        )

    def convert(self, frame: av.AudioFrame | None) -> Iterator[tuple[float, Samples]]:
        """(its time in seconds, samples) for each resampled frame; None flushes."""
        for out in self._resampler.resample(frame):
            if out.time is None:
                continue
            samples = out.to_ndarray().astype(np.float32, copy=False)
            if self._mono:
                samples = np.repeat(samples, CHANNELS, axis=0)
            yield out.time, samples


Chunks = Iterator[tuple[int, Samples]]
"""(the sample it starts at, samples) for each decoded frame, in order."""


class Voice:
    """One microphone, placed on the output's timeline by the sample its chunks start at.

    Its chunks come from a recorded file (`of_file`), decoded as it is read, or from a live
    track's decoder; an iterator with nothing yet is read again later."""

    def __init__(self, chunks: Chunks, channels: int, container: Any = None) -> None:
        self.channels = channels
        self._chunks = chunks
        self._container = container
        self._buffer: Samples = np.zeros((CHANNELS, 0), np.float32)
        self._buffer_start = 0
        """The sample of the recording the buffer's first one is."""

    @classmethod
    def of_file(cls, path: Path, offset: float) -> Voice:
        """A recorded microphone placed `offset` seconds into the recording."""
        container = av.open(str(path))
        channels: int = container.streams.audio[0].codec_context.channels
        return cls(_decoded(container, offset, channels), channels, container)

    def read(self, start: int, count: int) -> Samples | None:
        """Samples `start` to `start + count` of the recording; None when the track has
        nothing there. Reads go forward: what lies before `start` is let go."""
        end = start + count
        while self._buffer_start + self._buffer.shape[1] < end:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._append(*chunk)
        first = max(start, self._buffer_start) - self._buffer_start
        last = min(end, self._buffer_start + self._buffer.shape[1]) - self._buffer_start
        if last <= first:
            out = None
        else:
            out = np.zeros((CHANNELS, count), np.float32)
            at = self._buffer_start + first - start
            out[:, at : at + last - first] = self._buffer[:, first:last]
        drop = min(max(0, end - self._buffer_start), self._buffer.shape[1])
        self._buffer = self._buffer[:, drop:]
        self._buffer_start += drop
        return out

    def _append(self, position: int, samples: Samples) -> None:
        buffered_end = self._buffer_start + self._buffer.shape[1]
        if position < buffered_end:  # overlaps what is buffered (or was read): cut its head
            samples = samples[:, buffered_end - position :]
            position = buffered_end
        if not self._buffer.shape[1]:
            self._buffer_start = position
        elif position > buffered_end:  # a gap in the track: silence
            gap = np.zeros((CHANNELS, position - buffered_end), np.float32)
            self._buffer = np.concatenate([self._buffer, gap], axis=1)
        self._buffer = np.concatenate([self._buffer, samples], axis=1)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()


def _decoded(container: Any, offset: float, channels: int) -> Chunks:
    stream = container.streams.audio[0]
    stereo = Stereo(channels)
    try:
        for frame in container.decode(stream):
            for time, samples in stereo.convert(frame):
                yield round((offset + time) * RATE), samples
    except av.error.InvalidDataError:
        return  # a torn tail (a recovered recording): what came before is kept


def mix(slices: list[Samples], count: int) -> Samples:
    """The slices added and clipped to full scale (silence when there are none)."""
    out = np.zeros((CHANNELS, count), np.float32)
    for part in slices:
        out += part
    np.clip(out, -1.0, 1.0, out=out)
    return out


def level(samples: Samples) -> float:
    """Root mean square of the samples (full scale 1)."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
