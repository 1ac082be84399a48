"""The receiving side of a bot: answers the server's subscribe offers and counts what arrives.

Receive modes (``feedback``), cheapest first:
- ``"none"`` (or ``False``): packets are unprotected in the socket callback and counted from
  their headers; aiortc never sees them and no NACK, REMB or receiver report goes back;
- ``"cheap"``: counted the same way, and the bench itself sends what a browser's receiver
  would from those counters (`bench.feedback`): a receiver report per stream every ~1 s and
  generic NACKs for gaps. The bench scenarios use it for every target;
- ``"aiortc"`` (or ``True``, the default here): counted, then aiortc's receiver runs its jitter
  buffer and sends NACKs, REMB and RRs, but nothing is decoded (~4× the bot CPU per packet);
- ``decode=True``: as ``"aiortc"``, and the frames are decoded and read from the tracks.

In every mode a subscriber whose video has not shown a complete keyframe
``keyframe_timeout`` seconds after its first packet sends a PLI (again every
``keyframe_timeout``), as a browser's decoder would ask: aiortc's receiver would not, and
packets lost before the first one that arrives are never NACKed. All feedback the bench
sends itself carries the m-line's own SSRC (announced in the answer) as sender SSRC.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_PLI, RtcpPsfbPacket, pack_remb_fci

from .candidates import point_candidates_at, udp_candidates
from .client_glue import (
    gather_only,
    observe_rtp,
    send_rtcp,
    sender_ssrc,
    skip_decoding,
    take_media_at_socket,
)
from .feedback import ReceiverFeedback
from .relay import UdpRelay
from .rtcp_bytes import sender_report_clocks, sender_reports
from .rtp_stats import RtpCounter
from .session_layout import AUDIO_LEVEL_URI, extension_id, media_lines, mid_extension_id

logger = logging.getLogger(__name__)

Feedback = Literal["none", "cheap", "aiortc"]
FEEDBACK_MODES: tuple[Feedback, ...] = ("none", "cheap", "aiortc")


def feedback_mode(feedback: Feedback | bool) -> Feedback:
    """``True`` / ``False`` as the receive modes they always meant (``"aiortc"`` / ``"none"``)."""
    if feedback is True:
        return "aiortc"
    if feedback is False:
        return "none"
    if feedback not in FEEDBACK_MODES:
        raise ValueError(f"unknown feedback mode {feedback!r}; choose from {FEEDBACK_MODES}")
    return feedback


@dataclass
class DecodedTrackStats:
    """What a decoding subscriber got out of one track."""

    mid: str
    kind: str
    frames: int = 0
    width: int | None = None
    height: int | None = None
    first_frame_at: float | None = None
    last_frame_at: float | None = None


class Subscription:
    """Owns the subscribe peer connection (the server offers, this side answers)."""

    def __init__(
        self,
        *,
        decode: bool = False,
        feedback: Feedback | bool = "aiortc",
        relay: UdpRelay | None = None,
        keyframe_timeout: float | None = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.decode = decode
        self.feedback: Feedback = "aiortc" if decode else feedback_mode(feedback)
        """The receive mode (decoding needs aiortc's receiver)."""
        self.relay = relay
        self.keyframe_timeout = keyframe_timeout
        self.counter = RtpCounter(clock)
        self.generated: ReceiverFeedback | None = None
        """The bench's own RRs and NACKs (``"cheap"`` mode)."""
        if self.feedback == "cheap":
            self.generated = ReceiverFeedback(
                self.counter, self._send_feedback, self._sender_ssrc, clock=clock
            )
            self.counter.on_gap = self.generated.on_gap
        self.tracks: dict[str, dict[str, Any]] = {}
        """The latest offer's ``tracks`` by mid (m-lines carrying media now)."""
        self.offers = 0
        self.decoded: dict[str, DecodedTrackStats] = {}
        self._clock = clock
        self._pc: RTCPeerConnection | None = None
        self._prepared: set[RTCRtpTransceiver] = set()
        self._readers: set[asyncio.Task[None]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pc(self) -> RTCPeerConnection | None:
        return self._pc

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState if self._pc is not None else "new"

    async def answer(self, offer_sdp: str, tracks: list[dict[str, Any]]) -> str:
        """Apply a ``subscribe_offer`` and return the answer SDP to send back."""
        if self._closed:
            raise RuntimeError("the subscription is closed")
        pc = self._pc
        if pc is None:
            # max-bundle: with aiortc's default ("balanced") a second video m-line created in
            # the same negotiation as the first is tied to the first's transport before
            # bundling replaces it, and stays on that dead transport: no feedback for it ever
            # leaves. Browsers put every m-line of the server's BUNDLE group on one transport.
            pc = self._pc = RTCPeerConnection(
                RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
            )
            pc.on("track", self._on_track)
            if self.keyframe_timeout is not None:
                self._watchdog = asyncio.create_task(self._watch_keyframes(self.keyframe_timeout))
            if self.generated is not None:
                self.generated.start()
        if self.relay is not None:
            offer_sdp = await self._route_remote(offer_sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self.counter.configure(
            media_lines(offer_sdp),
            mid_extension_id(offer_sdp),
            extension_id(offer_sdp, AUDIO_LEVEL_URI),
        )
        self.tracks = {str(t["mid"]): t for t in tracks}
        self.offers += 1
        for transceiver in pc.getTransceivers():
            if transceiver not in self._prepared:
                self._prepared.add(transceiver)
                if not self.decode:
                    skip_decoding(transceiver.receiver)
        gather_only(pc)
        if self.feedback == "aiortc":
            observe_rtp(pc, self._on_rtp, pass_on=True)
        await pc.setLocalDescription(await pc.createAnswer())
        if self.feedback != "aiortc":
            # Gathering (in setLocalDescription) made the sockets; no media flows before the
            # server has the answer.
            take_media_at_socket(pc, self.counter.add, self._on_rtcp_data)
        answer = pc.localDescription.sdp
        if self.relay is not None:
            answer = point_candidates_at(answer, self.relay.upstream_address)
        return answer

    async def request_keyframe(self, mid: str) -> bool:
        """Send a PLI for the video received on ``mid``; False if nothing arrived there yet."""
        pc = self._pc
        streams = self.counter.by_mid().get(mid, [])
        transceiver = next((t for t in pc.getTransceivers() if t.mid == mid), None) if pc else None
        if transceiver is None or not streams:
            return False
        now = self._clock()
        own = sender_ssrc(transceiver.sender)
        for stream in streams:
            # The m-line's own SSRC, as browsers do: Janus finds the m-line a PLI is for by its
            # sender SSRC first, and sends one it cannot place to the first video m-line's
            # publisher (its media SSRC fallback does not read PLIs).
            await send_rtcp(
                transceiver, RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=own, media_ssrc=stream.ssrc)
            )
            stream.pli_sent += 1
            stream.last_pli_at = now
        return True

    async def send_remb(self, bitrate: int) -> bool:
        """Tell the server what this subscriber's downlink takes (a REMB, as a browser's
        receive-side estimator sends); False while no video has arrived."""
        pc = self._pc
        if pc is None:
            return False
        for mid, streams in self.counter.by_mid().items():
            video = [s for s in streams if s.kind == "video"]
            transceiver = next((t for t in pc.getTransceivers() if t.mid == mid), None)
            if video and transceiver is not None:
                fci = pack_remb_fci(bitrate, [s.ssrc for s in video])
                own = sender_ssrc(transceiver.sender)
                packet = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=own, media_ssrc=0, fci=fci)
                await send_rtcp(transceiver, packet)
                return True
        return False

    def server_ports(self) -> set[int]:
        """The server's UDP ports this connection receives from (its candidates in the offer)."""
        pc = self._pc
        if pc is None or pc.remoteDescription is None or self.relay is not None:
            return set()
        return {port for _, port in udp_candidates(pc.remoteDescription.sdp)}

    def summary(self) -> dict[str, Any]:
        """Per m-line: the track it carries, its RTP streams and (if decoding) its frames."""
        streams = self.counter.by_mid()
        mids = sorted(set(self.tracks) | set(streams) | set(self.decoded), key=_mid_order)
        return {
            mid: {
                "track": self.tracks.get(mid),
                "streams": [s.summary() for s in streams.get(mid, [])],
                "decoded": vars(self.decoded[mid]).copy() if mid in self.decoded else None,
            }
            for mid in mids
        }

    async def close(self) -> None:
        """Close the peer connection and stop reading tracks. Idempotent."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        if self.generated is not None:
            await self.generated.close()
        if self._pc is not None:
            await self._pc.close()
        for task in list(self._readers):
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)

    async def _route_remote(self, offer_sdp: str) -> str:
        relay = self.relay
        assert relay is not None
        await relay.start()
        server = udp_candidates(offer_sdp)
        if server:
            relay.set_target(server[0])
        return point_candidates_at(offer_sdp, relay.address)

    async def _watch_keyframes(self, patience: float) -> None:
        while not self._closed:
            await asyncio.sleep(patience / 4)
            now = self._clock()
            for stream in list(self.counter.streams.values()):
                if (
                    stream.kind == "video"
                    and stream.first_keyframe_end_at is None
                    and stream.first_packet_at is not None
                    and now - max(stream.first_packet_at, stream.last_pli_at or 0.0) >= patience
                    and stream.mid is not None
                ):
                    try:
                        await self.request_keyframe(stream.mid)
                    except ConnectionError:  # not connected (yet, or any more): next round
                        continue

    def _on_rtp(self, data: bytes, arrival_time_ms: int) -> None:
        self.counter.add(data)

    def _on_rtcp_data(self, data: bytes) -> None:
        """RTCP from the server, in the modes where aiortc does not see it."""
        for ssrc, ntp, rtp_timestamp in sender_report_clocks(data):
            self.counter.on_sender_report(ssrc, ntp, rtp_timestamp)
        if self.generated is not None:
            for ssrc, ntp_middle in sender_reports(data):
                self.generated.on_sender_report(ssrc, ntp_middle)

    def _transceiver(self, mid: str) -> RTCRtpTransceiver | None:
        pc = self._pc
        if pc is None:
            return None
        return next((t for t in pc.getTransceivers() if t.mid == mid), None)

    def _sender_ssrc(self, mid: str) -> int | None:
        transceiver = self._transceiver(mid)
        return sender_ssrc(transceiver.sender) if transceiver is not None else None

    async def _send_feedback(self, mid: str, data: bytes) -> None:
        transceiver = self._transceiver(mid)
        if transceiver is None or self._closed:
            raise ConnectionError("no such m-line, or closed")
        await send_rtcp(transceiver, data)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if not self.decode:
            return
        task = asyncio.create_task(self._read_frames(track))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    async def _read_frames(self, track: MediaStreamTrack) -> None:
        stats: DecodedTrackStats | None = None
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = self._clock()
            if stats is None:
                mid = self._mid_of(track)
                stats = self.decoded.setdefault(mid, DecodedTrackStats(mid=mid, kind=track.kind))
            stats.frames += 1
            stats.last_frame_at = now
            if stats.first_frame_at is None:
                stats.first_frame_at = now
            if isinstance(frame, av.VideoFrame):
                stats.width, stats.height = frame.width, frame.height

    def _mid_of(self, track: MediaStreamTrack) -> str:
        assert self._pc is not None
        for transceiver in self._pc.getTransceivers():
            if transceiver.receiver.track is track and transceiver.mid is not None:
                return transceiver.mid
        return "?"


def _mid_order(mid: str) -> tuple[int, str]:
    return (int(mid), mid) if mid.isdigit() else (1 << 30, mid)
