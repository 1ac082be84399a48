"""One RTP stream of a published track: the track itself, or one simulcast layer of it.

A camera published with simulcast arrives as several encodings of the same picture (e.g.
320x180, 640x360 and 1280x720), each with its own SSRC, sequence numbers, timestamps, RTX
stream, sender reports and keyframes. Everything that belongs to one such stream lives here;
the `Producer` is the track (its id, source, mute, priority) and holds one `Encoding` per
layer, ordered from the smallest picture to the largest. A track without simulcast has one.

An encoding delivers its packets only to the consumers that take their video from it now,
or that switch to it at its next keyframe (`Consumer.spatial`, `Consumer.spatial_target`):
a subscriber of the small layer costs nothing per packet of the large one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rtcp, vp8
from .counters import Counters
from .keyframes import KeyframeRequester
from .layers import MAX_LAYER
from .payload import is_keyframe
from .reception import NackTracker, ReceptionStats
from .rtp import PACKET_OVERHEAD, RtpParseError, RtpView, abs_send_time, unwrap_rtx

if TYPE_CHECKING:
    from .consumer import Consumer
    from .producer import Producer

RECENT_MASK = 63
"""64 packets kept per video encoding for `replay_after` (more than a reordering spans)."""
RATE_SMOOTHING = 0.5
"""Weight of the newest second in an encoding's layer rates."""
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
LIVE_AFTER = 1.5
"""Seconds without a packet after which an encoding counts as stopped: a browser drops its
upper simulcast layers when its uplink or its CPU cannot carry them, and a subscriber left on
a stopped layer would see a frozen picture."""


@dataclass
class SenderReport:
    """A publisher's latest RTCP SR, and when it reached us (server monotonic time)."""

    ntp: int
    rtp_timestamp: int
    arrival: float
    sent_wall: float
    """The SR's NTP time in Unix seconds, on the publisher's own clock."""


