"""A peer: one participant's publish connection (it offers) and subscribe connection (we offer).

What it publishes is `Publishing` (sfu/publishing.py); what is decided about its downlink,
`DownlinkFitter` (sfu/fitting.py). The peer owns the subscribe connection: one m-line per
consumer (`Slot`), renegotiated when consumers come and go, and the feedback that comes back
on it (NACK, PLI, REMB, receiver reports, transport feedback)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
)

from . import rtcp, sdp, transport_feedback
from .aiortc_glue import (
    Connection,
    prefer_codec,
    renew_sender_ssrcs,
    sender_ssrcs,
    set_sender_stream,
)
from .bandwidth import BandwidthEstimator
from .consumer import Consumer, ConsumerParams
from .counters import Counters
from .downlink import Downlink
from .errors import InvalidSdp
from .fitting import DownlinkFitter
from .ids import PeerId, TrackId, new_consumer_id
from .producer import Producer, ProducerParams
from .publishing import PublishChange, Publishing
from .sink import NOWHERE

logger = logging.getLogger(__name__)


@dataclass
class Slot:
    """One m-line of the subscribe connection, reused when its consumer goes away."""

    transceiver: RTCRtpTransceiver
    consumer: Consumer | None = None


OfferHandler = Callable[["Peer", str, list[dict[str, object]]], None]
QualityHandler = Callable[["Peer", TrackId, str], None]
"""A video this participant receives became "full", "reduced" or "paused" (its downlink)."""


class Peer:
    def __init__(
        self,
        peer_id: PeerId,
        ice_addresses: list[str],
        counters: Counters,
        on_subscribe_offer: OfferHandler,
        on_failed: Callable[[Peer], None],
        on_quality: QualityHandler | None = None,
    ) -> None:
        self.id = peer_id
        self._ice_addresses = ice_addresses
        self._counters = counters
        self._on_subscribe_offer = on_subscribe_offer
        self._on_failed = on_failed
        self._loop = asyncio.get_running_loop()
        self.rtcp_ssrc = random.getrandbits(32)
        self._publishing = Publishing(
            peer_id, ice_addresses, counters, self.rtcp_ssrc, lambda: on_failed(self)
        )
        """What this participant publishes: its connection and producers."""
        self._subscribe: Connection | None = None
        self._slots: list[Slot] = []
        self._negotiating = False
        self._renegotiate = False
        self._negotiation_scheduled = False
        self._parked: list[Consumer] = []
        """What it received before a drop, until `resume` offers it again."""
        self.suspended = False
        self._tasks: set[asyncio.Task[None]] = set()
        """Strong references: the loop keeps only weak ones to running tasks."""
        self._fitter = DownlinkFitter(
            counters, None if on_quality is None else lambda t, q: on_quality(self, t, q)
        )
        """What this participant's downlink can take, and what each video it receives gets."""
        self._bandwidth = BandwidthEstimator()
        """Our estimate of the downlink from its transport feedback (one per connection)."""
        self._limit_seen = False
        self.closed = False

    # --- publishing (`Publishing`) -----------------------------------------------------

    @property
    def producers(self) -> dict[TrackId, Producer]:
        return self._publishing.producers

    @property
    def priority(self) -> int:
        """Whose videos a weak downlink keeps first, after screen shares (a teacher: 1)."""
        return self._publishing.priority

    @priority.setter
    def priority(self, value: int) -> None:
        self._publishing.priority = value

    async def publish(
        self, offer: str, sources: dict[str, str], music: bool = False
    ) -> PublishChange:
        """Answer the client's publish offer (see `Publishing.publish`)."""
        return await self._publishing.publish(offer, sources, music)

    def close_producer(self, track_id: TrackId) -> Producer | None:
        return self._publishing.close_producer(track_id)

    def add_remote_producer(
        self, track_id: TrackId, params: ProducerParams, feedback: Callable[[bytes], None]
    ) -> Producer:
        """A track it publishes on another node, piped here (`Publishing.add_remote`)."""
        return self._publishing.add_remote(track_id, params, feedback)

    def cap_publisher(self, cap: float | None) -> None:
        """No subscriber can take more than `cap` bits/s (None: someone takes everything):
        the publisher is asked for no more (`UplinkFeedback.set_cap`)."""
        self._publishing.cap(cap)

    # --- subscribing -----------------------------------------------------------------

    def _subscribe_connection(self) -> Connection:
        if self._subscribe is None:
            self._subscribe = Connection(
                self._ice_addresses,
                self._on_subscribe_rtp,
                self._on_subscribe_rtcp,
                on_sender_ready=self._on_sender_ready,
                on_failed=lambda: self._on_failed(self),
                on_feedback=self._on_transport_feedback,
            )
            self._bandwidth = BandwidthEstimator()
            self._limit_seen = False
        return self._subscribe

    @property
    def subscribe_ended(self) -> bool:
        """Its subscribe connection was closed from its end while its socket stays (until
        signalling suspends or removes it): nothing can be offered on it."""
        return self._subscribe is not None and self._subscribe.ended

    def subscribe(self, producer: Producer, stream_id: str) -> Consumer:
        """Deliver `producer` to this participant (renegotiates the subscribe connection)."""
        # Away, or its subscribe connection ended: offered with everything else when it
        # comes back. A dead subscriber never fails the publisher who caused this call.
        if self.suspended or self.subscribe_ended:
            consumer = Consumer(
                new_consumer_id(),
                self.id,
                producer,
                NOWHERE,
                self._counters,
                on_close=self._consumer_closed,
            )
            self._parked.append(consumer)
            return consumer
        connection = self._subscribe_connection()
        consumer = Consumer(
            new_consumer_id(),
            self.id,
            producer,
            connection,
            self._counters,
            on_close=self._consumer_closed,
        )
        slot = next(
            (s for s in self._slots if s.consumer is None and s.transceiver.kind == producer.kind),
            None,
        )
        if slot is None:
            slot = Slot(connection.add_sender(producer.kind))
            self._slots.append(slot)
        else:
            renew_sender_ssrcs(slot.transceiver.sender)
        slot.consumer = consumer
        if producer.simulcast:
            steps = self._fitter.ladder(consumer, self._loop.time())
            consumer.set_spatial(steps[-1].spatial)  # the size shown, until the allocator runs
        slot.transceiver.direction = "sendonly"
        prefer_codec(slot.transceiver, producer.params.mime_type, producer.params.codec_parameters)
        set_sender_stream(slot.transceiver.sender, stream_id, producer.id)
        self._schedule_negotiation()
        return consumer

    def consumer_of(self, track_id: TrackId) -> Consumer | None:
        for slot in self._slots:
            if slot.consumer is not None and slot.consumer.producer.id == track_id:
                return slot.consumer
        for consumer in self._parked:
            if not consumer.closed and consumer.producer.id == track_id:
                return consumer
        return None

    def _consumer_closed(self, consumer: Consumer) -> None:
        for index, slot in enumerate(self._slots):
            if slot.consumer is consumer:
                slot.consumer = None
                slot.transceiver.direction = "inactive"
                # The idle m-line gives up the track's msid: the same track subscribed again
                # (a page turned back) gets another m-line, and Chrome refuses an offer in
                # which two m-lines name one track ("Duplicate a=msid lines detected").
                set_sender_stream(slot.transceiver.sender, "-", f"idle-{index}")
        self._fitter.forget(consumer.producer.id)
        if not self.closed:
            self._schedule_negotiation()

    def _schedule_negotiation(self) -> None:
        """Changes made in one turn of the loop (a peer joining a room of ten) share one offer."""
        if self._negotiation_scheduled:
            return
        self._negotiation_scheduled = True

        async def run() -> None:
            self._negotiation_scheduled = False
            await self.negotiate()

        task = self._loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def negotiate(self) -> None:
        """Send one subscribe offer at a time; changes made meanwhile go in the next one."""
        if self._subscribe is None or self.closed or self._subscribe.ended:
            return
        if self._negotiating:
            self._renegotiate = True
            return
        self._negotiating = True
        self._renegotiate = False
        try:
            offer = await self._subscribe.offer()
        except Exception:
            logger.exception("subscribe offer failed for %s", self.id)
            self._negotiating = False
            return
        tracks: list[dict[str, object]] = []
        stereo: set[str] = set()
        for slot in self._slots:
            consumer = slot.consumer
            if consumer is None or slot.transceiver.mid is None:
                continue
            producer = consumer.producer
            if producer.stereo:
                stereo.add(slot.transceiver.mid)
            tracks.append(
                {
                    "mid": slot.transceiver.mid,
                    "participantId": producer.peer_id,
                    "trackId": producer.id,
                    "kind": producer.kind,
                    "source": producer.source,
                }
            )
        self._on_subscribe_offer(self, sdp.with_stereo_opus(offer, stereo), tracks)

    async def accept_subscribe_answer(self, answer: str) -> None:
        if self._subscribe is None or self._subscribe.signaling_state != "have-local-offer":
            raise InvalidSdp("no subscribe offer is waiting for an answer")
        try:
            await self._subscribe.accept_answer(answer)
        finally:
            self._negotiating = False
        if self._renegotiate:
            await self.negotiate()

    def _on_sender_ready(
        self, transceiver: RTCRtpTransceiver, parameters: RTCRtpSendParameters
    ) -> None:
        slot = next((s for s in self._slots if s.transceiver is transceiver), None)
        if slot is None or slot.consumer is None or not parameters.codecs:
            return
        codec = parameters.codecs[0]
        if codec.payloadType is None:
            return
        rtx_pt = next(
            (
                c.payloadType
                for c in parameters.codecs
                if c.mimeType.lower().endswith("/rtx")
                and c.parameters.get("apt") == codec.payloadType
            ),
            None,
        )
        ext = {x.uri: x.id for x in parameters.headerExtensions}
        ssrc, rtx_ssrc = sender_ssrcs(transceiver.sender)
        if self._subscribe is not None:
            self._subscribe.transport_seq_id = ext.get(sdp.TRANSPORT_CC_URI, 0)
        slot.consumer.configure(
            ConsumerParams(
                ssrc=ssrc,
                payload_type=codec.payloadType,
                mid=parameters.muxId,
                rtx_ssrc=rtx_ssrc if rtx_pt is not None else None,
                rtx_payload_type=rtx_pt,
                mid_id=ext.get(sdp.MID_URI, 0),
                audio_level_id=ext.get(sdp.AUDIO_LEVEL_URI, 0),
                abs_send_time_id=ext.get(sdp.ABS_SEND_TIME_URI, 0),
                playout_delay_id=ext.get(sdp.PLAYOUT_DELAY_URI, 0),
                transport_seq_id=ext.get(sdp.TRANSPORT_CC_URI, 0),
            )
        )

    def _on_transport_feedback(self, packets: list[bytes]) -> None:
        """The subscriber's transport feedback: our estimate of its downlink."""
        connection = self._subscribe
        if connection is None:
            return
        results = []
        for raw in packets:
            try:
                results += connection.sent.on_feedback(transport_feedback.parse(raw))
            except transport_feedback.FeedbackError:
                self._counters.feedback_errors += 1
        if not results:
            return
        bandwidth = self._bandwidth
        bandwidth.on_feedback(results, self._loop.time())
        # A queue building up has shown the link's limit once: from then on the estimate is
        # the budget (as a REMB that fell is); before, it is only a ramp from 300 kbit/s.
        self._limit_seen = self._limit_seen or bandwidth.rate_control.near_capacity
        self.downlink.on_estimate(
            bandwidth.rate_control.rate, self._limit_seen, self._loop.time(), bandwidth.acked.rate
        )

    def _on_subscribe_rtp(self, data: bytes, now: float) -> None:
        return None  # the subscribe connection only sends media

    def _on_subscribe_rtcp(self, packets: list[rtcp.AnyRtcpPacket]) -> None:
        for packet in packets:
            if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                consumer = self._consumer_by_ssrc(packet.media_ssrc)
                if consumer is not None:
                    consumer.on_nack(packet.lost)
            elif isinstance(packet, RtcpPsfbPacket):
                if packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                    consumer = self._consumer_by_ssrc(packet.media_ssrc)
                    if consumer is not None:
                        consumer.on_keyframe_request()
                elif packet.fmt == RTCP_PSFB_APP:
                    try:
                        self.downlink.on_remb(rtcp.unpack_remb(packet.fci)[0])
                    except ValueError:
                        pass
            elif isinstance(packet, (RtcpRrPacket, RtcpSrPacket)) and packet.reports:
                # The loss on our leg only: a pupil whose uplink loses packets must not make
                # everyone who watches them look like they are on a bad downlink. Audio
                # counts too: at 50 packets a second it fills a window where a video paused
                # down to its base layer takes seconds.
                now = self._loop.time()
                lost = [
                    fraction
                    for r in packet.reports
                    if (c := self._consumer_by_ssrc(r.ssrc)) is not None
                    and (fraction := c.downlink_loss(r.packets_lost, r.highest_sequence, now))
                    is not None
                ]
                if lost:
                    self.downlink.on_loss(max(lost), now)

    def _consumer_by_ssrc(self, ssrc: int) -> Consumer | None:
        for slot in self._slots:
            consumer = slot.consumer
            if consumer is not None and consumer.params is not None:
                if consumer.params.ssrc == ssrc:
                    return consumer
        return None

    # --- fitting the subscriber's downlink (driven by the router's timer) -------------

    @property
    def downlink(self) -> Downlink:
        return self._fitter.downlink

    @property
    def video_sizes(self) -> dict[TrackId, tuple[int, int]]:
        return self._fitter.video_sizes

    def _received(self) -> list[Consumer]:
        return [s.consumer for s in self._slots if s.consumer is not None]

    def allocate(self, elapsed: float) -> None:
        """Give each video this participant receives the layers its downlink can carry
        (`DownlinkFitter.allocate`); `elapsed`: seconds since the router's last tick."""
        self._fitter.allocate(self._received(), self._subscribe, elapsed)

    def set_video_sizes(self, sizes: dict[TrackId, tuple[int, int]]) -> None:
        """The size each video is drawn at on the subscriber's screen; videos not named are
        drawn at a size not said (everything they have is sent)."""
        self._fitter.video_sizes = dict(sizes)
        self.allocate(0.0)

    def downlink_report(self) -> dict[str, object]:
        """For /metrics: the budget (bits/s; None: unknown) and each received video's layer."""
        videos = [c for c in self._received() if c.kind == "video"]
        return self._fitter.report(videos, self._subscribe)

    # --- periodic RTCP (driven by the router's single timer) -------------------------

    def send_reports(self, now: float, ntp: int) -> None:
        self._publishing.send_reports()
        if self._subscribe is not None:
            reports = b"".join(
                sr
                for slot in self._slots
                if slot.consumer is not None
                and (sr := slot.consumer.sender_report(now, ntp)) is not None
            )
            if reports:
                self._subscribe.send_rtcp(reports)

    # --- life ------------------------------------------------------------------------

    async def suspend(self) -> None:
        """The participant dropped off (its socket closed without leaving): close both
        connections but keep its tracks and what it receives, for `resume`.

        Producers receive nothing meanwhile; their subscribers' consumers stay and run on
        from the same sequence number when the tracks come back. Consumers of this peer
        send nothing until a new subscribe connection is answered."""
        if self.closed or self.suspended:
            return
        self.suspended = True
        connections = (self._publishing.detach(), self._subscribe)
        self._subscribe = None
        self._negotiating = self._renegotiate = False
        consumers = [s.consumer for s in self._slots if s.consumer is not None]
        self._slots = []
        self._parked.extend(consumers)  # with any parked while its connection had ended
        for consumer in consumers:
            consumer.move_to(NOWHERE)  # nothing sent, no sequence number spent, until back
        for connection in connections:
            if connection is not None:
                await connection.close()

    def resume(self) -> None:
        """Back on new connections: offer every parked consumer on a new subscribe
        connection (each starts again from a keyframe)."""
        if self.closed or not self.suspended:
            return
        self.suspended = False
        parked, self._parked = self._parked, []
        for consumer in parked:
            if consumer.closed:
                continue
            connection = self._subscribe_connection()
            consumer.move_to(connection)
            slot = Slot(connection.add_sender(consumer.kind), consumer)
            self._slots.append(slot)
            slot.transceiver.direction = "sendonly"
            producer = consumer.producer
            prefer_codec(
                slot.transceiver, producer.params.mime_type, producer.params.codec_parameters
            )
            set_sender_stream(slot.transceiver.sender, producer.peer_id, producer.id)
        self._schedule_negotiation()

    async def close(self) -> None:
        """Close every producer, consumer and both connections. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self._fitter.stop()
        publish = self._publishing.close()
        for slot in self._slots:
            if slot.consumer is not None:
                slot.consumer.close()
        for consumer in self._parked:
            consumer.close()
        for connection in (publish, self._subscribe):
            if connection is not None:
                await connection.close()
