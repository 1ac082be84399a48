"""Hidden consumers: every track of a room delivered to something that is no participant.

A recorder (and later an HLS writer) receives a room's media through the same `Consumer` a
subscriber gets: it waits for a keyframe and asks the publisher for one, keeps its own
sequence numbers across pauses, and gets sender reports in its own timeline. Only the sink
differs, and nobody negotiates: there is no connection, so no NACK, REMB or layer choice
comes back, and the whole stream is forwarded (of a simulcast camera, its largest encoding that
arrives: `Tap.follow_layers`).

What receives the tracks (`RoomTap`) is handed in from outside: `sfu` imports nothing of
the packages above it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from .consumer import Consumer, ConsumerParams
from .counters import Counters
from .ids import PeerId, TrackId, new_consumer_id
from .producer import Producer
from .sink import RtpSink

NEVER = float("-inf")
"""An encoding's `last_arrival` before its first packet."""
TAP_PEER = PeerId("tap")
"""The peer id hidden consumers carry (in logs and counters; no such participant exists)."""


@dataclass(frozen=True)
class TapTrack:
    """One track as a tap sees it: whose it is and how to read its packets."""

    id: str
    peer: str
    kind: str
    source: str
    mime_type: str
    clock_rate: int
    payload_type: int
    channels: int
    """Audio channels (2 when the publisher negotiated `stereo=1`); 0 for video."""
    codec_parameters: dict[str, object] = field(default_factory=dict, hash=False)
    """The codec's fmtp as negotiated with the publisher (an H.264 profile-level-id and
    packetization-mode: what a node the track is piped to offers its own subscribers)."""

    @classmethod
    def of(cls, producer: Producer) -> TapTrack:
        params = producer.params
        channels = 0
        if params.kind == "audio":
            channels = 2 if producer.stereo else 1
        return cls(
            str(producer.id),
            str(producer.peer_id),
            params.kind,
            params.source,
            params.mime_type,
            params.clock_rate,
            params.payload_type,
            channels,
            dict(params.codec_parameters or {}),
        )

    @classmethod
    def read(cls, described: dict[str, Any]) -> TapTrack:
        """A description received as JSON; what this version does not know is left out, so
        nodes of a district can be upgraded one at a time. TypeError if a field is missing."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in described.items() if k in known})


class RoomTap(Protocol):
    """What receives a room's tracks: a sink per track, told when each track ends."""

    def open_track(self, track: TapTrack) -> RtpSink: ...

    def close_track(self, track_id: str) -> None:
        """The track ended (unpublished, its participant left, the tap detached)."""


class Tap:
    """One `RoomTap` attached to one room: a hidden consumer per producer."""

    def __init__(self, target: RoomTap, counters: Counters) -> None:
        self.target = target
        self._counters = counters
        self._consumers: dict[TrackId, Consumer] = {}
        self.closed = False

    def add(self, producer: Producer) -> None:
        """Deliver `producer` too (a track published after the tap was attached)."""
        if self.closed or producer.closed or producer.id in self._consumers:
            return
        sink = self.target.open_track(TapTrack.of(producer))
        consumer = Consumer(
            new_consumer_id(), TAP_PEER, producer, sink, self._counters, on_close=self._closed
        )
        self._consumers[producer.id] = consumer
        consumer.configure(
            ConsumerParams(ssrc=random.getrandbits(32), payload_type=producer.params.payload_type)
        )

    def consumer(self, track_id: TrackId) -> Consumer | None:
        """The hidden consumer of the track (a pipe's edge asks it for what it missed)."""
        return self._consumers.get(track_id)

    def follow_layers(self, now: float) -> None:
        """Of a simulcast camera, take the largest encoding that still arrives: a browser
        drops its top layer when its uplink or CPU cannot carry it, and a recording (or an
        edge node's audience, sfu/pipe.py) left on it would freeze until the layer came back.

        Before anything of it arrived (just published, or its publisher reconnected), the
        consumer keeps its layer (the largest, for a new one): taking the smallest then would
        start the stream on it and switch up a second later, at one keyframe more."""
        for consumer in self._consumers.values():
            producer = consumer.producer
            if producer.simulcast and any(e.last_arrival > NEVER for e in producer.encodings):
                consumer.set_spatial(producer.live_encodings(now)[-1].index)

    def send_reports(self, now: float, ntp: int) -> None:
        """Each track's sender report, so the sink can line up a publisher's tracks."""
        for consumer in list(self._consumers.values()):
            report = consumer.sender_report(now, ntp)
            if report is not None:
                consumer.sink.send_rtcp(report)

    def _closed(self, consumer: Consumer) -> None:
        if self._consumers.pop(consumer.producer.id, None) is not None:
            self.target.close_track(str(consumer.producer.id))

    def close(self) -> None:
        """Detach: every track ends for the target. Idempotent."""
        self.closed = True
        for consumer in list(self._consumers.values()):
            consumer.close()
