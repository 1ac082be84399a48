"""An event's live HLS: the room composed as a recording is, encoded once, cut into segments.

`python -m recording.broadcast <directory>` binds a UDP port on 127.0.0.1, prints
`port <n>` on its first line, and then composes whatever the SFU sends there
(`sfu/forwarder.py`) in real time: the stage and strip of `recording.layout`, the director's
choice of who is on the stage, every microphone mixed. It is encoded once, H.264 and AAC
(`Mp4Sink`'s settings, with a keyframe every `SEGMENT` seconds), and FFmpeg's HLS muxer cuts
it into MPEG-TS segments of `SEGMENT` seconds listed in `index.m3u8`, an EVENT playlist
that grows; `recording.hls` serves a rolling window of it while the event is live and the
whole of it after.

Pictures and sound are shown `DELAY` after they arrive: the director hears who starts
speaking a second ahead of the picture, and a packet late by a retransmission still finds
its frame.

It stops on SIGTERM or SIGINT (the event ended): the encoders are flushed and the playlist
gets its end tag. It also stops when its parent, the server, is gone.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

import av

from sfu.forwarder import CLOSED, RTP, TRACK

from .compose import FPS, Composer, Mp4Sink
from .live import LiveTrack, description

logger = logging.getLogger(__name__)

SEGMENT = 2
"""Seconds per HLS segment: short for a live delay of a few segments, long enough that a
keyframe every segment costs little."""
DELAY = 1.5
"""Seconds between a frame's arrival and its place in the output."""
PLAYLIST = "index.m3u8"
RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024
"""Packets that arrive while a picture is encoded wait here (a keyframe is hundreds)."""
MAX_LAG = 1.0
"""Seconds the output may fall behind its schedule (the machine busy with the room itself)
before pictures are skipped to catch up: the broadcast's delay must not grow without end."""
NICENESS = 5
"""Below the SFU: on a saturated machine the room's live WebRTC keeps its packets and the
broadcast skips pictures."""


def hls_options(directory: Path) -> dict[str, str]:
    return {
        "hls_time": str(SEGMENT),
        "hls_list_size": "0",  # every segment stays listed: the playlist is the recording
        "hls_playlist_type": "event",
        "hls_segment_filename": str(directory / "segment%05d.ts"),
        # temp_file: a segment appears under its name only when whole; program_date_time:
        # each segment says when it began, for the audience's delay.
        "hls_flags": "independent_segments+temp_file+program_date_time",
    }


class Broadcast:
    """The receiving socket, the live tracks, the composer and the HLS output."""

    def __init__(self, directory: Path, sock: socket.socket) -> None:
        self.directory = directory
        self.sock = sock
        self.composer = Composer([], [])
        self.output = av.open(
            str(directory / PLAYLIST), "w", format="hls", options=hls_options(directory)
        )
        self.sink = Mp4Sink(self.output, mono=False, keyframe_every=SEGMENT * FPS)
        self.tracks: dict[int, LiveTrack] = {}
        self.started = time.monotonic()
        self.frames = 0
        self.skipped = 0
        """Output pictures left out to catch up (see `MAX_LAG`)."""
        self.stopping = False

    def now(self) -> float:
        return time.monotonic() - self.started

    def receive(self) -> None:
        """Everything the socket holds now."""
        while True:
            try:
                datagram = self.sock.recv(65536)
            except BlockingIOError:
                return
            self.take(datagram, self.now())

    def take(self, datagram: bytes, now: float) -> None:
        if len(datagram) < 2:
            return
        kind, channel, body = datagram[:1], datagram[1], datagram[2:]
        track = self.tracks.get(channel)
        if kind == RTP and track is not None:
            track.packet(body, now)
        elif kind == TRACK:
            described = description(body)
            if described is None or (track is not None and track.id == str(described["id"])):
                return  # told again (with each sender report): already known
            if track is not None:
                track.close()
            try:
                self.tracks[channel] = LiveTrack(described, self.composer)
            except (KeyError, ValueError, av.error.FFmpegError) as error:
                logger.warning("track %s cannot be received: %s", described.get("id"), error)
        elif kind == CLOSED and track is not None:
            track.close()
            del self.tracks[channel]

    def render_due(self) -> float:
        """Render every output frame whose time has come; seconds until the next one."""
        due = self.now() - DELAY
        behind = due - self.frames / FPS
        if behind > MAX_LAG:
            # The sound goes on without a gap (the composer mixes up to each picture it
            # renders); the picture jumps ahead, holding its last one meanwhile.
            skip = int(behind * FPS)
            self.frames += skip
            self.skipped += skip
            logger.warning("%s: %.1f s behind, %d pictures skipped", self.directory, behind, skip)
        while self.frames / FPS <= due:
            self.composer.render(self.frames, self.sink)
            self.frames += 1
        return max(0.0, (self.frames / FPS) - due)

    def run(self, parent: int) -> None:
        while not self.stopping and os.getppid() == parent:
            self.receive()
            wait = self.render_due()
            select.select([self.sock], [], [], min(wait, 0.05))

    def finish(self) -> None:
        self.sink.finish()
        self.output.close()  # the playlist's end tag
        for track in self.tracks.values():
            track.close()


def open_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    except OSError:
        pass
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m recording.broadcast <directory>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.nice(NICENESS)
    directory = Path(argv[0])
    directory.mkdir(parents=True, exist_ok=True)
    sock = open_socket()
    broadcast = Broadcast(directory, sock)

    def stop(signum: int, frame: FrameType | None) -> None:
        broadcast.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"port {sock.getsockname()[1]}", flush=True)
    try:
        broadcast.run(os.getppid())
    finally:
        broadcast.finish()
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
