"""A room's tracks as plain RTP over UDP to another process on this machine.

The live HLS writer decodes and encodes: seconds of CPU a second, which must not run on the
SFU's event loop. So the SFU hands it the packets, as mediasoup's PlainTransport hands them
to ffmpeg: a hidden consumer per track (`sfu.tap`), and each packet sent as one datagram.
The receiver learns what each channel carries from a description sent when the track opens
and again with each sender report (a datagram can be lost, and the receiver may start late).

Datagrams, each led by one byte of kind and one of channel:
- `T` + channel + JSON of the `TapTrack`: what the channel carries;
- `R` + channel + an RTP packet;
- `S` + channel + an RTCP packet (the track's sender report);
- `C` + channel: the track ended.

Sending never blocks: when the receiver lags and the socket's buffer is full, the packet is
dropped and counted, as a network would.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict

from .sink import VIDEO, RtpSink
from .tap import TapTrack

TRACK, RTP, RTCP, CLOSED = b"T", b"R", b"S", b"C"
MAX_CHANNELS = 256
SEND_BUFFER_BYTES = 4 * 1024 * 1024
"""A keyframe's burst (a few hundred packets) fits while the receiver encodes a picture."""


class UdpForwarder:
    """A `RoomTap` that sends every track of a room to `address` (127.0.0.1, a port)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        except OSError:
            pass  # the default buffer only drops more under a burst
        # Connected: a receiver that is gone shows as ECONNREFUSED (its ICMP), not silence.
        self._socket.connect(address)
        self._channels: dict[str, int] = {}
        self._tracks: dict[int, str] = {}
        """The reverse of `_channels`: feedback names a channel (sfu/pipe.py)."""
        self.dropped = 0
        """Datagrams the socket would not take (the receiver lags, or is gone)."""

    def open_track(self, track: TapTrack) -> RtpSink:
        used = self._tracks
        channel = next((c for c in range(MAX_CHANNELS) if c not in used), None)
        if channel is None:
            return _Discard()
        previous = self._channels.get(track.id)
        if previous is not None:  # opened again without being closed: the old one is given up
            del self._tracks[previous]
        self._channels[track.id] = channel
        self._tracks[channel] = track.id
        sink = _ChannelSink(self, channel, json.dumps(asdict(track)).encode())
        sink.describe()
        return sink

    def close_track(self, track_id: str) -> None:
        channel = self._channels.pop(track_id, None)
        if channel is not None:
            del self._tracks[channel]
            self.send(CLOSED + bytes([channel]))

    def track_of(self, channel: int) -> str | None:
        """The track the channel carries now (None: free)."""
        return self._tracks.get(channel)

    def send(self, datagram: bytes) -> None:
        try:
            self._socket.send(datagram)
        except (BlockingIOError, ConnectionRefusedError):
            # Full, or nobody listens (an ICMP error from a previous datagram): dropped.
            self.dropped += 1
        except OSError:
            self.dropped += 1

    def close(self) -> None:
        self._channels.clear()
        self._tracks.clear()
        self._socket.close()


class _ChannelSink:
    """One track's packets, led by its channel number."""

    def __init__(self, forwarder: UdpForwarder, channel: int, description: bytes) -> None:
        self._forwarder = forwarder
        self._rtp = RTP + bytes([channel])
        self._rtcp = RTCP + bytes([channel])
        self._track = TRACK + bytes([channel]) + description

    def describe(self) -> None:
        self._forwarder.send(self._track)

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        self._forwarder.send(b"".join((self._rtp, header, payload)))

    def send_rtcp(self, data: bytes) -> None:
        self.describe()
        self._forwarder.send(self._rtcp + data)


class _Discard:
    """The sink of a track past `MAX_CHANNELS`: nothing is sent."""

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        return None

    def send_rtcp(self, data: bytes) -> None:
        return None
