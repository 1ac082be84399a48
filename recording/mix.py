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

import av
import av.audio.resampler
import numpy as np
import numpy.typing as npt

RATE = 48_000
"""Samples per second of the mix (Opus's own rate: decoding needs no resampling)."""
CHANNELS = 2

Samples = npt.NDArray[np.float32]
"""(CHANNELS, n) float32 in -1..1."""


class Voice:
    """One recorded microphone, decoded as it is read, placed `offset` seconds into the
    recording."""

    def __init__(self, path: Path, offset: float) -> None:
        self._container = av.open(str(path))
        self.channels: int = self._container.streams.audio[0].codec_context.channels
        self._chunks = self._decoded(offset)
        self._buffer: Samples = np.zeros((CHANNELS, 0), np.float32)
        self._buffer_start = 0
        """The sample of the recording the buffer's first one is."""

    def _decoded(self, offset: float) -> Iterator[tuple[int, Samples]]:
        """(where it starts, samples) for each decoded frame, in order."""
        stream = self._container.streams.audio[0]
        # A mono microphone goes to both ears at full level (a resampler's upmix would
        # lower it by 3 dB).
        mono = stream.codec_context.channels == 1
        resampler = av.audio.resampler.AudioResampler(
            format="fltp", layout="mono" if mono else "stereo", rate=RATE
        )
        try:
            for frame in self._container.decode(stream):
                for out in resampler.resample(frame):
                    if out.time is None:
                        continue
                    samples = out.to_ndarray().astype(np.float32, copy=False)
                    if mono:
                        samples = np.repeat(samples, CHANNELS, axis=0)
                    yield round((offset + out.time) * RATE), samples
        except av.error.InvalidDataError:
            return  # a torn tail (a recovered recording): what came before is kept

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
        self._container.close()


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
