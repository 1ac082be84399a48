"""One track's frames to a WebM/Matroska file as they come, untranscoded, crash-tolerant."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.stream

from .depacketize import Frame
from .written_aside import settle

logger = logging.getLogger(__name__)

MAX_PENDING = 256
"""Frames queued for the writer thread before new ones are dropped: 8 s of 30 fps video,
5 s of Opus. A disk that far behind will not catch up, and memory must not grow with it."""

PART_SUFFIX = ".part"

# FFmpeg's Matroska muxer holds the current cluster in memory (5 s / 5 MiB by default) and
# writes it out only when it ends: what it holds is what a crash loses. Each cluster written
# is handed to the OS at once (flush_packets), not when AVIO's 32 KiB buffer fills.
_MUXER_OPTIONS = {
    "cluster_time_limit": "1000",
    "cluster_size_limit": str(2 << 20),
    "flush_packets": "1",
}


@dataclass(frozen=True)
class _Format:
    container: str
    codec: str
    clock_rate: int
    suffix: str

    @property
    def video(self) -> bool:
        return self.codec != "opus"


_FORMATS = {
    "video/vp8": _Format("webm", "vp8", 90000, ".webm"),
    "video/h264": _Format("matroska", "h264", 90000, ".mkv"),
    "audio/opus": _Format("webm", "opus", 48000, ".webm"),
}


def suffix_for(mime_type: str) -> str:
    """The file name ending a track of this codec is written with: ".webm" or ".mkv"."""
    return _format(mime_type).suffix


def _format(mime_type: str) -> _Format:
    found = _FORMATS.get(mime_type.lower())
    if found is None:
        raise ValueError(f"{mime_type} cannot be recorded")
    return found


@dataclass(frozen=True)
class TrackFileResult:
    """What a closed `TrackFile` wrote."""

    path: Path | None
    """The finished file; None when not one frame was written (and no file made)."""
    frames: int
    duration: float
    """Seconds from the first frame's timestamp to the end of the last frame."""


