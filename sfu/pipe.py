"""A room's tracks piped to another node's SFU: plain RTP over UDP, and its feedback back.

An event's stage is sent once from the node that holds the room (the origin) to each node that
holds part of its audience (an edge), as mediasoup's PipeTransport and Jitsi's relays do: the
origin delivers every track through one hidden consumer (`sfu.tap`) to a `PipeSender`; the
edge's `PipeReceiver` makes each track described a producer of its own (the same track and
publisher ids, so signalling names them alike on both nodes), which the edge's audience
consumes. The edge's producers ask for what they miss as if the origin were the performer:
their NACKs and keyframe requests go back up the pipe, where the origin answers a NACK from
the consumer's history and turns a keyframe request into one to the performer. Between nodes
of one district, inside its network: no encryption, no congestion control (Jitsi's relays
have none either; the stage is a few Mbit/s).

Of a simulcast camera one encoding crosses, the largest that arrives (`Tap.follow_layers`),
switched at a keyframe when the performer's browser drops or restores its top layer. The
edge's viewers share that one: a weak link there is given fewer of its frames (VP8 temporal
layers) or its video is paused, never a smaller picture. Piping every encoding instead (as
mediasoup's PipeTransport does) would need a forwarder per encoding with its own history for
NACKs and a simulcast producer at the edge; one stream reuses the hidden consumer whole.

Datagrams as `sfu/forwarder.py`'s (`T`, `R`, `S`, `C` + a channel byte), and from the edge
`F` + channel + an RTCP packet (a NACK, a PLI) about that channel's track.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable

from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
)

from . import rtcp
from .forwarder import CLOSED, RTCP, RTP, TRACK, UdpForwarder
from .ids import TrackId
from .producer import Producer, ProducerParams
from .rtp import RtpParseError, RtpView
from .tap import Tap, TapTrack

logger = logging.getLogger(__name__)

FEEDBACK = b"F"
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
"""A keyframe's burst from the origin, held while the edge's loop is busy."""


class PipeSender(UdpForwarder):
    """The origin's end of one pipe: a room's tracks to an edge's `PipeReceiver`, and what
    the edge asks for back. Its `tap` is set once the router attaches it."""

    def __init__(self, address: tuple[str, int], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(address)
        self.tap: Tap | None = None
        self.nacks = 0
        self.keyframe_requests = 0
        self._loop = loop
        loop.add_reader(self._socket.fileno(), self._read)

    def _read(self) -> None:
        while True:
            try:
                datagram = self._socket.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error for a datagram sent earlier: the edge is gone
            if len(datagram) > 2 and datagram[:1] == FEEDBACK:
                self._feedback(datagram[1], datagram[2:])

    def _feedback(self, channel: int, data: bytes) -> None:
        track = self.track_of(channel)
        consumer = self.tap.consumer(TrackId(track)) if self.tap and track else None
        if consumer is None:
            return
        try:
            packets = rtcp.parse(data)
        except ValueError:
            return
        for packet in packets:
            if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                self.nacks += len(packet.lost)
                consumer.on_nack(packet.lost)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (
                RTCP_PSFB_PLI,
                RTCP_PSFB_FIR,
            ):
                self.keyframe_requests += 1
                consumer.on_keyframe_request()

    def close(self) -> None:
        self._loop.remove_reader(self._socket.fileno())
        super().close()


def producer_params(track: TapTrack) -> ProducerParams:
    """The edge's producer of a piped track: the origin's codec, its fmtp (the edge's
    subscribers are offered the same H.264 profile) and payload type, its SSRC learnt from
    the first packet, no RTX (the origin resends in the media stream)."""
    parameters = dict(track.codec_parameters)
    if track.channels == 2:
        parameters["stereo"] = 1  # also from an origin that sends no fmtp
    return ProducerParams(
        kind=track.kind,
        source=track.source,
        mid="",
        mime_type=track.mime_type,
        clock_rate=track.clock_rate,
        payload_type=track.payload_type,
        codec_parameters=parameters,
    )


TrackOpened = Callable[[TapTrack, Callable[[bytes], None]], Producer | None]
"""(the track described, where its feedback goes) → the edge's producer of it (None: not
taken)."""


class PipeReceiver:
    """The edge's end: one UDP socket that any origin pipes a room into. Each track described
    becomes a producer (`opened`), fed the packets of its channel, until the track closes."""

    def __init__(
        self,
        host: str,
        opened: TrackOpened,
        closed: Callable[[str], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._opened = opened
        self._closed = closed
        self._loop = loop
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        except OSError:
            pass
        self._socket.bind((host, 0))
        self._tracks: dict[tuple[tuple[str, int], int], tuple[TapTrack, Producer]] = {}
        """(origin address, channel) → the track it carries and its producer here."""
        loop.add_reader(self._socket.fileno(), self._read)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._socket.getsockname()
        return str(host), int(port)

    def _read(self) -> None:
        now = self._loop.time()
        while True:
            try:
                datagram, origin = self._socket.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error for feedback sent earlier: the origin moved on
            if len(datagram) >= 2:
                self._receive(datagram[:1], (origin, datagram[1]), datagram[2:], now)

    def _receive(
        self, kind: bytes, key: tuple[tuple[str, int], int], body: bytes, now: float
    ) -> None:
        if kind == TRACK:
            self._describe(key, body)
            return
        known = self._tracks.get(key)
        if known is None:
            return  # its description was lost or is late: the next sender report repeats it
        track, producer = known
        if kind == RTP:
            try:
                producer.on_rtp(RtpView(body), now)
            except RtpParseError:
                return
        elif kind == RTCP:
            try:
                packets = rtcp.parse(body)
            except ValueError:
                return
            for packet in packets:
                if isinstance(packet, RtcpSrPacket):
                    info = packet.sender_info
                    producer.on_sender_report(
                        info.ntp_timestamp, info.rtp_timestamp, now, time.time(), packet.ssrc
                    )
        elif kind == CLOSED:
            del self._tracks[key]
            self._closed(track.id)

    def _describe(self, key: tuple[tuple[str, int], int], body: bytes) -> None:
        try:
            track = TapTrack.read(json.loads(body))
        except (ValueError, TypeError, AttributeError):
            logger.warning("a pipe from %s described a track unreadably", key[0])
            return
        known = self._tracks.get(key)
        if known is not None:
            if known[0] == track:
                return  # told again with each sender report
            del self._tracks[key]
            self._closed(known[0].id)
        origin, channel = key
        prefix = FEEDBACK + bytes([channel])

        def feedback(data: bytes) -> None:
            try:
                self._socket.sendto(prefix + data, origin)
            except OSError:
                pass  # full, or the origin is gone: a NACK is asked again, a PLI retried

        producer = self._opened(track, feedback)
        if producer is not None:
            self._tracks[key] = (track, producer)

    def close(self) -> None:
        """Stop receiving; every track's producer is closed (`closed` for each)."""
        self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        for track, _ in list(self._tracks.values()):
            self._closed(track.id)
        self._tracks.clear()
