"""A producer: one incoming track of a publisher (one or more encodings), fanned out to its
consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rtcp, vp8
from .counters import Counters
from .encoding import Encoding, SenderReport
from .ids import PeerId, TrackId
from .keyframes import KeyframeRequester
from .reception import ReceptionStats
from .rtp import RtpView, abs_send_time
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
    rids: list[str] | None = None
    """Simulcast: the RIDs of its encodings, smallest picture first (None: one encoding)."""
    rid_id: int = 0
    """Header extension IDs of the RTP stream ID and the repaired one (RTX), for simulcast."""
    repaired_rid_id: int = 0


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


UNWATCHED_AFTER = 5.0
"""Seconds a simulcast layer goes unwatched before its publisher is told it may stop it."""
OPUS_TOC_STEREO = 0x04
"""The `s` bit of an Opus packet's first byte: the frame is coded in stereo (RFC 6716 3.1)."""


class Producer:
    """A published track: one `Encoding` per simulcast layer (one without simulcast)."""

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
        self.rtcp_ssrc = rtcp_ssrc
        self._counters = counters
        self._loop = loop
        self._is_video = params.kind == "video"
        self._opus = params.mime_type.lower() == "audio/opus"
        self._audio_level_id = params.audio_level_id if params.kind == "audio" else 0
        self.voice = VoiceMeter() if params.kind == "audio" else None
        """How loud it was since the room's last active-speaker interval (sfu/speaker.py)."""
        self.consumers: list[Consumer] = []
        """Every consumer of the track, whichever encoding it takes its packets from."""
        self.encodings: list[Encoding] = []
        self._by_ssrc: dict[int, Encoding] = {}
        self._make_encodings()
        self.clock = clock or PublisherClock()
        self.muted = False
        self.priority = 0
        """Its publisher's rank for weak downlinks (a teacher's 1; see sfu/allocation.py)."""
        self.watched: int | None = None
        """The largest encoding someone watches, as last told to the publisher (`watch`)."""
        self._unwatched_since: float | None = None
        self.closed = False

    def _make_encodings(self) -> None:
        params = self.params
        if params.rids:
            self.encodings = [
                Encoding(self, i, rid, None, None, self._send_pli, self._counters, self._loop)
                for i, rid in enumerate(params.rids)
            ]
        else:
            self.encodings = [
                Encoding(
                    self,
                    0,
                    None,
                    params.ssrc,
                    params.rtx_ssrc,
                    self._send_pli,
                    self._counters,
                    self._loop,
                )
            ]
        self._by_ssrc = {
            ssrc: e for e in self.encodings for ssrc in (e.ssrc, e.rtx_ssrc) if ssrc is not None
        }

    @property
    def simulcast(self) -> bool:
        return len(self.encodings) > 1

    @property
    def top(self) -> Encoding:
        """The largest picture (the only encoding without simulcast)."""
        return self.encodings[-1]

    # The one-stream view of a track, for audio, for tracks without simulcast, and for what
    # reports one number per track: its largest encoding.
    @property
    def stats(self) -> ReceptionStats:
        return self.top.stats

    @property
    def keyframes(self) -> KeyframeRequester:
        return self.top.keyframes

    @property
    def layer_octets(self) -> list[int]:
        return self.top.layer_octets

    @property
    def layer_rates(self) -> tuple[float, ...]:
        return self.top.layer_rates

    @property
    def keyframe_octets(self) -> int:
        return self.top.keyframe_octets

    @property
    def keyframe_size(self) -> int:
        return self.top.keyframe_size

    def learn_ssrc(self, ssrc: int, rid: str | None, rtx: bool) -> Encoding | None:
        """A packet with an SSRC the offer did not name: the encoding its RID (or, for an
        RTX packet, its repaired RID) names, or the only one."""
        if rid is None:
            encoding = self.encodings[0] if not self.simulcast else None
        else:
            encoding = next((e for e in self.encodings if e.rid == rid), None)
        if encoding is None:
            return None
        if rtx:
            encoding.rtx_ssrc = ssrc
        else:
            encoding.ssrc = ssrc
        if not self.simulcast:  # the one-stream view others read (a tap, a rebind)
            if rtx:
                self.params.rtx_ssrc = ssrc
            else:
                self.params.ssrc = ssrc
        self._by_ssrc[ssrc] = encoding
        return encoding

    # --- media in (hot path) ---------------------------------------------------------

    def on_rtp(self, view: RtpView, now: float) -> None:
        """A packet of one of its encodings (the only one when the SSRC is not known yet)."""
        encoding = self._by_ssrc.get(view.ssrc)
        if encoding is None:
            if self.simulcast:
                return
            encoding = self.encodings[0]
        encoding.on_rtp(view, now)

    def deliver(
        self,
        encoding: Encoding,
        view: RtpView,
        payload: memoryview,
        keyframe: bool,
        descriptor: vp8.Vp8Descriptor | None,
        now: float,
    ) -> None:
        """Forward one packet of `encoding` to the consumers that take it."""
        if self._opus:
            self._counters.opus_packets += 1
            if payload[0] & OPUS_TOC_STEREO:
                self._counters.opus_stereo_packets += 1
        if self.muted:
            return
        level = view.extension(self._audio_level_id) if self._audio_level_id else None
        if level and self.voice is not None:
            self.voice.add(level[0])  # muted (returned above): never heard as a speaker
        send_time = abs_send_time(now) if self._is_video else 0
        for consumer in encoding.consumers:
            consumer.forward(encoding, view, payload, keyframe, descriptor, level, send_time, now)

    @property
    def stereo(self) -> bool:
        """Its publisher was asked for stereo Opus (music mode): subscribers are offered it."""
        return self._opus and str((self.params.codec_parameters or {}).get("stereo")) == "1"

    def watch(self, top: int, now: float) -> int | None:
        """The largest encoding watched now is `top`: the new one to tell the publisher, or
        None when nothing changes. More is told at once; less after `UNWATCHED_AFTER`
        seconds of it."""
        current = self.watched
        if current is None or top > current:
            self._unwatched_since = None
            self.watched = top
            return top
        if top == current:
            self._unwatched_since = None
            return None
        if self._unwatched_since is None:
            self._unwatched_since = now
        if now - self._unwatched_since < UNWATCHED_AFTER:
            return None
        self._unwatched_since = None
        self.watched = top
        return top

    def live_encodings(self, now: float) -> list[Encoding]:
        """The encodings that arrive now, smallest first (all of them before any arrived)."""
        live = [e for e in self.encodings if e.live(now)]
        return live or self.encodings[:1]

    def rebind(self, params: ProducerParams) -> None:
        """The publisher came back on a new connection: same track, new SSRCs and IDs.

        Its consumers keep their sequence offsets; each starts again from a keyframe (the
        rewriter sees a new source SSRC and continues the numbering)."""
        self.params = params
        # Its new connection may number the header extensions differently.
        self._audio_level_id = params.audio_level_id if params.kind == "audio" else 0
        for encoding in self.encodings:
            encoding.close()
        self._make_encodings()
        self.watched = None  # its new connection sends every layer until told again
        for consumer in self.consumers:
            consumer.rebind()

    def sample_rates(self, elapsed: float) -> None:
        """Update every encoding's `layer_rates` from the last `elapsed` seconds."""
        for encoding in self.encodings:
            encoding.sample_rates(elapsed)

    def on_sender_report(
        self, ntp: int, rtp_timestamp: int, now: float, arrival_wall: float, ssrc: int | None = None
    ) -> None:
        encoding = self.top if ssrc is None else self._by_ssrc.get(ssrc)
        if encoding is None and not self.simulcast:
            encoding = self.top
        if encoding is None or (ssrc is not None and ssrc != encoding.ssrc):
            return
        sent_wall = rtcp.ntp_to_unix(ntp)
        encoding.on_sender_report(SenderReport(ntp, rtp_timestamp, now, sent_wall))
        self.clock.observe(sent_wall, arrival_wall)

    # --- feedback to the publisher ---------------------------------------------------

    def send_feedback(self, data: bytes) -> None:
        self._feedback(data)

    def request_keyframe(self, joining: bool = False) -> None:
        """A keyframe of every encoding someone takes or waits for (`joining`: for a consumer
        that starts, or restarts, and shows nothing until then)."""
        if not self._is_video or self.closed:
            return
        wanted = {c.spatial_target for c in self.consumers}
        for encoding in self.encodings:
            if encoding.index in wanted or not self.simulcast:
                encoding.request_keyframe(joining)

    def _send_pli(self, ssrc: int) -> None:
        if self.closed:
            return
        self._counters.plis_sent += 1
        self._feedback(rtcp.pli(self.rtcp_ssrc, ssrc))

    def report_blocks(self) -> list[rtcp.RtcpReceiverInfo]:
        """Its encodings' blocks of the publisher's receiver report."""
        return [b for e in self.encodings if (b := e.report_block()) is not None]

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
        for encoding in self.encodings:
            encoding.detach(consumer)

    def close(self) -> None:
        """Close this producer and every consumer of it. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for encoding in self.encodings:
            encoding.close()
        for consumer in list(self.consumers):
            consumer.close()
        self.consumers.clear()