class TrackFile:
    """Writes one track's frames to `path` as they arrive, without transcoding.

    VP8 and Opus go to WebM, H.264 to Matroska. The file is `path` + ".part" until `close()`
    has finished it and renamed it; a crash leaves the ".part", playable up to its last
    cluster (about a second before the crash) once `recovery` has remuxed it.

    `write()` is for the event loop: it only queues. PyAV runs on a thread of this file's
    own, so a slow disk or a muxer stall never holds the loop. When the thread falls more
    than `max_pending` frames behind, new frames are dropped (and counted) rather than
    queued; video then waits for the next keyframe, as it does at the start, since a frame
    is no use to a player without the ones it refers to.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mime_type: str,
        channels: int = 2,
        max_pending: int = MAX_PENDING,
    ) -> None:
        """`channels` is for Opus: 2 when the SDP's format parameters say `stereo=1` (or
        `sprop-stereo=1`), else 1; the rtpmap says `opus/48000/2` either way. A wrong count
        still plays, since an Opus decoder makes either count of any packet."""
        self._format = _format(mime_type)
        self.path = Path(path)
        self.part_path = self.path.with_name(self.path.name + PART_SUFFIX)
        self.channels = channels
        self.max_pending = max_pending
        self.frames_queued = 0
        self.dropped_backlog = 0
        """Frames dropped because the writer was too far behind (or had failed)."""
        self.dropped_no_keyframe = 0
        """Video frames dropped while waiting for a keyframe (at the start, after a backlog)."""
        self._waiting_keyframe = self._format.video
        self._closing = False
        self._queue: queue.SimpleQueue[Frame | None] = queue.SimpleQueue()
        self._done: concurrent.futures.Future[TrackFileResult] = concurrent.futures.Future()
        self._muxer: _Muxer | None = None
        # A daemon: a process that exits without closing its recordings leaves ".part"
        # files for recovery instead of hanging on a thread that waits for frames.
        self._thread = threading.Thread(
            target=self._run, name=f"track-file {self.path.name}", daemon=True
        )
        self._thread.start()

    @property
    def finished(self) -> bool:
        """The writer thread is done: the file is finished, or writing it failed."""
        return self._done.done()

    @property
    def pending(self) -> int:
        """Frames queued that the writer thread has not taken yet."""
        return self._queue.qsize()

    @property
    def frames_written(self) -> int:
        """Frames in the file so far (each is written when the next one comes)."""
        return self._muxer.frames if self._muxer is not None else 0

    @property
    def dropped_out_of_order(self) -> int:
        """Frames whose timestamp was not after the one before (a player could not order them)."""
        return self._muxer.out_of_order if self._muxer is not None else 0

    def write(self, frame: Frame) -> None:
        """Queue one frame; never blocks."""
        if self._closing:
            return
        if self._waiting_keyframe and not frame.keyframe:
            self.dropped_no_keyframe += 1
            return
        if self._queue.qsize() >= self.max_pending or self._done.done():
            self.dropped_backlog += 1
            self._waiting_keyframe = self._format.video
            return
        self._waiting_keyframe = False
        self.frames_queued += 1
        self._queue.put(frame)

    def close(self) -> None:
        """Finish the file once the frames queued are written; returns at once."""
        if not self._closing:
            self._closing = True
            self._queue.put(None)

    def join(self, timeout: float | None = None) -> TrackFileResult:
        """Wait (blocking) until the file is finished after `close()`; raises what the
        writer failed with, or TimeoutError."""
        return self._done.result(timeout)

    async def wait_closed(self) -> TrackFileResult:
        """`join()` for the event loop."""
        return await asyncio.wrap_future(self._done)

    def _run(self) -> None:
        try:
            result = self._write_all()
        except Exception as exc:
            logger.exception("recording %s failed", self.path)
            if self._muxer is not None:
                self._muxer.abandon()
            self._done.set_exception(exc)
        else:
            self._done.set_result(result)

    def _write_all(self) -> TrackFileResult:
        while (frame := self._queue.get()) is not None:
            if self._muxer is None:
                self._muxer = _Muxer(self.part_path, self._format, self.channels, frame)
            self._muxer.write(frame)
        muxer = self._muxer
        if muxer is None:
            return TrackFileResult(None, 0, 0.0)
        muxer.close()
        settle(self.part_path, self.path)
        return TrackFileResult(self.path, muxer.frames, muxer.duration)


class _Muxer:
    """The PyAV side of a `TrackFile`, used by its writer thread only.

    A frame is held until the next one comes, which tells its duration: the file's duration
    is then the track's, last frame included.
    """

    def __init__(self, path: Path, fmt: _Format, channels: int, first: Frame) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Opened and written by Python, unbuffered: a disk that hangs then blocks this thread
        # in a system call that lets go of the GIL. Given the path, FFmpeg opens and writes
        # it holding the GIL, and one stuck file would stop every thread of the SFU process.
        self._file = open(path, "wb", buffering=0)  # noqa: SIM115 (closed with the container)
        try:
            self._container = av.open(
                self._file, "w", format=fmt.container, container_options=_MUXER_OPTIONS
            )
        except BaseException:
            self._file.close()
            raise
        try:
            self._stream = _add_stream(self._container, fmt, channels, first)
        except BaseException:
            self._container.close()
            self._file.close()
            raise
        self._clock_rate = fmt.clock_rate
        self._time_base = Fraction(1, fmt.clock_rate)
        self._origin = first.timestamp
        self._held: Frame | None = None
        self._last_duration = fmt.clock_rate // 30 if fmt.video else 960
        self._end = 0
        self.frames = 0
        self.out_of_order = 0

    @property
    def duration(self) -> float:
        return self._end / self._clock_rate

    def write(self, frame: Frame) -> None:
        held = self._held
        if held is not None:
            if frame.timestamp <= held.timestamp:
                self.out_of_order += 1
                return
            self._mux(held, frame.timestamp - held.timestamp)
        self._held = frame

    def close(self) -> None:
        if self._held is not None:
            self._mux(self._held, self._last_duration)
            self._held = None
        self._container.close()
        self._file.close()

    def abandon(self) -> None:
        """After a failure: let go of the file, leaving the ".part" for recovery."""
        try:
            self._container.close()
        except Exception:
            logger.debug("closing a failed recording also failed", exc_info=True)
        self._file.close()

    def _mux(self, frame: Frame, duration: int) -> None:
        pts = frame.timestamp - self._origin
        packet = av.Packet(frame.data)
        packet.stream = self._stream
        packet.time_base = self._time_base
        packet.pts = pts
        packet.dts = pts
        packet.duration = duration
        packet.is_keyframe = frame.keyframe
        self._container.mux(packet)
        self._last_duration = duration
        self._end = pts + duration
        self.frames += 1


def _add_stream(
    container: av.container.OutputContainer, fmt: _Format, channels: int, first: Frame
) -> av.stream.Stream:
    if fmt.codec == "opus":
        # PyAV's add_mux_stream() cannot set the channel count nor the OpusHead a WebM
        # Opus track must carry. The libopus encoder's context has both: it is opened
        # when the header is written (cheap, and never fed a sample).
        audio = container.add_stream(
            "libopus", rate=48000, layout="mono" if channels == 1 else "stereo"
        )
        audio.time_base = Fraction(1, 48000)
        return audio
    # Video is muxed with no codec context at all; Matroska wants the picture size in its
    # header, which the first frame, a keyframe, tells. The H.264 parameter sets the header
    # also needs are taken by PyAV from that frame (the extract_extradata filter).
    width, height = _vp8_size(first.data) if fmt.codec == "vp8" else _h264_size(first.data)
    video = container.add_mux_stream(fmt.codec, width=width, height=height)
    video.time_base = Fraction(1, fmt.clock_rate)
    return video


def _vp8_size(keyframe: bytes) -> tuple[int, int]:
    """RFC 6386 §9.1: after the 3-byte frame tag, a start code, then 14-bit width and height."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        raise ValueError("VP8 key frame start code is missing")
    width = (keyframe[6] | keyframe[7] << 8) & 0x3FFF
    height = (keyframe[8] | keyframe[9] << 8) & 0x3FFF
    return width, height


def _h264_size(keyframe: bytes) -> tuple[int, int]:
    """The picture size of an IDR access unit, by decoding it: the SPS alone gives the
    macroblock size less cropping, in exp-Golomb fields behind profile-dependent ones."""
    decoder = av.CodecContext.create("h264", "r")
    try:
        decoder.decode(av.Packet(keyframe))
    except av.FFmpegError:
        pass  # the size is known once the SPS is read, even if the picture is not
    if not decoder.width or not decoder.height:
        raise ValueError("H.264 key frame has no sequence parameter set")
    return decoder.width, decoder.height
