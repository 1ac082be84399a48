"""A media track that plays pre-encoded frames in real time, looping, jumping to keyframes on PLI.

aiortc's RTCRtpSender packetizes an ``av.Packet`` returned by ``recv()`` as it is (its
encoder's ``pack``) instead of encoding a frame, so no encoder runs in the bench's loop.
"""

import asyncio
import math
import time
from dataclasses import dataclass

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from .media import EncodedFrame

# Falling further behind than this (a stalled loop) restarts the schedule instead of sending
# a burst of stale frames, which a real camera would never do.
MAX_LAG_S = 0.5


@dataclass
class TrackCounters:
    """What an encoded track has handed to its sender."""

    frames_sent: int = 0
    keyframes_sent: int = 0
    keyframe_requests: int = 0
    """PLI / FIR requests received."""
    keyframe_requests_ignored: int = 0
    """Requests within MIN_KEYFRAME_INTERVAL of the last one honoured, dropped as a browser does."""
    keyframes_on_request: int = 0
    """Jumps to a keyframe made to answer requests (several requests before a frame: one)."""
    loops: int = 0
    """Times the clip wrapped around."""
    late_resyncs: int = 0
    pauses: int = 0
    """Times the track was stopped (``set_active(False)``: a simulcast layer nobody watches)."""
    frames_skipped: int = 0
    """Frames of the clip that went by unsent while it was stopped."""
    dtx_packets: int = 0
    """Packets sent as Opus DTX does while silent: the frame's TOC byte alone, every 400 ms."""
    dtx_frames_skipped: int = 0
    """Frames not sent between them."""


SILENCE_DBOV = -127
"""RFC 6464's silence: what a microphone that hears nothing announces."""
DTX_FRAMES = 20
"""Opus DTX (``usedtx=1``) sends one packet per 400 ms of silence: one per 20 frames of 20 ms."""
MIN_KEYFRAME_INTERVAL = 0.3
"""A browser's encoder ignores a keyframe request within 300 ms of the previous one
(libwebrtc's kMinKeyframeSendIntervalMs); the bots do the same, so the bench catches an SFU that
asks too often and loses the answer."""


@dataclass
class Schedule:
    """When frame 0 of a track is due, on the event loop's clock: set by the first frame sent.
    A camera and a microphone sharing one keep in step, as a browser's capture does; each
    with its own would start when its sender first asks, milliseconds apart."""

    started_at: float | None = None


class EncodedTrack(MediaStreamTrack):
    """Plays ``frames`` (all of one kind, equal durations) at their real pace, forever.

    ``set_active(False)`` stops it as a browser stops a simulcast encoding (``active:
    false``): nothing is handed to the sender until ``set_active(True)``, which goes on where
    the capture clock is now (RTP timestamps move on by the time it was stopped, the clip by
    the frames that went by) with a keyframe, as a restarted encoder does.

    ``dtx`` (audio; set when the answer asks for Opus DTX, ``usedtx=1``): while
    ``audio_level`` says silence, one packet every 400 ms (the frame's TOC byte alone,
    libopus's DTX frame) instead of 50 a second, as a browser's microphone that hears
    nothing sends; RTP timestamps go on with the capture clock."""

    def __init__(
        self, kind: str, frames: list[EncodedFrame], schedule: Schedule | None = None
    ) -> None:
        super().__init__()
        if not frames:
            raise ValueError("an encoded track needs frames")
        self.kind = kind
        self.counters = TrackCounters()
        self.audio_level: int | None = None
        """Loudness announced in the audio-level extension (dBov, -127..0); None: none sent."""
        self.dtx = False
        """Opus DTX while ``audio_level`` is silence (the publish answer's ``usedtx=1``)."""
        self._frames = frames
        self._keyframe_indexes = [i for i, f in enumerate(frames) if f.keyframe]
        if not self._keyframe_indexes:
            raise ValueError("an encoded track needs at least one keyframe")
        self._frame_seconds = float(frames[0].duration * frames[0].time_base)
        self._position = 0
        self._keyframe_wanted = False
        self._schedule = schedule or Schedule()
        self._last_request = float("-inf")
        self._slot = 0
        """The next frame's place on the schedule (its RTP time), sent or not."""
        self.active = True
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._catch_up = False

    def set_active(self, active: bool) -> None:
        """Stop handing frames to the sender (False) or start again (True)."""
        if active == self.active:
            return
        self.active = active
        if active:
            self._catch_up = True
            self._resumed.set()
        else:
            self.counters.pauses += 1
            self._resumed.clear()

    def stop(self) -> None:
        super().stop()
        self._resumed.set()  # a stopped track's recv() raises, paused or not

    def request_keyframe(self, now: float | None = None) -> None:
        """Make the next frame sent a keyframe (the next one in the clip, wrapping around),
        unless the previous request honoured was under 300 ms ago."""
        self.counters.keyframe_requests += 1
        now = time.monotonic() if now is None else now
        if now - self._last_request < MIN_KEYFRAME_INTERVAL:
            self.counters.keyframe_requests_ignored += 1
            return
        self._last_request = now
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self.active:
                break
            await self._resumed.wait()
        if self._catch_up:
            self._catch_up = False
            self._skip_to_now()
        silent = self.dtx and self.audio_level is not None and self.audio_level <= SILENCE_DBOV
        if silent:  # on to the next 400 ms boundary of the capture clock
            skipped = -self._slot % DTX_FRAMES
            self._slot += skipped
            self._position = (self._position + skipped) % len(self._frames)
            self.counters.dtx_frames_skipped += skipped
        await self._wait_for_slot()
        frame = self._next_frame()
        packet = av.Packet(frame.data[:1] if silent else frame.data)
        if silent:
            self.counters.dtx_packets += 1
        # Timestamps follow the schedule, not the clip position: jumps and loops must not
        # move the RTP clock (and a stopped track's clock goes on).
        packet.pts = self._slot * frame.duration
        packet.time_base = frame.time_base
        packet.opaque = frame.position  # the temporal layer, for a layered packer
        self._slot += 1
        self.counters.frames_sent += 1
        if frame.keyframe:
            self.counters.keyframes_sent += 1
        return packet

    async def _wait_for_slot(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        schedule = self._schedule
        if schedule.started_at is None:
            schedule.started_at = now
        due = schedule.started_at + self._slot * self._frame_seconds
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > MAX_LAG_S:
            self.counters.late_resyncs += 1
            schedule.started_at = now - self._slot * self._frame_seconds

    def _skip_to_now(self) -> None:
        """After a stop: the slots that went by are skipped, and the next frame sent is the
        clip's next keyframe after where the picture is now."""
        started = self._schedule.started_at
        if started is None:
            return
        now = asyncio.get_running_loop().time()
        skipped = max(0, math.ceil((now - started) / self._frame_seconds) - self._slot)
        self._slot += skipped
        self.counters.frames_skipped += skipped
        self._position = (self._position + skipped) % len(self._frames)
        if not self._frames[self._position].keyframe:
            self._position = self._next_keyframe_index(self._position)

    def _next_frame(self) -> EncodedFrame:
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            if not self._frames[self._position].keyframe:
                self._position = self._next_keyframe_index(self._position)
            self.counters.keyframes_on_request += 1
        frame = self._frames[self._position]
        self._position += 1
        if self._position == len(self._frames):
            self._position = 0
            self.counters.loops += 1
        return frame

    def _next_keyframe_index(self, position: int) -> int:
        for index in self._keyframe_indexes:
            if index > position:
                return index
        return self._keyframe_indexes[0]
