"""A consumer: one producer delivered to one sink, with its own SSRC, sequence and history."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rtcp
from .counters import Counters
from .downlink import HIGH_LOSS
from .history import PacketHistory
from .ids import ConsumerId, PeerId
from .layers import MAX_LAYER, PAUSED, LayerFilter
from .rewriter import SeqRewriter
from .rtp import (
    PACKET_OVERHEAD,
    HeaderTemplate,
    RtpView,
    abs_send_time,
    rtx_payload,
    seq_delta,
)
from .sink import AUDIO, RETRANSMISSION, VIDEO, RtpSink
from .vp8 import Vp8Descriptor

if TYPE_CHECKING:
    from .encoding import Encoding
    from .producer import Producer

RESEND_GAP = 0.1
"""Seconds before the same packet is retransmitted again: a receiver repeating its NACK list
(aiortc's does, on every new gap) must not multiply the traffic on a link already too narrow."""
RTX_BUDGET_SHARE = 0.5
"""Retransmissions allowed per packet forwarded, so repair never dwarfs the stream itself."""
RTX_BUDGET_MAX = 200.0
REPAIR_SHARE = 0.25
"""Share of a subscriber's downlink budget its retransmissions may take, all videos together:
a link that loses because it is full loses more with each one; random loss of a few % needs
a tenth. At the whole budget (libwebrtc's bound), a Chromium pupil behind 300 kbit/s, its
first second flooded, was still sent twice its budget for 3 s and its videos paused."""
REPAIR_BURST = 0.5
"""Seconds of `repair_rate` a consumer may retransmit at once, after a quiet spell..."""
REPAIR_BURST_OCTETS = 20 * 1200
"""... and at least this many bytes: the tail of a keyframe a full queue dropped, repaired at
once. At a quarter of a 300 kbit/s budget alone (4 packets), aiortc pupils behind 300 kbit/s
and 2 % loss waited for the rest and decoded 22.8 frames/s (min 4.8) instead of 27-29."""
PADDING_SIZE = 255
"""Bytes of padding in a padding-only packet: the most its one length byte can say."""
PADDING = bytes(PADDING_SIZE - 1) + bytes([PADDING_SIZE])
LOSS_WINDOW = 1.0
"""Seconds of receiver reports one loss measurement spans (see `downlink_loss`)."""
LOSS_MIN_PACKETS = 30
"""Packets one loss measurement needs at least: fewer make 1 loss look like several %."""
HEAVY_LOSSES = 5
"""Packets lost (and more than `HIGH_LOSS`) that end a loss window early (`downlink_loss`)."""
MAX_OPEN_HOLES = 512
"""Holes remembered one by one; a longer upstream gap is counted at once."""


@dataclass
class ConsumerParams:
    """How the subscriber's connection negotiated this stream."""

    ssrc: int
    payload_type: int
    mid: str | None = None
    rtx_ssrc: int | None = None
    rtx_payload_type: int | None = None
    mid_id: int = 0
    audio_level_id: int = 0
    abs_send_time_id: int = 0
    playout_delay_id: int = 0
    transport_seq_id: int = 0


class Consumer:
    def __init__(
        self,
        consumer_id: ConsumerId,
        peer_id: PeerId,
        producer: Producer,
        sink: RtpSink,
        counters: Counters,
        on_close: Callable[[Consumer], None] | None = None,
    ) -> None:
        self.id = consumer_id
        self.peer_id = peer_id
        self.producer = producer
        self.kind = producer.kind
        self._sink = sink
        self._counters = counters
        self._on_close = on_close
        self._is_video = producer.kind == "video"
        self.rewriter = SeqRewriter(producer.params.clock_rate)
        self.history = PacketHistory() if self._is_video else None
        self.params: ConsumerParams | None = None
        self._template: HeaderTemplate | None = None
        self._rtx_template: HeaderTemplate | None = None
        self._rtx_seq = 0
        self._rtx_budget = RTX_BUDGET_MAX
        self._budget_counted = 0
        self.repair_rate: float | None = None
        """Bits/s this consumer may retransmit (None: no bound but `RTX_BUDGET_SHARE`), its
        share of `REPAIR_SHARE` of the subscriber's downlink budget. Measured without it: a
        Chromium pupil behind 300 kbit/s, its first second flooded by 960x540, was then
        sent 1.4 Mbit/s of that picture's retransmissions for two seconds, a budget of 230
        kbit/s known."""
        self._repair_octets = 0.0
        self._repair_at = float("-inf")
        self._waiting_keyframe = self._is_video
        self.playout_delay: tuple[int, int] | None = None
        """(min, max) ms the subscriber is asked to buffer (video), see `Downlink`."""
        self._layers: LayerFilter | None = None
        """Made the first time the allocator asks for less than everything (at once for a
        simulcast VP8 track: its PictureIDs must run on across a switch of layers)."""
        self.spatial = len(producer.encodings) - 1
        """The encoding (simulcast layer) forwarded now; the largest until told otherwise."""
        self.spatial_target = self.spatial
        """The encoding to switch to at its next keyframe (`spatial` when not switching)."""
        self.spatial_switches = 0
        self._new_source = False
        """The next packet forwarded comes from another RTP stream than the last (see
        `forward`); a switch at a keyframe (`_switch`) restarts the filter itself."""
        if producer.simulcast and producer.params.mime_type.lower() == "video/vp8":
            self._layers = LayerFilter()
        self.paused = False
        self.closed = False
        self.packets_sent = 0
        self.padding_sent = 0
        """Padding-only packets sent for downlink probes (`send_padding`)."""
        self.octets_sent = 0
        """Payload bytes sent (the sender report's count)."""
        self.wire_octets = 0
        """Bytes sent as they cost on the link (retransmissions and overhead too)."""
        self.frames_sent = 0
        """Video frames forwarded whole (their last packet sent): what the subscriber can
        decode at most, after the layers its downlink was given."""
        self.retransmitted = 0
        self.retransmissions_skipped = 0
        self._open_holes: deque[int] = deque()
        """Our sequence numbers (in order) that the publisher never got to us and that no
        receiver report has covered yet: upstream loss, which the subscriber's reports count
        but its downlink is not to blame for."""
        self._counted_holes = 0
        """Holes a receiver report already covered and that are still unfilled."""
        self._last_out = -1
        self._reported: tuple[int, int, float] | None = None
        """(highest sequence, loss on our leg, time) where the current loss window began."""
        producer.add_consumer(self)
        producer.encodings[self.spatial].attach(self)

    @property
    def sink(self) -> RtpSink:
        return self._sink

    def move_to(self, sink: RtpSink) -> None:
        """Deliver through a new connection (the participant came back after a drop).

        Nothing is sent until the new m-line's answer configures it again; then the sequence
        and timestamp run on from where they stopped, after a keyframe."""
        self._sink = sink
        self.params = None
        self._reported = None  # a new connection's receiver counts from zero
        self._open_holes.clear()
        self._counted_holes = 0
        self._last_out = -1
        self._template = None
        self._rtx_template = None
        if self.history is not None:
            self.history.clear()

    def configure(self, params: ConsumerParams) -> None:
        """Negotiation finished (or changed): adopt the subscriber's SSRC, PT and extensions."""
        first = self.params is None
        self.params = params
        self._build_template()
        if params.rtx_ssrc is not None and params.rtx_payload_type is not None:
            abs_id = params.abs_send_time_id if self._is_video else 0
            self._rtx_template = HeaderTemplate(
                params.rtx_ssrc,
                params.mid,
                params.mid_id,
                0,
                abs_id,
                transport_seq_id=params.transport_seq_id,
            )
        else:
            self._rtx_template = None
        if first:
            self.resume()

    def set_playout_delay(self, delay: tuple[int, int] | None) -> None:
        if delay != self.playout_delay:
            self.playout_delay = delay
            if self.params is not None:
                self._build_template()

    def _build_template(self) -> None:
        params = self.params
        assert params is not None
        video = self._is_video
        self._template = HeaderTemplate(
            params.ssrc,
            params.mid,
            params.mid_id,
            0 if video else params.audio_level_id,
            params.abs_send_time_id if video else 0,
            params.playout_delay_id if video else 0,
            self.playout_delay,
            params.transport_seq_id,
        )

    # --- hot path --------------------------------------------------------------------

    def forward(
        self,
        encoding: Encoding,
        view: RtpView,
        payload: memoryview,
        keyframe: bool,
        descriptor: Vp8Descriptor | None,
        level: bytes | None,
        send_time: int,
        now: float,
    ) -> None:
        """Send one producer packet; `payload`, `descriptor` (VP8), `level` and `send_time`
        (abs-send-time, video only) are computed once per packet by the producer for all its
        consumers."""
        template = self._template
        if template is None or self.paused:
            return
        replay = False
        if encoding.index != self.spatial:
            # Another layer of a simulcast track: taken from its first keyframe on.
            if not keyframe or encoding.index != self.spatial_target:
                return
            self._switch(encoding, descriptor)
            replay = True
        if self._waiting_keyframe:
            if not keyframe:
                return
            self._waiting_keyframe = False
            replay = True
        params = self.params
        assert params is not None
        in_seq = view.seq
        prefix = None
        layers = self._layers
        if layers is not None:
            if self._new_source:
                # Another stream than the filter last saw (a layer taken while paused or
                # before anything was shown, or the publisher reconnected): its numbering
                # starts afresh at a keyframe, after what the subscriber already has.
                if not keyframe:
                    return
                self._new_source = False
                layers.restart(descriptor)
            admitted = layers.admit(in_seq, payload, descriptor, keyframe)
            if admitted is None:
                return
            in_seq, prefix = admitted
        seq, ts = self.rewriter.rewrite(view.ssrc, in_seq, view.timestamp, now)
        if self._last_out >= 0:
            ahead = (seq - self._last_out) & 0xFFFF
            if ahead == 1:
                self._last_out = seq
            elif ahead < 0x8000:
                self._skipped(ahead - 1)
                self._last_out = seq
            else:
                self._filled(seq)
        else:
            self._last_out = seq
        header = template.header(
            view.marker, params.payload_type, seq, ts, params.ssrc, level, send_time
        )
        if self.history is not None:
            self.history.put(seq, ts, view.marker, view, now, prefix)
        self.packets_sent += 1
        self.octets_sent += len(payload)
        self.wire_octets += len(payload) + PACKET_OVERHEAD
        if view.marker:
            self.frames_sent += 1  # a video frame's last packet (audio marks talkspurts only)
        counters = self._counters
        counters.packets_out += 1
        counters.bytes_out += len(header) + len(payload)
        kind = VIDEO if self._is_video else AUDIO
        if prefix is None:
            self._sink.send_rtp(header, payload, kind)
        else:
            self._sink.send_rtp(header + prefix, payload[len(prefix) :], kind)
        if replay:  # packets after the keyframe's first may have come before it
            encoding.replay_after(self, view.seq, now)

    # --- feedback from the subscriber ------------------------------------------------

    @property
    def holes(self) -> int:
        """Sequence numbers we skipped because the publisher's packets never came."""
        return len(self._open_holes) + self._counted_holes

    def _skipped(self, count: int) -> None:
        first = self._last_out + 1
        self._open_holes.extend((first + i) & 0xFFFF for i in range(min(count, MAX_OPEN_HOLES)))
        self._counted_holes += max(0, count - MAX_OPEN_HOLES)  # a burst that long: counted

    def _filled(self, seq: int) -> None:
        """A late packet (the publisher's retransmission) filled a hole; the receiver, which
        counted it lost if a report covered it, counts it received now."""
        try:
            self._open_holes.remove(seq)
        except ValueError:
            if self._counted_holes > 0:
                self._counted_holes -= 1

    def downlink_loss(self, packets_lost: int, highest_sequence: int, now: float) -> float | None:
        """The fraction of what we sent that the subscriber did not get, over the last
        `LOSS_WINDOW` seconds (and at least `LOSS_MIN_PACKETS`); None until such a window is
        complete. From the receiver's cumulative counters, less the holes upstream loss left
        up to the report's highest sequence number.

        Chrome sends a receiver report with every NACK, several a second: one report's
        interval holds a handful of packets, where one loss reads as 20 %. Heavy loss
        (`HEAVY_LOSSES` packets, more than `HIGH_LOSS`) ends a window early: a link far too
        narrow for what we send must be answered within a fraction of a second."""
        holes = self._open_holes
        highest = highest_sequence & 0xFFFF
        while holes and seq_delta(holes[0], highest) <= 0:
            holes.popleft()
            self._counted_holes += 1
        ours = packets_lost - self._counted_holes
        start = self._reported
        if start is None:
            self._reported = (highest_sequence, ours, now)
            return None
        expected = highest_sequence - start[0]
        if expected <= 0:
            return None
        lost = ours - start[1]
        heavy = lost >= HEAVY_LOSSES and lost > HIGH_LOSS * expected
        if not heavy and (now - start[2] < LOSS_WINDOW or expected < LOSS_MIN_PACKETS):
            return None
        self._reported = (highest_sequence, ours, now)
        return min(1.0, max(0.0, lost / expected))

    def on_nack(self, lost: list[int]) -> None:
        self._counters.nacks_received += len(lost)
        if self.history is None or self._template is None or self.params is None:
            return
        now = asyncio.get_running_loop().time()
        self._rtx_budget = min(
            RTX_BUDGET_MAX,
            self._rtx_budget + (self.packets_sent - self._budget_counted) * RTX_BUDGET_SHARE,
        )
        self._budget_counted = self.packets_sent
        for seq in lost:
            entry = self.history.get(seq, now)
            if entry is None or now - entry.resent_at < RESEND_GAP:
                continue
            payload = entry.payload()
            if self._rtx_budget < 1 or not self._may_repair(len(payload), now):
                self.retransmissions_skipped += 1
                continue
            self._rtx_budget -= 1
            self.history.mark_resent(seq, now)
            if self._rtx_template is not None and self.params.rtx_payload_type is not None:
                self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
                header = self._rtx_template.header(
                    entry.marker,
                    self.params.rtx_payload_type,
                    self._rtx_seq,
                    entry.timestamp,
                    self.params.rtx_ssrc or 0,
                    None,
                    abs_send_time(now),
                )
                body: bytes | memoryview = rtx_payload(entry.seq, payload)
            else:
                header = self._template.header(
                    entry.marker,
                    self.params.payload_type,
                    entry.seq,
                    entry.timestamp,
                    self.params.ssrc,
                    None,
                    abs_send_time(now),
                )
                body = payload
            self.retransmitted += 1
            self.wire_octets += len(body) + PACKET_OVERHEAD
            self._counters.retransmissions += 1
            self._counters.packets_out += 1
            self._counters.bytes_out += len(header) + len(body)
            self._sink.send_rtp(header, body, RETRANSMISSION)

    def _may_repair(self, size: int, now: float) -> bool:
        """Whether `repair_rate` leaves room to retransmit `size` payload bytes now (spent)."""
        if self.repair_rate is None:
            return True
        rate = self.repair_rate / 8
        elapsed = max(0.0, now - self._repair_at)
        self._repair_at = now
        burst = max(rate * REPAIR_BURST, REPAIR_BURST_OCTETS)
        self._repair_octets = min(burst, self._repair_octets + elapsed * rate)
        cost = size + PACKET_OVERHEAD
        if self._repair_octets < cost:
            return False
        self._repair_octets -= cost
        return True

    def send_padding(self, octets: float) -> int:
        """Send at most `octets` bytes (wire overhead counted) of padding-only RTX packets,
        for a downlink probe (sfu/probe.py); the bytes that went. A receiver counts them in
        its estimate and drops them (RFC 4588: an RTX packet without an original sequence
        number). Nothing without RTX: padding in the media stream would take sequence
        numbers the subscriber would then wait for."""
        template, params = self._rtx_template, self.params
        if template is None or params is None or params.rtx_payload_type is None:
            return 0
        count = int(octets // (PADDING_SIZE + PACKET_OVERHEAD))
        if count <= 0:
            return 0
        stamp = abs_send_time(asyncio.get_running_loop().time())
        timestamp, ssrc = self.rewriter.last_ts, params.rtx_ssrc or 0
        for _ in range(count):
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
            header = template.header(
                0, params.rtx_payload_type, self._rtx_seq, timestamp, ssrc, None, stamp
            )
            header[0] |= 0x20  # the padding bit: the last byte says how many bytes are padding
            self._sink.send_rtp(header, PADDING, VIDEO)
        self.padding_sent += count
        self._counters.padding_packets += count
        self._counters.packets_out += count
        self._counters.bytes_out += count * (len(header) + PADDING_SIZE)
        return count * (PADDING_SIZE + PACKET_OVERHEAD)

    def on_keyframe_request(self) -> None:
        """The subscriber's PLI or FIR."""
        self._counters.plis_received += 1
        if self.layer == PAUSED or self.waiting_keyframe:
            # Paused, it gets a keyframe when it resumes; waiting, one is already asked
            # for (and asked again while it waits: `KeyframeRequester.retry`).
            return
        self.producer.encodings[self.spatial].request_keyframe()

    def sender_report(self, now: float, ntp: int) -> bytes | None:
        """An SR in this consumer's timeline, derived from the publisher's latest SR.

        The publisher's (NTP, RTP) pair is mapped onto our clock with the offset its clock
        has from ours (`PublisherClock`, one per publisher), then extrapolated to `ntp`, the
        time of this report. All consumers of one publisher's tracks therefore agree on
        which RTP time of each track is "now": what a browser needs for lip sync.
        """
        sr = self.producer.encodings[self.spatial].last_sr
        if sr is None or self.params is None or self.packets_sent == 0:
            return None
        elapsed = rtcp.ntp_to_unix(ntp) - self.producer.clock.to_server(sr.sent_wall)
        ticks = int(elapsed * self.producer.params.clock_rate)
        rtp_ts = (sr.rtp_timestamp + self.rewriter.ts_offset + ticks) & 0xFFFFFFFF
        return rtcp.sender_report(
            self.params.ssrc, ntp, rtp_ts, self.packets_sent, self.octets_sent
        )

    # --- life ------------------------------------------------------------------------

    @property
    def waiting_keyframe(self) -> bool:
        """Delivering, but nothing yet: the subscriber sees black until a keyframe comes."""
        waiting = self._waiting_keyframe or (
            self._layers is not None and self._layers.waiting_keyframe
        )
        return waiting and not self.paused and not self.closed

    @property
    def layer(self) -> int:
        """The highest temporal layer asked for; PAUSED (-1) when the link fits no video."""
        return MAX_LAYER if self._layers is None else self._layers.target

    @property
    def forwarded_layer(self) -> int:
        """The layer actually forwarded now (it follows `layer` at the next safe frame)."""
        return MAX_LAYER if self._layers is None else self._layers.current

    def set_layer(self, layer: int) -> None:
        """Forward temporal layers up to `layer` (the allocator's choice), or pause video."""
        layers = self._layers
        if layers is None:
            if layer == MAX_LAYER:
                return
            layers = self._layers = LayerFilter()
        resuming = layers.target == PAUSED and layer != PAUSED
        layers.target = layer
        if resuming and self._is_video:
            self.producer.encodings[self.spatial_target].request_keyframe(joining=True)

    # --- simulcast layers ------------------------------------------------------------

    def set_spatial(self, index: int) -> None:
        """Forward the encoding `index` (a simulcast layer), from its next keyframe on."""
        encodings = self.producer.encodings
        index = max(0, min(index, len(encodings) - 1))
        if index == self.spatial_target:
            return
        if self.spatial_target != self.spatial:
            encodings[self.spatial_target].detach(self)  # a switch not finished: called off
        self.spatial_target = index
        if index == self.spatial:
            return
        idle = self._waiting_keyframe or (
            self._layers is not None and self._layers.current == PAUSED
        )
        if idle:
            # Nothing shown now: this layer's keyframe is awaited as the current one's was.
            encodings[self.spatial].detach(self)
            self.spatial = index
            self._new_source = True
        encodings[index].attach(self)
        if not self.paused and self.params is not None:
            encodings[index].request_keyframe(joining=True)

    def waits_for(self, encoding: Encoding) -> bool:
        """This consumer shows nothing new until `encoding`'s next keyframe: it starts, or
        resumes, or switches to it."""
        if encoding.index != self.spatial_target:
            return False
        return self.waiting_keyframe or (
            self.spatial != self.spatial_target and not self.paused and not self.closed
        )

    def _switch(self, encoding: Encoding, descriptor: Vp8Descriptor | None) -> None:
        """Take `encoding` from this keyframe on: sequence numbers, timestamps, PictureIDs
        and TL0PICIDX run on from what the subscriber already has."""
        old = self.producer.encodings[self.spatial]
        old.detach(self)
        self.spatial = encoding.index
        self.spatial_switches += 1
        self._counters.spatial_switches += 1
        self.rewriter.switch(self._ts_offset(old, encoding))
        if self._layers is not None:
            self._layers.restart(descriptor)

    def _ts_offset(self, old: Encoding, new: Encoding) -> int | None:
        """The timestamp offset that maps `new`'s RTP clock onto the one forwarded so far,
        from both encodings' sender reports (layers of one camera share capture times, not
        RTP timestamps); None until both have sent one."""
        a, b = old.last_sr, new.last_sr
        if a is None or b is None:
            return None
        rate = self.producer.params.clock_rate
        seconds = rtcp.ntp_to_unix(b.ntp) - rtcp.ntp_to_unix(a.ntp)
        # new_ts - old_ts for one capture instant, then onto our stream
        delta = (b.rtp_timestamp - a.rtp_timestamp) - round(seconds * rate)
        return (self.rewriter.ts_offset - delta) & 0xFFFFFFFF

    def rebind(self) -> None:
        """The producer made new encodings (its publisher reconnected): take the same layer
        of the new ones, from a keyframe."""
        encodings = self.producer.encodings
        self.spatial = self.spatial_target = min(self.spatial_target, len(encodings) - 1)
        encodings[self.spatial].attach(self)
        self._new_source = True
        self.resume()

    @property
    def starting(self) -> bool:
        """Subscribed, but the subscriber's answer has not configured it yet."""
        return self.params is None and not self.closed

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        """Start or restart delivery: new sequence run, and a keyframe for video."""
        self.paused = False
        self.rewriter.rebase()
        if self.spatial != self.spatial_target:  # nothing shown until a keyframe anyway
            self.producer.encodings[self.spatial].detach(self)
            self.spatial = self.spatial_target
            self._new_source = True
        if self._is_video:
            self._waiting_keyframe = True
            self.producer.encodings[self.spatial_target].request_keyframe(joining=True)

    def close(self) -> None:
        """Stop delivering. Idempotent; tells the owner once."""
        if self.closed:
            return
        self.closed = True
        self.producer.remove_consumer(self)
        if self._on_close is not None:
            self._on_close(self)
