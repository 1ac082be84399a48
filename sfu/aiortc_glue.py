"""The one place that touches aiortc's and aioice's private surface.

aiortc gives us ICE, DTLS, SRTP and SDP. Its media path (jitter buffer, decoder,
per-sender encode loops, RTCP loops) is replaced per connection instance:

- incoming SRTP is decrypted by aiortc, then handed to us as bytes
  (`RTCDtlsTransport._handle_rtp_data` / `_handle_rtcp_data`), before aiortc parses it;
- senders and receivers never start their loops (`send` / `receive` replaced), so an
  idle subscriber costs nothing;
- outgoing packets are SRTP-protected and written to the nominated ICE pair's socket
  synchronously, skipping three awaits into aioice per packet;
- ICE host candidates come from our configuration (aioice skips 127.0.0.1 on purpose);
- video m-lines offer the playout-delay header extension, which aiortc does not know,
  so the SFU can ask a subscriber on a lossy link to buffer long enough for retransmissions.

aiortc is pinned to an exact version (pyproject.toml); tests/unit/test_aiortc_glue.py
fails loudly if these attributes move.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pylibsrtp
from aioice.ice import StunProtocol
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
    rtcrtpreceiver,
)
from aiortc.codecs import CODECS, HEADER_EXTENSIONS
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import (
    RTCRtcpFeedback,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from pylibsrtp._binding import ffi as _srtp_ffi
from pylibsrtp._binding import lib as _srtp_lib

from . import rtcp
from .errors import InvalidSdp
from .pacer import Kind, Pacer
from .rtp import TRANSPORT_OVERHEAD, is_rtcp
from .sdp import PLAYOUT_DELAY_URI, TRANSPORT_CC_URI, check_remote
from .sink import VIDEO
from .transport_feedback import (
    SentPackets,
    carries_transport_seq,
    split_compound,
    stamp_transport_seq,
)

logger = logging.getLogger(__name__)

_srtp_protect = _srtp_lib.srtp_protect

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
"""Per-socket receive buffer: a 720p keyframe is hundreds of packets (see the README's sysctl)."""

PLAYOUT_DELAY_ID = 4
"""Its extension ID in our offers (aiortc's video m-lines use 1 and 3)."""
if all(x.uri != PLAYOUT_DELAY_URI for x in HEADER_EXTENSIONS["video"]):
    # aiortc offers and negotiates the extensions in this list; it never sends this one
    # itself (our consumers write their headers) and ignores it on what it receives.
    HEADER_EXTENSIONS["video"].append(
        RTCRtpHeaderExtensionParameters(id=PLAYOUT_DELAY_ID, uri=PLAYOUT_DELAY_URI)
    )

TRANSPORT_CC_ID = 5
"""The transport-wide sequence number's extension ID in our offers (audio and video: the ID
space is shared under BUNDLE; aiortc's own use 1-3, playout delay 4)."""
for _kind in ("audio", "video"):
    # Offered on subscribe connections, so each subscriber's browser reports every packet's
    # arrival and we estimate its downlink ourselves (sfu/bandwidth.py); answered on publish
    # connections, so a publisher's browser estimates its uplink from our feedback
    # (sfu/arrivals.py). aiortc keeps only what both sides list, as with any extension.
    if all(x.uri != TRANSPORT_CC_URI for x in HEADER_EXTENSIONS[_kind]):
        HEADER_EXTENSIONS[_kind].append(
            RTCRtpHeaderExtensionParameters(id=TRANSPORT_CC_ID, uri=TRANSPORT_CC_URI)
        )
    for _codec in CODECS[_kind]:
        _feedback = RTCRtcpFeedback(type="transport-cc")
        if not _codec.mimeType.lower().endswith("/rtx") and _feedback not in _codec.rtcpFeedback:
            _codec.rtcpFeedback.append(_feedback)

RtpHandler = Callable[[bytes, float], None]
RtcpHandler = Callable[[list[rtcp.AnyRtcpPacket]], None]
FeedbackHandler = Callable[[list[bytes]], None]
"""Transport-wide feedback packets (raw RTCP), cut out of a compound before aiortc parses it."""
SenderReady = Callable[[RTCRtpTransceiver, RTCRtpSendParameters], None]


class Connection:
    """One RTCPeerConnection whose media path is ours."""

    def __init__(
        self,
        ice_addresses: list[str],
        on_rtp: RtpHandler,
        on_rtcp: RtcpHandler,
        on_sender_ready: SenderReady | None = None,
        on_failed: Callable[[], None] | None = None,
        on_feedback: FeedbackHandler | None = None,
    ) -> None:
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self._ice_addresses = ice_addresses
        self._on_rtp = on_rtp
        self._on_rtcp = on_rtcp
        self._on_sender_ready = on_sender_ready
        self._loop = asyncio.get_running_loop()
        self._hooked: set[int] = set()
        self._dtls: RTCDtlsTransport | None = None
        self._route: tuple[Any, Any, tuple[str, int]] | None = None
        self._egress: Egress | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_feedback = on_feedback
        self.sent = SentPackets()
        """What left with a transport-wide sequence number: send time and size by number."""
        self.transport_seq_id = 0
        """The extension ID packets are numbered with (0: the subscriber did not take it)."""
        self.pacer: Pacer[tuple[bytes | bytearray, bytes | memoryview]] | None = None
        self._release_timer: asyncio.TimerHandle | None = None
        self.closed = False
        self._ended = False

        @self.pc.on("connectionstatechange")
        def _state_changed() -> None:
            if self.pc.connectionState == "failed" and on_failed is not None:
                on_failed()

        # Latched: a negotiation in flight when aiortc closes the connection sets the
        # signalling state again after "closed".
        @self.pc.on("signalingstatechange")
        def _signaling_changed() -> None:
            if self.pc.signalingState == "closed":
                self._ended = True

    # --- negotiation -----------------------------------------------------------------

    async def answer(self, offer: str) -> str:
        """Publish side: the client offers, we answer."""
        check_remote(offer)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except Exception as exc:  # aiortc raises ValueError, OperationError, KeyError…
            raise InvalidSdp(f"offer rejected: {exc}") from exc
        self._hook_all()
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        return self.pc.localDescription.sdp

    async def offer(self) -> str:
        """Subscribe side: we offer what the participant should receive."""
        self._hook_all()
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        return self.pc.localDescription.sdp

    async def accept_answer(self, answer: str) -> None:
        check_remote(answer)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except Exception as exc:
            raise InvalidSdp(f"answer rejected: {exc}") from exc

    @property
    def signaling_state(self) -> str:
        return str(self.pc.signalingState)

    @property
    def ended(self) -> bool:
        """Closed by us, or by aiortc once every DTLS transport closed (the other end sent a
        close_notify, or the transport failed): nothing more can be added or negotiated."""
        return self.closed or self._ended

    def add_sender(self, kind: str) -> RTCRtpTransceiver:
        # A send-only m-line's receiver never sees a packet, yet aiortc builds a video
        # receiver's bitrate estimator (1000 bucket objects, ~0.5 ms) and NACK generator in its
        # constructor. A teacher's subscription gets one m-line per pupil, so a lesson of 16
        # spent 0.16 s of the worker's core on them while everyone joined (py-spy). The swap
        # lasts only this synchronous call: no other code runs in between.
        module = _receiver_module
        saved = module.RemoteBitrateEstimator, module.NackGenerator
        module.RemoteBitrateEstimator = module.NackGenerator = _none
        try:
            return self.pc.addTransceiver(kind, direction="sendonly")
        finally:
            module.RemoteBitrateEstimator, module.NackGenerator = saved

    # --- hot path: sending -----------------------------------------------------------

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        pacer = self.pacer
        if pacer is not None:
            now = self._loop.time()
            size = len(header) + len(payload)
            if pacer.send_now(Kind(kind), now, size):
                self._send_rtp(header, payload)
            else:
                pacer.enqueue((header, payload), Kind(kind), now, size)
                self._schedule_release()
            return
        self._send_rtp(header, payload)

    def set_pacing(self, rate: float | None) -> None:
        """Let packets out at `rate` bits/s at most (audio aside), or as they come (None).

        Only a subscriber whose downlink showed its limit is paced: a keyframe forwarded as
        it arrives is hundreds of packets at the loopback's speed, and a narrow link's queue
        loses its tail."""
        if rate is None:
            if self.pacer is not None:
                self.pacer.set_rate(1e12)
                self._release()  # whatever waits leaves now
                self.pacer = None
            return
        if self.pacer is None:
            self.pacer = Pacer(rate)
        else:
            self.pacer.set_rate(rate)

    def pacer_delay(self) -> float:
        """Seconds the oldest packet waiting in the pacer has waited (0: none waits)."""
        return 0.0 if self.pacer is None else self.pacer.queue_delay(self._loop.time())

    def _schedule_release(self) -> None:
        if self._release_timer is not None or self.pacer is None:
            return
        at = self.pacer.next_release_time()
        if at is not None:
            self._release_timer = self._loop.call_at(at, self._release)

    def _release(self) -> None:
        self._release_timer = None
        pacer = self.pacer
        if pacer is None or self.closed:
            return
        for header, payload in pacer.release(self._loop.time()):
            self._send_rtp(header, payload)
        if len(pacer):
            self._schedule_release()

    def _send_rtp(self, header: bytes | bytearray, payload: bytes | memoryview) -> None:
        seq_id = self.transport_seq_id
        if seq_id and carries_transport_seq(header, seq_id):
            # Numbered as it leaves, with the time it leaves: the delay signal of
            # sfu/bandwidth.py must not include any wait before this point.
            if not isinstance(header, bytearray):
                header = bytearray(header)
            size = len(header) + len(payload) + TRANSPORT_OVERHEAD
            stamp_transport_seq(header, self.sent.add(size, self._loop.time()))
        egress = self._egress
        if egress is None:
            egress = self._open_egress()
            if egress is None:
                self._send_slow(bytes(header) + bytes(payload), rtcp=False)
                return
        egress.send(header, payload)

    def send_rtcp(self, data: bytes) -> None:
        self._send_slow(data, rtcp=True)

    def _open_egress(self) -> Egress | None:
        """The fast path, once DTLS is up on a pair we can write to directly."""
        dtls = self._dtls
        if self.closed or dtls is None or dtls._state is not State.CONNECTED:
            return None
        route = self._current_route()
        if route is None or route[1] is None:
            return None  # no pair yet, or a TURN-relayed one (aioice wraps those)
        self._egress = Egress(dtls._tx_srtp, route[1], route[2])
        return self._egress

    def _drop_egress(self) -> None:
        self._egress = None

    def _send_slow(self, data: bytes, rtcp: bool) -> None:
        dtls = self._dtls
        if dtls is None or dtls._state is not State.CONNECTED:
            return
        route = self._current_route()
        if route is None:
            return
        protocol, transport, addr = route
        srtp = dtls._tx_srtp
        data = srtp.protect_rtcp(data) if rtcp else srtp.protect(data)
        if transport is not None:
            transport.sendto(data, addr)
        else:  # a TURN-relayed pair: aioice must wrap the datagram
            self._spawn(protocol.send_data(data, addr))

    def _current_route(self) -> tuple[Any, Any, tuple[str, int]] | None:
        """The nominated pair's socket, looked up again only when the pair changes."""
        assert self._dtls is not None
        pair = self._dtls.transport._connection._nominated.get(1)
        if pair is None:
            return None
        route = self._route
        if route is None or route[0] is not pair.protocol:
            protocol = pair.protocol
            transport = protocol.transport if type(protocol) is StunProtocol else None
            route = self._route = (protocol, transport, pair.remote_addr)
        return route

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- hooks -----------------------------------------------------------------------

    def _hook_all(self) -> None:
        for transceiver in self.pc.getTransceivers():
            self._hook_transceiver(transceiver)

    def _hook_transceiver(self, transceiver: RTCRtpTransceiver) -> None:
        dtls = transceiver.receiver.transport
        if self._dtls is None:
            self._dtls = dtls  # max-bundle: the first transport carries every m-line
            # Any change of DTLS state (connected, closed, failed) re-decides the fast path.
            dtls.on("statechange", self._drop_egress)
        if id(dtls) not in self._hooked:
            self._hooked.add(id(dtls))
            self._hook_dtls(dtls)
            self._hook_ice(dtls)
        if id(transceiver) not in self._hooked:
            self._hooked.add(id(transceiver))
            self._hook_media(transceiver)

    def _hook_dtls(self, dtls: RTCDtlsTransport) -> None:
        on_rtp = self._on_rtp
        loop = self._loop

        async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
            on_rtp(data, loop.time())

        async def handle_rtcp_data(data: bytes) -> None:
            self._receive_rtcp(data)

        dtls._handle_rtp_data = handle_rtp_data  # type: ignore[method-assign]
        dtls._handle_rtcp_data = handle_rtcp_data  # type: ignore[method-assign]

    def _hook_ice(self, dtls: RTCDtlsTransport) -> None:
        connection = dtls.transport.iceGatherer._connection
        addresses = list(self._ice_addresses)

        async def gather_candidates() -> None:
            if connection._local_candidates_start:
                return
            connection._local_candidates_start = True
            candidates = await connection.get_component_candidates(component=1, addresses=addresses)
            connection._local_candidates += candidates
            connection._local_candidates_end = True
            for protocol in connection._protocols:
                raise_receive_buffer(protocol.transport.get_extra_info("socket"))
                self._hook_datagrams(protocol, dtls)

        connection.gather_candidates = gather_candidates  # type: ignore[method-assign]

    def _hook_datagrams(self, protocol: StunProtocol, dtls: RTCDtlsTransport) -> None:
        """Take SRTP/SRTCP straight from the socket callback.

        aioice would first try to parse each media datagram as STUN (and raise), queue it,
        and wake the DTLS transport's task to unprotect it: a queue hop and a task switch per
        packet. Media is recognised by its first byte (RFC 7983: 128-191); STUN, DTLS and
        anything arriving before the DTLS handshake set up SRTP keep aioice's path.
        """
        original = protocol.datagram_received
        on_rtp = self._on_rtp
        receive_rtcp = self._receive_rtcp
        loop = self._loop

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            srtp = dtls._rx_srtp
            if srtp is None or not data or not 127 < data[0] < 192:
                original(data, addr)
                return
            try:
                if is_rtcp(data):
                    receive_rtcp(srtp.unprotect_rtcp(data))
                else:
                    on_rtp(srtp.unprotect(data), loop.time())
            except (pylibsrtp.Error, ValueError):
                return  # forged, replayed or malformed: dropped, as aiortc would

        protocol.datagram_received = datagram_received  # type: ignore[method-assign,assignment]

    def _receive_rtcp(self, data: bytes) -> None:
        """A compound RTCP packet: transport feedback to its handler, the rest parsed.

        aiortc reads transport feedback (RTPFB 15) as NACK pairs, and one padded as libwebrtc
        pads it raises and takes the whole compound with it, NACKs and reports included."""
        try:
            feedback, rest = split_compound(data)
            if feedback and self._on_feedback is not None:
                self._on_feedback(feedback)
            packets = rtcp.parse(rest) if rest else []
        except ValueError:  # FeedbackError is one: a compound whose framing is broken
            return
        if packets:
            self._on_rtcp(packets)

    def _hook_media(self, transceiver: RTCRtpTransceiver) -> None:
        on_ready = self._on_sender_ready

        async def send(parameters: RTCRtpSendParameters) -> None:
            # Called after every negotiation while the m-line sends: no loops started,
            # we only learn the negotiated codec, SSRCs and extension IDs.
            if on_ready is not None:
                on_ready(transceiver, parameters)

        async def receive(parameters: Any) -> None:
            return None  # media is taken at the DTLS transport; no decoder thread, no loop

        transceiver.sender.send = send  # type: ignore[method-assign]
        transceiver.receiver.receive = receive  # type: ignore[method-assign]
        # Media never reaches the receiver's own packet handler, which alone uses these (and
        # checks them for None): a video receiver's bitrate estimator is 1000 bucket objects,
        # ~110 KB per m-line, and a teacher's subscription has one m-line per pupil.
        receiver: Any = transceiver.receiver
        receiver._RTCRtpReceiver__remote_bitrate_estimator = None
        receiver._RTCRtpReceiver__nack_generator = None

    # --- life ------------------------------------------------------------------------

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._egress = None
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        await self.pc.close()


class Egress:
    """Encrypt and send one RTP packet with as little Python as possible.

    The header and the (shared) payload are copied once, straight into the buffer of
    pylibsrtp's session, encrypted in place by libsrtp and written to the nominated pair's
    socket. `Session.protect` would allocate a length cell, copy the packet in and check
    its type on every call: ~0.7 µs of 18 per forwarded packet, measured.
    """

    __slots__ = ("_session", "_srtp", "_cdata", "_buffer", "_length", "_limit", "_sendto", "_addr")

    def __init__(self, session: pylibsrtp.Session, transport: Any, addr: tuple[str, int]) -> None:
        self._session = session  # owns the libsrtp context and the buffer below
        self._srtp = session._srtp[0]
        self._cdata = session._cdata
        self._buffer = session._buffer
        self._length = _srtp_ffi.new("int *")
        self._limit = len(session._cdata) - _SRTP_TRAILER
        self._sendto = transport.sendto
        self._addr = addr

    def send(self, header: bytes | bytearray, payload: bytes | memoryview) -> None:
        end = len(header)
        size = end + len(payload)
        if size > self._limit:
            return  # larger than any MTU: nothing a browser could take either
        buffer = self._buffer
        buffer[0:end] = header
        buffer[end:size] = payload
        length = self._length
        length[0] = size
        if _srtp_protect(self._srtp, self._cdata, length):
            return  # libsrtp refused (e.g. a sequence number it considers replayed)
        self._sendto(buffer[0 : length[0]], self._addr)


_SRTP_TRAILER = pylibsrtp.SRTP_MAX_TRAILER_LEN
_receiver_module: Any = rtcrtpreceiver


def _none() -> None:
    return None


def sender_ssrcs(sender: RTCRtpSender) -> tuple[int, int]:
    """The SSRC and RTX SSRC aiortc announced for this sender in its offer."""
    return sender._ssrc, sender._rtx_ssrc


def renew_sender_ssrcs(sender: RTCRtpSender) -> None:
    """New SSRCs for a sender whose m-line carries another track now.

    A reused m-line that kept its SSRC would continue, to the browser, the stream it carried
    before: the new track's sequence numbers and timestamps jump, and Chrome's jitter buffer
    stalls on them (seen: a page turned back to a classmate's camera decoded no frame).
    """
    sender._ssrc = random.getrandbits(32)
    sender._rtx_ssrc = random.getrandbits(32)


def set_sender_stream(sender: RTCRtpSender, stream_id: str, track_id: str) -> None:
    """Put this m-line in the remote participant's own msid stream.

    aiortc gives every sender of a connection one stream id; Chrome then lip-syncs
    one arbitrary audio/video pair and cannot tell whose track is whose.
    """
    sender._stream_id = stream_id
    sender._track_id = track_id


def prefer_codec(
    transceiver: RTCRtpTransceiver, mime_type: str | None, parameters: dict[str, Any] | None
) -> None:
    """Offer only the producer's codec (and RTX), so a subscriber never needs transcoding."""
    if mime_type is None:
        transceiver.setCodecPreferences([])
        return
    wanted = {k: str(v) for k, v in (parameters or {}).items() if k in _CODEC_IDENTITY}
    capabilities = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    same_mime = [c for c in capabilities if c.mimeType.lower() == mime_type.lower()]
    chosen = [
        c for c in same_mime if all(str(c.parameters.get(k)) == v for k, v in wanted.items())
    ] or same_mime[:1]
    rtx = [c for c in capabilities if c.mimeType.lower().endswith("/rtx")]
    transceiver.setCodecPreferences(chosen[:1] + rtx)


# fmtp keys that make two H.264 payload types different codecs.
_CODEC_IDENTITY = ("profile-level-id", "packetization-mode")


REMB_STEP = 600_000
"""Bits/s a publisher's REMB may run above 1.5x what arrives (`publisher_estimator`)."""


def publisher_estimator(step: int = REMB_STEP) -> RemoteBitrateEstimator:
    """aiortc's receive-side estimator (the REMB towards a publisher), allowed to grow past
    what arrives by `step`.

    aiortc's rate control never lets its estimate exceed 1.5x the incoming rate (+10
    kbit/s). A single encoding grows into that room a little at a time, but a simulcast
    camera turns a layer on only when the estimate holds its whole minimum on top of the
    layers below it: held to 1.5x its two small layers (~250 kbit/s), Chrome never sent the
    large one, and dropped the middle one too ("bandwidth" limited in its stats). The delay
    and loss detectors still cut the estimate as before on a congested uplink.
    """
    estimator = RemoteBitrateEstimator()
    control = estimator.rate_control

    def clamp(new_bitrate: int, estimated_throughput: int) -> int:
        ceiling = max(int(1.5 * estimated_throughput) + step, control.current_bitrate)
        return min(new_bitrate, ceiling)

    control._clamp_bitrate = clamp  # type: ignore[method-assign]
    return estimator


def raise_receive_buffer(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    except OSError as exc:
        logger.warning("could not raise SO_RCVBUF: %s", exc)
