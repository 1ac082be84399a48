"""One recorded track: the sink of a recorder's hidden consumer, writing frames to a file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiortc.rtp import RtcpSrPacket

from sfu import rtcp
from sfu.sink import VIDEO

from .depacketize import Depacketizer, Frame
from .track_file import TrackFile, TrackFileResult


@dataclass(frozen=True)
class SenderClock:
    """A sender report's pairing of the sender's wall clock with the track's RTP clock: what
    lines up one participant's audio and video (their tracks share that wall clock)."""

    wall: float
    """Unix seconds, on the publisher's clock."""
    rtp_timestamp: int


class TrackRecorder:
    """Takes the packets an SFU consumer forwards (`sfu.sink.RtpSink`) and writes the track.

    The consumer does what it does for any subscriber: it waits for a keyframe (and asks the
    publisher for one), rewrites sequence numbers across pauses, and sends sender reports.
    Here the packets become frames (`Depacketizer`) and go to a `TrackFile`, which writes on
    its own thread: `send_rtp` runs on the SFU's event loop and never waits for the disk.

    Two clocks place the track in the lesson: the server's wall clock when its first frame
    arrived (the one clock every participant's tracks share), and the latest sender report
    (the publisher's own wall clock against RTP time, which lines up that publisher's
    audio with their video more finely than arrival times do).
    """

    def __init__(
        self,
        path: str | Path,
        mime_type: str,
        payload_type: int | None = None,
        channels: int = 2,
        clock: Callable[[], float] = time.time,
        on_placed: Callable[[], None] | None = None,
    ) -> None:
        """`on_placed` is called once the track can be placed: its first frame and its first
        sender report have come (whichever comes last)."""
        self.path = Path(path)
        self._on_placed = on_placed
        self.mime_type = mime_type
        self._depacketizer = Depacketizer(mime_type, payload_type)
        self._file = TrackFile(self.path, mime_type, channels)
        self._clock = clock
        self.first_arrival: float | None = None
        """Server wall clock (Unix seconds) when the first frame was complete."""
        self.first_timestamp: int | None = None
        """That frame's RTP timestamp, unwrapped (its low 32 bits are the RTP timestamp)."""
        self.sender_clock: SenderClock | None = None
        self.closed = False

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        if self.closed:
            return
        for frame in self._depacketizer.push(header, payload):
            self._write(frame)

    def send_rtcp(self, data: bytes) -> None:
        for packet in rtcp.parse(data):
            if isinstance(packet, RtcpSrPacket):
                info = packet.sender_info
                first = self.sender_clock is None
                self.sender_clock = SenderClock(
                    rtcp.ntp_to_unix(info.ntp_timestamp), info.rtp_timestamp
                )
                if first and self.first_arrival is not None:
                    self._placed()

    def _write(self, frame: Frame) -> None:
        if self.first_arrival is None and frame.keyframe:  # the file starts at a keyframe
            self.first_arrival = self._clock()
            self.first_timestamp = frame.timestamp
            if self.sender_clock is not None:
                self._placed()
        self._file.write(frame)

    def _placed(self) -> None:
        if self._on_placed is not None:
            self._on_placed()

    async def close(self) -> TrackFileResult:
        """Write what the depacketizer still holds, finish the file, and say what it holds."""
        if not self.closed:
            self.closed = True
            for frame in self._depacketizer.flush():
                self._write(frame)
            self._file.close()
        return await self._file.wait_closed()

    @property
    def frames_dropped(self) -> int:
        """Frames that never reached the file: lost packets, and the frames that needed them."""
        file = self._file
        return (
            self._depacketizer.frames_dropped
            + file.dropped_backlog
            + file.dropped_no_keyframe
            + file.dropped_out_of_order
        )
