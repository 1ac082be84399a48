"""A live event's tracks as the composer's pictures and voices, decoded as they arrive.

The SFU sends each track of the room as plain RTP (`sfu/forwarder.py`). Here each one is
put back into frames (`Depacketizer`, as for a recording), decoded, and placed on the
broadcast's timeline: seconds since the broadcast began, by when the track's first frame
arrived plus its own RTP clock after that. The composer then shows a picture or plays a
sample once its time has come (`broadcast.DELAY` after it arrived).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from typing import cast

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from .compose import LINGER, Composer, Shown
from .depacketize import Depacketizer, Frame
from .mix import RATE, Samples, Stereo, Voice

logger = logging.getLogger(__name__)

DECODERS = {"video/vp8": "vp8", "video/h264": "h264", "audio/opus": "opus"}
REANCHOR = 2.0
"""Seconds a track's RTP clock may drift from its arrivals before its frames are placed by
arrival again (a publisher that came back on a new connection starts a new clock)."""


class LivePicture(Shown):
    """A camera or screen whose decoded pictures are pushed in as they arrive."""

    def __init__(self, participant: str, screen: bool) -> None:
        super().__init__(participant, screen)
        self._queue: deque[tuple[float, av.VideoFrame]] = deque()

    def push(self, when: float, frame: av.VideoFrame) -> None:
        self._queue.append((when, frame))

    def advance(self, when: float) -> bool:
        while self._queue and self._queue[0][0] <= when:
            self._show(self._queue.popleft())
        return self._latest is not None and when - self._latest[0] <= LINGER


class Pending(Iterator[tuple[int, Samples]]):
    """A live voice's decoded chunks not yet mixed. Empty, it ends an iteration, and the
    mixer asks again for the next slice (`Voice.read`)."""

    def __init__(self) -> None:
        self.queue: deque[tuple[int, Samples]] = deque()

    def __next__(self) -> tuple[int, Samples]:
        if not self.queue:
            raise StopIteration
        return self.queue.popleft()


def description(data: bytes) -> dict[str, object] | None:
    """A forwarded track's description (`sfu.tap.TapTrack` as JSON), if it is one we can
    decode."""
    try:
        described = json.loads(data)
        if not isinstance(described, dict) or "id" not in described:
            return None
        return described if str(described.get("mime_type")).lower() in DECODERS else None
    except ValueError:
        logger.warning("a track description that is not JSON")
        return None


class LiveTrack:
    """One forwarded track: packets in, decoded frames out to the composer."""

    def __init__(self, description: dict[str, object], composer: Composer) -> None:
        self.id = str(description["id"])
        self.peer = str(description["peer"])
        self.kind = str(description["kind"])
        mime = str(description["mime_type"]).lower()
        self.clock_rate = int(str(description["clock_rate"]))
        self._composer = composer
        self._depacketizer = Depacketizer(mime, int(str(description["payload_type"])))
        self._decoder: VideoCodecContext | AudioCodecContext
        self._anchor: tuple[int, float] | None = None
        """(RTP ticks, broadcast seconds) of the frame the track's timing counts from."""
        self.picture: LivePicture | None = None
        self.voice: Voice | None = None
        self._pending: Pending | None = None
        self._stereo: Stereo | None = None
        if self.kind == "video":
            self._decoder = cast(VideoCodecContext, av.CodecContext.create(DECODERS[mime], "r"))
            self.picture = LivePicture(self.peer, description.get("source") == "screen")
            composer.pictures.append(self.picture)
        else:
            channels = 2 if description.get("channels") == 2 else 1
            audio = cast(AudioCodecContext, av.CodecContext.create(DECODERS[mime], "r"))
            audio.sample_rate = RATE
            audio.layout = "stereo" if channels == 2 else "mono"
            self._decoder = audio
            self._stereo = Stereo(channels)
            self._pending = Pending()
            self.voice = Voice(self._pending, channels)
            composer.voices.append((self.peer, self.voice))

    def packet(self, data: bytes, now: float) -> None:
        """One RTP packet, arrived `now` (broadcast seconds)."""
        for frame in self._depacketizer.push(data, b""):
            self._decode(frame, now)

    def _decode(self, frame: Frame, now: float) -> None:
        anchor = self._anchor
        if anchor is not None:
            when = anchor[1] + (frame.timestamp - anchor[0]) / self.clock_rate
        if anchor is None or abs(when - now) > REANCHOR:
            self._anchor = anchor = (frame.timestamp, now)
            when = now
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp - anchor[0]
        packet.time_base = Fraction(1, self.clock_rate)
        try:
            decoded = self._decoder.decode(packet)
        except av.error.FFmpegError:
            return  # a frame the decoder refuses: the next keyframe brings it back
        for out in decoded:
            if isinstance(out, av.VideoFrame) and self.picture is not None:
                self.picture.push(when, out)
            elif isinstance(out, av.AudioFrame) and self._stereo is not None:
                self._hear(when, out)

    def _hear(self, when: float, frame: av.AudioFrame) -> None:
        assert self._pending is not None and self._stereo is not None
        parts = [samples for _, samples in self._stereo.convert(frame)]
        if parts:
            samples = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
            self._pending.queue.append((round(when * RATE), samples))

    def close(self) -> None:
        """The track ended: its picture and voice leave the composition."""
        if self.picture is not None and self.picture in self._composer.pictures:
            self._composer.pictures.remove(self.picture)
        if self.voice is not None:
            self._composer.voices[:] = [v for v in self._composer.voices if v[1] is not self.voice]
