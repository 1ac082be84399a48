"""A participant's publish connection (the client offers, we answer) and the producers it feeds.

`publish` answers each offer: a producer per new sending m-line (simulcast: one with an
encoding per RID), closed when its m-line stops sending. Packets are matched to producers by
SSRC, or learnt by MID and RID where the offer names none (`_learn_ssrc`). After a drop
(`detach`) the producers stay, detached, and a new offer from the same source takes them
back, so subscribers keep their consumers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.rtp import RtcpSrPacket

from . import rtcp, sdp
from .aiortc_glue import Connection
from .counters import Counters
from .errors import InvalidSdp
from .ids import PeerId, TrackId, new_track_id
from .producer import Producer, ProducerParams, PublisherClock
from .rtp import RtpParseError, RtpView
from .uplink import UplinkFeedback


@dataclass
class TrackInfo:
    """A published track as the rest of the system sees it."""

    id: TrackId
    peer_id: PeerId
    kind: str
    source: str
    muted: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "source": self.source, "muted": self.muted}


@dataclass
class PublishChange:
    answer: str
    added: list[TrackInfo]
    removed: list[TrackId]


class Publishing:
    """What one participant publishes: its connection and producers."""

    def __init__(
        self,
        peer_id: PeerId,
        ice_addresses: list[str],
        counters: Counters,
        rtcp_ssrc: int,
        on_failed: Callable[[], None],
    ) -> None:
        self.peer_id = peer_id
        self._ice_addresses = ice_addresses
        self._counters = counters
        self.rtcp_ssrc = rtcp_ssrc
        self._on_failed = on_failed
        self._loop = asyncio.get_running_loop()
        self.producers: dict[TrackId, Producer] = {}
        self._by_mid: dict[str, Producer] = {}
        self._by_ssrc: dict[int, Producer] = {}
        self._mid_ext_id = 0
        self._rid_ext_id = 0
        self._repaired_rid_ext_id = 0
        self._uplink = UplinkFeedback(rtcp_ssrc, self._send_rtcp, lambda: self.producers.values())
        self._connection: Connection | None = None
        self._detached: list[Producer] = []
        """Tracks published before a drop, waiting for the participant to publish again."""
        self._clock = PublisherClock()
        """This participant's clock against ours, shared by its tracks (lip sync)."""
        self.priority = 0
        """Given to each producer made (a teacher's 1: see `Peer.priority`)."""

    async def publish(
        self, offer: str, sources: dict[str, str], music: bool = False
    ) -> PublishChange:
        """Answer the client's publish offer; create a producer per new sending m-line.

        `music`: its Opus is asked for in stereo at a high bitrate (sdp.MUSIC_OPUS)."""
        offered = {s.mid: s for s in sdp.media_sections(offer)}
        for mid, section in offered.items():
            sending = section.direction in ("sendonly", "sendrecv")
            if sending and mid not in sources and mid not in self._by_mid:
                raise InvalidSdp(f"m-line {mid} sends media but has no source in 'tracks'")
        if self._connection is None:
            self._connection = Connection(
                self._ice_addresses,
                self._on_rtp,
                self._on_rtcp,
                on_failed=self._on_failed,
            )
        answer = sdp.with_opus_fec(await self._connection.answer(offer), music=music)
        answer = sdp.with_simulcast(offer, answer)
        added: list[TrackInfo] = []
        removed: list[TrackId] = []
        for section in sdp.media_sections(answer):
            offer_section = offered.get(section.mid)
            existing = self._by_mid.get(section.mid)
            sending = offer_section is not None and offer_section.direction in (
                "sendonly",
                "sendrecv",
            )
            if existing is not None and not sending:
                removed.append(existing.id)
                self.close_producer(existing.id)
                continue
            if existing is not None or not sending or offer_section is None:
                continue
            codec = section.codec
            if (
                codec is None
                or codec.payloadType is None
                or codec.mimeType.lower() not in sdp.FORWARDED_CODECS
            ):
                continue
            self._mid_ext_id = section.extensions.get(sdp.MID_URI, self._mid_ext_id)
            self._uplink.transport_seq_id = section.extensions.get(
                sdp.TRANSPORT_CC_URI, self._uplink.transport_seq_id
            )
            params = ProducerParams(
                kind=section.kind,
                source=sources.get(section.mid, section.kind),
                mid=section.mid,
                mime_type=codec.mimeType,
                clock_rate=codec.clockRate,
                payload_type=codec.payloadType,
                rtx_payload_type=section.rtx_payload_type,
                ssrc=offer_section.ssrc,
                rtx_ssrc=offer_section.rtx_ssrc,
                audio_level_id=section.extensions.get(sdp.AUDIO_LEVEL_URI, 0),
                abs_send_time_id=section.extensions.get(sdp.ABS_SEND_TIME_URI, 0),
                codec_parameters=dict(codec.parameters),
                rids=offer_section.rids if section.kind == "video" else None,
                rid_id=section.extensions.get(sdp.RID_URI, 0),
                repaired_rid_id=section.extensions.get(sdp.REPAIRED_RID_URI, 0),
            )
            if params.rids:
                params.ssrc = params.rtx_ssrc = None  # each layer's are learnt by its RID
            detached = next(
                (p for p in self._detached if p.source == params.source and p.kind == params.kind),
                None,
            )
            if detached is not None:
                # Back after a drop: the same track, so subscribers keep their consumers.
                self._detached.remove(detached)
                detached.rebind(params)
                producer = detached
            else:
                producer = Producer(
                    new_track_id(),
                    self.peer_id,
                    params,
                    self._send_rtcp,
                    self.rtcp_ssrc,
                    self._counters,
                    self._loop,
                    self._clock,
                )
                producer.priority = self.priority
                self.producers[producer.id] = producer
                added.append(TrackInfo(producer.id, self.peer_id, producer.kind, producer.source))
            self._by_mid[section.mid] = producer
            for ssrc in (params.ssrc, params.rtx_ssrc):
                if ssrc is not None:
                    self._by_ssrc[ssrc] = producer
            if params.rid_id:
                self._rid_ext_id = params.rid_id
                self._repaired_rid_ext_id = params.repaired_rid_id
        # What was published before a drop and is not published again is gone.
        for producer in self._detached:
            removed.append(producer.id)
            self.close_producer(producer.id)
        self._detached.clear()
        return PublishChange(answer, added, removed)

    def add_remote(
        self, track_id: TrackId, params: ProducerParams, feedback: Callable[[bytes], None]
    ) -> Producer:
        """A track this participant publishes on another node, piped here (sfu/pipe.py): its
        feedback goes back up the pipe, not to a connection of ours."""
        producer = Producer(
            track_id,
            self.peer_id,
            params,
            feedback,
            self.rtcp_ssrc,
            self._counters,
            self._loop,
            self._clock,
        )
        producer.priority = self.priority
        self.producers[track_id] = producer
        return producer

    def close_producer(self, track_id: TrackId) -> Producer | None:
        producer = self.producers.pop(track_id, None)
        if producer is None:
            return None
        self._by_mid = {m: p for m, p in self._by_mid.items() if p is not producer}
        self._by_ssrc = {s: p for s, p in self._by_ssrc.items() if p is not producer}
        producer.close()
        return producer

    def _send_rtcp(self, data: bytes) -> None:
        if self._connection is not None:
            self._connection.send_rtcp(data)

    def _on_rtp(self, data: bytes, now: float) -> None:
        try:
            view = RtpView(data)
        except RtpParseError:
            return
        producer = self._by_ssrc.get(view.ssrc)
        if producer is None:
            producer = self._learn_ssrc(view)
            if producer is None:
                return
        self._uplink.on_rtp(view, producer, now)
        producer.on_rtp(view, now)

    def _learn_ssrc(self, view: RtpView) -> Producer | None:
        """No a=ssrc lines (or a new SSRC): find the producer by MID and the encoding by RID
        (simulcast), then remember the SSRC."""
        mid = view.extension(self._mid_ext_id)
        producer = self._by_mid.get(mid.decode(errors="replace")) if mid else None
        if producer is None:
            return None
        rtx = view.payload_type == producer.params.rtx_payload_type
        rid = None
        if producer.simulcast:
            rid_bytes = view.extension(self._repaired_rid_ext_id if rtx else self._rid_ext_id)
            if not rid_bytes:
                return None  # a simulcast layer's packets name their RID until we answer
            rid = rid_bytes.decode(errors="replace")
        if producer.learn_ssrc(view.ssrc, rid, rtx) is None:
            return None
        self._by_ssrc[view.ssrc] = producer
        return producer

    def cap(self, cap: float | None) -> None:
        """No subscriber can take more than `cap` bits/s (None: someone takes everything):
        the publisher is asked for no more (`UplinkFeedback.set_cap`)."""
        self._uplink.set_cap(cap)

    def _on_rtcp(self, packets: list[rtcp.AnyRtcpPacket]) -> None:
        now = self._loop.time()
        wall = time.time()
        for packet in packets:
            if isinstance(packet, RtcpSrPacket):
                producer = self._by_ssrc.get(packet.ssrc)
                if producer is not None:
                    info = packet.sender_info
                    producer.on_sender_report(
                        info.ntp_timestamp, info.rtp_timestamp, now, wall, ssrc=packet.ssrc
                    )

    def send_reports(self) -> None:
        """Our receiver report of what arrives (the router's timer, once a second)."""
        if self._connection is not None and self.producers:
            blocks = [b for p in self.producers.values() for b in p.report_blocks()]
            if blocks:
                self._connection.send_rtcp(rtcp.receiver_report(self.rtcp_ssrc, blocks))

    def detach(self) -> Connection | None:
        """The participant dropped off: keep the producers for a new offer, forget the
        connection (returned, for the caller to close) and every SSRC learnt on it."""
        self._uplink.stop()
        self._uplink.restart()  # a new connection numbers its packets afresh
        self._detached = list(self.producers.values())
        self._by_mid.clear()
        self._by_ssrc.clear()
        connection, self._connection = self._connection, None
        return connection

    def close(self) -> Connection | None:
        """Close every producer; the connection is returned for the caller to close."""
        self._uplink.stop()
        for track_id in list(self.producers):
            self.close_producer(track_id)
        connection, self._connection = self._connection, None
        return connection
