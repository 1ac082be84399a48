"""A producer: one incoming track of a publisher, fanned out to its consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rtcp, vp8
from .counters import Counters
from .ids import PeerId, TrackId
from .keyframes import KeyframeRequester
from .layers import MAX_LAYER
from .payload import is_keyframe
from .reception import NackTracker, ReceptionStats
from .rtp import RtpParseError, RtpView, abs_send_time, unwrap_rtx
from .speaker import VoiceMeter

if TYPE_CHECKING:
    from .consumer import Consumer


@dataclass
class ProducerParams:
    """What negotiation told us about one incoming track."""

    kind: str
    """"audio" or "video"."""
    source: str
    """"camera", "microphone" or "screen"."""
    mid: str
    mime_type: str
    """e.g. "video/VP8"; consumers negotiate the same codec."""
    clock_rate: int
    payload_type: int
    rtx_payload_type: int | None = None
    ssrc: int | None = None
    """From the offer's a=ssrc lines; learnt from the first packet when absent."""
    rtx_ssrc: int | None = None
    audio_level_id: int = 0
    """The publisher's header extension ID for RFC 6464 audio level (0: none)."""
    abs_send_time_id: int = 0
    codec_parameters: dict[str, object] | None = None
    """fmtp of the codec (H.264 profile and packetization mode must match)."""


@dataclass
class SenderReport:
    """A publisher's latest RTCP SR, and when it reached us (server monotonic time)."""

    ntp: int
    rtp_timestamp: int
    arrival: float
    sent_wall: float
    """The SR's NTP time in Unix seconds, on the publisher's own clock."""


class PublisherClock:
    """How one publisher's wall clock relates to ours, shared by all its tracks.

    Its SR times are its own clock, seconds off from ours. The smallest (arrival − sent)
    seen is that offset plus the shortest network delay; all of a publisher's tracks use
    the same estimate, so mapping their RTP times onto our clock keeps them in lip sync.
    """

    def __init__(self) -> None:
        self.offset: float | None = None

    def observe(self, sent_wall: float, arrival_wall: float) -> None:
        offset = arrival_wall - sent_wall
        if self.offset is None or offset < self.offset:
            self.offset = offset

    def to_server(self, sent_wall: float) -> float:
        return sent_wall + (self.offset or 0.0)


OPUS_TOC_STEREO = 0x04
"""The `s` bit of an Opus packet's first byte: the frame is coded in stereo (RFC 6716 3.1)."""
RECENT_MASK = 63
"""64 packets kept per video producer for `replay_after` (more than a reordering spans)."""
RATE_SMOOTHING = 0.5
"""Weight of the newest second in a producer's layer rates."""
KEYFRAME_SHARE = 0.25
"""Keyframes that subscribers' PLIs ask for may add at most this share to the stream: the
PLI interval is stretched to keep them under it, from `PLI_INTERVAL` up to `MAX_PLI_INTERVAL`.
Every keyframe goes to every subscriber, and a link too narrow for one loses part of it and
asks again at once. With a PLI a second (Janus's rule) the bench's weak lesson (N=12, 150 KB
keyframes, a third of the pupils on 300 kbit/s) had the teacher send a keyframe every second
to everyone; the 1 Mbit/s pupils lost 30 % of their video."""
PLI_INTERVAL = 1.0
MAX_PLI_INTERVAL = 3.0
"""A subscriber that lost its picture waits for a new one at most this long (plus a round
trip): a screen share's keyframes dwarf its few bits a second."""