class Encoding:
    """One incoming RTP stream: reception statistics, NACKs, keyframes, rates, consumers."""

    def __init__(
        self,
        producer: Producer,
        index: int,
        rid: str | None,
        ssrc: int | None,
        rtx_ssrc: int | None,
        send_pli: Callable[[int], None],
        counters: Counters,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.producer = producer
        self.index = index
        self.rid = rid
        self.ssrc = ssrc
        """From the offer's a=ssrc lines; learnt from the first packet when absent."""
        self.rtx_ssrc = rtx_ssrc
        self._send_pli_to = send_pli
        self._counters = counters
        params = producer.params
        self._is_video = params.kind == "video"
        self._vp8 = self._is_video and params.mime_type.lower() == "video/vp8"
        self.stats = ReceptionStats(params.clock_rate)
        self._nacks = NackTracker() if self._is_video else None
        self._recent: list[RtpView | None] | None = (
            [None] * (RECENT_MASK + 1) if self._is_video else None
        )
        """The last packets received, by sequence number (`replay_after`)."""
        self.layer_octets = [0] * (MAX_LAYER + 1)
        """Bytes received per temporal layer (all in 0 without layers), as they will cost on
        a subscriber's link: payload and `PACKET_OVERHEAD`."""
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
        self.size: tuple[int, int] | None = None
        """The picture's width and height, from its last VP8 keyframe."""
        self.last_arrival = float("-inf")
        self.consumers: tuple[Consumer, ...] = ()
        """Replaced, never changed in place: a consumer switching layers inside `on_rtp`
        must not disturb the loop that delivers the packet."""
        self.keyframes = KeyframeRequester(
            self._send_pli,
            loop,
            # Muted at the SFU, a producer forwards nothing: no keyframe is worth asking for.
            waiting=lambda: not producer.muted and any(c.waits_for(self) for c in self.consumers),
            starting=lambda: any(c.starting for c in self.consumers),
        )
        self.last_sr: SenderReport | None = None

    # --- media in (hot path) ---------------------------------------------------------

    def on_rtp(self, view: RtpView, now: float) -> None:
        producer = self.producer
        params = producer.params
        if view.payload_type == params.rtx_payload_type and params.rtx_payload_type is not None:
            if self.rtx_ssrc is None:
                self.rtx_ssrc = view.ssrc
                if self.rid is None:
                    params.rtx_ssrc = view.ssrc
            try:
                view = self._unwrap_rtx(view)
            except RtpParseError:
                return
        elif self.ssrc is None:
            self.ssrc = view.ssrc
            if self.rid is None:
                params.ssrc = view.ssrc
        counters = self._counters
        counters.packets_in += 1
        counters.bytes_in += len(view.data)
        self.last_arrival = now
        self.stats.add(view.seq, view.timestamp, now)
        if self._nacks is not None:
            lost = self._nacks.add(view.seq, now)
            if lost:
                counters.nacks_sent += len(lost)
                producer.send_feedback(rtcp.nack(producer.rtcp_ssrc, view.ssrc, lost))
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
        keyframe = False
        descriptor = None
        layer = 0
        if self._vp8:
            descriptor = vp8.parse(payload)
            if descriptor is not None:
                tid = descriptor.tid
                layer = 0 if tid is None else min(tid, MAX_LAYER)
                keyframe = descriptor.frame_start and not payload[descriptor.size] & 0x01
                if keyframe:
                    self.size = vp8.keyframe_size(payload, descriptor) or self.size
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
        self.layer_octets[layer] += len(payload) + PACKET_OVERHEAD
        producer.deliver(self, view, payload, keyframe, descriptor, now)

    def live(self, now: float) -> bool:
        """Packets arrived lately (see `LIVE_AFTER`)."""
        return now - self.last_arrival < LIVE_AFTER

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
            consumer.forward(self, view, payload, False, descriptor, None, send_time, now)

    def _unwrap_rtx(self, view: RtpView) -> RtpView:
        original_seq, _ = unwrap_rtx(view.payload)
        data = bytearray(view.data[: view.payload_start])
        data[0] &= ~0x20  # the padding was after the RTX payload; it is dropped below
        data[1] = (data[1] & 0x80) | self.producer.params.payload_type
        data[2:4] = original_seq.to_bytes(2, "big")
        data[8:12] = (self.ssrc or 0).to_bytes(4, "big")
        data += view.data[view.payload_start + 2 : view.payload_end]
        return RtpView(bytes(data))

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

    def on_sender_report(self, report: SenderReport) -> None:
        self.last_sr = report

    # --- feedback to the publisher ---------------------------------------------------

    def request_keyframe(self, joining: bool = False) -> None:
        """`joining`: for a consumer that starts (or restarts) and shows nothing until then."""
        if self._is_video and not self.producer.closed:
            self._counters.keyframe_requests += 1
            self.keyframes.request(joining)

    def _send_pli(self) -> None:
        if self.ssrc is not None and not self.producer.closed:
            self._send_pli_to(self.ssrc)

    def report_block(self) -> rtcp.RtcpReceiverInfo | None:
        """This encoding's block of the publisher's receiver report."""
        if self.ssrc is None or not self.stats.started:
            return None
        lsr = dlsr = 0
        if self.last_sr is not None:
            lsr = (self.last_sr.ntp >> 16) & 0xFFFFFFFF
            dlsr = int((asyncio.get_running_loop().time() - self.last_sr.arrival) * 65536)
        return rtcp.RtcpReceiverInfo(
            ssrc=self.ssrc,
            fraction_lost=self.stats.fraction_lost(),
            packets_lost=min(self.stats.lost, 0x7FFFFF),
            highest_sequence=self.stats.extended_max_seq & 0xFFFFFFFF,
            jitter=self.stats.jitter,
            lsr=lsr,
            dlsr=dlsr & 0xFFFFFFFF,
        )

    # --- who receives it -------------------------------------------------------------

    def attach(self, consumer: Consumer) -> None:
        if consumer not in self.consumers:
            self.consumers = (*self.consumers, consumer)

    def detach(self, consumer: Consumer) -> None:
        if consumer in self.consumers:
            self.consumers = tuple(c for c in self.consumers if c is not consumer)

    def close(self) -> None:
        self.keyframes.close()