class Producer:
    def __init__(
        self,
        track_id: TrackId,
        peer_id: PeerId,
        params: ProducerParams,
        feedback: Callable[[bytes], None],
        rtcp_ssrc: int,
        counters: Counters,
        loop: asyncio.AbstractEventLoop,
        clock: PublisherClock | None = None,
    ) -> None:
        self.id = track_id
        self.peer_id = peer_id
        self.params = params
        self.kind = params.kind
        self.source = params.source
        self._feedback = feedback
        self._rtcp_ssrc = rtcp_ssrc
        self._counters = counters
        self._is_video = params.kind == "video"
        self._vp8 = self._is_video and params.mime_type.lower() == "video/vp8"
        self._opus = params.mime_type.lower() == "audio/opus"
        self._recent: list[RtpView | None] | None = (
            [None] * (RECENT_MASK + 1) if self._is_video else None
        )
        """The last packets received, by sequence number (`replay_after`)."""
        self.layer_octets = [0] * (MAX_LAYER + 1)
        """Payload bytes received per temporal layer (all in 0 without layers)."""
        self.layer_rates: tuple[float, ...] = (0.0,) * (MAX_LAYER + 1)
        """Bits/s of layers 0..n together, for each n (`sample_rates`)."""
        self.keyframe_octets = 0
        """Payload bytes of keyframes (also in `layer_octets`), for `keyframe_size`.

        Keyframes stay in the layer rates in the second they come, as before: averaged
        over ten seconds instead, the base layer looked cheaper than it is, a pupil behind
        600 kbit/s was given layer 1 as well, its receiver's estimate fell at the next
        keyframe, and its video paused (`tests/integration/test_downlink.py`, 3 runs in
        12). What kept keyframes from pausing everyone in the bench is that requested ones
        are spaced (`KEYFRAME_SHARE`)."""
        self._keyframe_timestamp: int | None = None
        self._keyframe_began = 0
        """`keyframe_octets` when the current keyframe began."""
        self._keyframe_sizes = (0, 0)
        """The two keyframes before it, in bytes (`keyframe_size`)."""
        self._rate_octets = [0] * (MAX_LAYER + 1)
        self._audio_level_id = params.audio_level_id if params.kind == "audio" else 0
        self.voice = VoiceMeter() if params.kind == "audio" else None
        """How loud it was since the room's last active-speaker interval (sfu/speaker.py)."""
        self.consumers: list[Consumer] = []
        self.stats = ReceptionStats(params.clock_rate)
        self._nacks = NackTracker() if self._is_video else None
        self.keyframes = KeyframeRequester(
            self._send_pli,
            loop,
            # Muted at the SFU, a producer forwards nothing: no keyframe is worth asking for.
            waiting=lambda: not self.muted and any(c.waiting_keyframe for c in self.consumers),
            starting=lambda: any(c.starting for c in self.consumers),
        )
        self.last_sr: SenderReport | None = None
        self.clock = clock or PublisherClock()
        self.muted = False
        self.priority = 0
        """Its publisher's rank for weak downlinks (a teacher's 1; see sfu/allocation.py)."""
        self.closed = False

    # --- media in (hot path) ---------------------------------------------------------

    def on_rtp(self, view: RtpView, now: float) -> None:
        params = self.params
        if view.payload_type == params.rtx_payload_type and params.rtx_payload_type is not None:
            if params.rtx_ssrc is None:
                params.rtx_ssrc = view.ssrc
            try:
                view = self._unwrap_rtx(view)
            except RtpParseError:
                return
        elif params.ssrc is None:
            params.ssrc = view.ssrc
        counters = self._counters
        counters.packets_in += 1
        counters.bytes_in += len(view.data)
        self.stats.add(view.seq, view.timestamp, now)
        if self._nacks is not None:
            lost = self._nacks.add(view.seq, now)
            if lost:
                counters.nacks_sent += len(lost)
                self._feedback(rtcp.nack(self._rtcp_ssrc, view.ssrc, lost))
        if view.payload_start == view.payload_end:
            return  # padding only: bandwidth probing, nothing to forward
        if self._recent is not None:
            seen = self._recent[view.seq & RECENT_MASK]
            if seen is not None and seen.seq == view.seq:
                # A second copy: we asked again before the first retransmission arrived.
                # Forwarded twice it would cost the subscribers and confuse their loss.
                counters.duplicates_dropped += 1
                return
            self._recent[view.seq & RECENT_MASK] = view
        # Read once per packet, shared by every consumer: the payload slice, the VP8
        # descriptor, the publisher's audio level and our send time.
        payload = memoryview(view.data)[view.payload_start : view.payload_end]
        if self._opus:
            counters.opus_packets += 1
            if payload[0] & OPUS_TOC_STEREO:
                counters.opus_stereo_packets += 1
        keyframe = False
        descriptor = None
        layer = 0
        if self._vp8:
            descriptor = vp8.parse(payload)
            if descriptor is not None:
                tid = descriptor.tid
                layer = 0 if tid is None else min(tid, MAX_LAYER)
                keyframe = descriptor.frame_start and not payload[descriptor.size] & 0x01
        elif self._is_video:
            keyframe = is_keyframe(params.mime_type, payload)
        if keyframe:
            if view.timestamp != self._keyframe_timestamp:
                last = self.keyframe_octets - self._keyframe_began
                self._keyframe_sizes = (self._keyframe_sizes[1], last)
                self._keyframe_began = self.keyframe_octets
            self._keyframe_timestamp = view.timestamp
            self.keyframes.keyframe_received()
        if self._is_video and view.timestamp == self._keyframe_timestamp:
            self.keyframe_octets += len(payload)  # every packet of the keyframe
        self.layer_octets[layer] += len(payload)
        if self.muted:
            return
        level = view.extension(self._audio_level_id) if self._audio_level_id else None
        if level and self.voice is not None:
            self.voice.add(level[0])  # muted (returned above): never heard as a speaker
        send_time = abs_send_time(now) if self._is_video else 0
        for consumer in self.consumers:
            consumer.forward(view, payload, keyframe, descriptor, level, send_time, now)

    @property
    def stereo(self) -> bool:
        """Its publisher was asked for stereo Opus (music mode): subscribers are offered it."""
        return self._opus and str((self.params.codec_parameters or {}).get("stereo")) == "1"

    @property
    def keyframe_size(self) -> int:
        """Bytes of a keyframe, as large as the last ones were (encoders alternate big and
        small ones: the larger of the last two, or of the one still arriving)."""
        current = self.keyframe_octets - self._keyframe_began
        return max(current, *self._keyframe_sizes)

    def replay_after(self, consumer: Consumer, seq: int, now: float) -> None:
        """Hand `consumer`, which just started at the keyframe packet `seq`, the packets
        after it that arrived first (reordered) and that it dropped while it waited.

        Without this the subscriber's stream has a hole there that no retransmission can
        fill (the consumer never sent those packets). It happened on every reconnect: the
        first packet of a new connection takes aioice's slower path and arrives second.
        """
        recent = self._recent
        if recent is None:
            return
        newer = []
        for step in range(1, RECENT_MASK + 1):
            view = recent[(seq + step) & RECENT_MASK]
            if view is None or view.seq != (seq + step) & 0xFFFF:
                break
            newer.append(view)
        send_time = abs_send_time(now)
        for view in newer:
            payload = memoryview(view.data)[view.payload_start : view.payload_end]
            descriptor = vp8.parse(payload) if self._vp8 else None
            consumer.forward(view, payload, False, descriptor, None, send_time, now)

    def _unwrap_rtx(self, view: RtpView) -> RtpView:
        original_seq, _ = unwrap_rtx(view.payload)
        data = bytearray(view.data[: view.payload_start])
        data[0] &= ~0x20  # the padding was after the RTX payload; it is dropped below
        data[1] = (data[1] & 0x80) | self.params.payload_type
        data[2:4] = original_seq.to_bytes(2, "big")
        data[8:12] = (self.params.ssrc or 0).to_bytes(4, "big")
        data += view.data[view.payload_start + 2 : view.payload_end]
        return RtpView(bytes(data))

    def rebind(self, params: ProducerParams) -> None:
        """The publisher came back on a new connection: same track, new SSRCs and IDs.

        Its consumers keep their sequence offsets; each starts again from a keyframe (the
        rewriter sees a new source SSRC and continues the numbering)."""
        self.params = params
        # Its new connection may number the header extensions differently.
        self._audio_level_id = params.audio_level_id if params.kind == "audio" else 0
        self.stats = ReceptionStats(params.clock_rate)
        self._nacks = NackTracker() if self._is_video else None
        self.last_sr = None
        for consumer in self.consumers:
            consumer.resume()

    def sample_rates(self, elapsed: float) -> None:
        """Update `layer_rates` from the bytes received in the last `elapsed` seconds."""
        if elapsed <= 0:
            return
        octets = self.layer_octets
        total = 0.0
        rates = []
        for layer, before in enumerate(self._rate_octets):
            total += (octets[layer] - before) * 8 / elapsed
            rates.append(total)
        self._rate_octets = list(octets)
        old = self.layer_rates
        # Smoothed: a keyframe is several times a delta frame and lands in layer 0.
        self.layer_rates = tuple(
            new if not o else RATE_SMOOTHING * new + (1 - RATE_SMOOTHING) * o
            for new, o in zip(rates, old, strict=True)
        )
        if self._is_video:
            stream = max(self.layer_rates[-1], 1.0)
            spacing = self.keyframe_size * 8 / (KEYFRAME_SHARE * stream)
            self.keyframes.interval = min(max(PLI_INTERVAL, spacing), MAX_PLI_INTERVAL)

    def on_sender_report(
        self, ntp: int, rtp_timestamp: int, now: float, arrival_wall: float
    ) -> None:
        sent_wall = rtcp.ntp_to_unix(ntp)
        self.last_sr = SenderReport(ntp, rtp_timestamp, now, sent_wall)
        self.clock.observe(sent_wall, arrival_wall)

    # --- feedback to the publisher ---------------------------------------------------

    def request_keyframe(self, joining: bool = False) -> None:
        """`joining`: for a consumer that starts (or restarts) and shows nothing until then."""
        if self._is_video and not self.closed:
            self._counters.keyframe_requests += 1
            self.keyframes.request(joining)

    def _send_pli(self) -> None:
        if self.params.ssrc is None or self.closed:
            return
        self._counters.plis_sent += 1
        self._feedback(rtcp.pli(self._rtcp_ssrc, self.params.ssrc))

    def report_block(self) -> rtcp.RtcpReceiverInfo | None:
        """This producer's block of the publisher's receiver report."""
        if self.params.ssrc is None or not self.stats.started:
            return None
        lsr = dlsr = 0
        if self.last_sr is not None:
            lsr = (self.last_sr.ntp >> 16) & 0xFFFFFFFF
            dlsr = int((asyncio.get_running_loop().time() - self.last_sr.arrival) * 65536)
        return rtcp.RtcpReceiverInfo(
            ssrc=self.params.ssrc,
            fraction_lost=self.stats.fraction_lost(),
            packets_lost=min(self.stats.lost, 0x7FFFFF),
            highest_sequence=self.stats.extended_max_seq & 0xFFFFFFFF,
            jitter=self.stats.jitter,
            lsr=lsr,
            dlsr=dlsr & 0xFFFFFFFF,
        )

    # --- life ------------------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        if muted == self.muted:
            return
        self.muted = muted
        if not muted:
            for consumer in self.consumers:
                consumer.resume()
            self.request_keyframe(joining=True)

    def add_consumer(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)

    def remove_consumer(self, consumer: Consumer) -> None:
        if consumer in self.consumers:
            self.consumers.remove(consumer)

    def close(self) -> None:
        """Close this producer and every consumer of it. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.keyframes.close()
        for consumer in list(self.consumers):
            consumer.close()
        self.consumers.clear()
