"""The bots' only contact with aiortc / aioice private attributes (pinned aiortc 1.16.0).

Everything here patches one *instance* (never a module function), so the server's own aiortc
objects in the same process are untouched. If an aiortc upgrade moves these internals, the
bench fails here and nowhere else.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import pylibsrtp
from aioice import Connection
from aioice.ice import StunProtocol
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.clock import current_ntp_time
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import AnyRtcpPacket, RtcpSrPacket, is_rtcp

LOOPBACK = "127.0.0.1"

RtpObserver = Callable[[bytes, int], None]
"""Called with each decrypted RTP packet's bytes and its arrival time in ms."""
RtcpObserver = Callable[[AnyRtcpPacket], None]
"""Called with each RTCP packet aiortc routes to a sender (NACK, RR, REMB; PLI and FIR when
their media SSRC names the sender)."""
PacketHandler = Callable[[bytes], None]
"""Called with one decrypted RTP or RTCP packet (compound RTCP: the whole datagram)."""

# Marker attributes so that patching twice (e.g. after each renegotiation) is harmless.
_GATHER_MARK = "_bench_gather_address"
_RTP_MARK = "_bench_rtp_observer"
_SOCKET_MARK = "_bench_socket_media"
_RTCP_DATA_MARK = "_bench_rtcp_data_observer"


def gather_only(pc: RTCPeerConnection, address: str = LOOPBACK) -> None:
    """Make every ICE agent of ``pc`` gather one host candidate on ``address`` only.

    aioice's ``get_host_addresses()`` skips 127.0.0.1 on purpose, so without this a bot on
    loopback offers the machine's other addresses, which the bench must never use. Call it
    after transceivers exist (after ``addTransceiver`` / ``setRemoteDescription``) and before
    ``setLocalDescription``, which is when aiortc gathers.
    """
    for transceiver in pc.getTransceivers():
        _restrict_gathering(transceiver.sender.transport.transport.iceGatherer._connection, address)


def _restrict_gathering(connection: Connection, address: str) -> None:
    if getattr(connection, _GATHER_MARK, None) is not None:
        return

    # Mirrors aioice 0.13's Connection.gather_candidates with a fixed address list and no
    # STUN / TURN (the bench has none).
    async def gather_candidates() -> None:
        if connection._local_candidates_start:
            return
        connection._local_candidates_start = True
        for component in sorted(connection._components):
            connection._local_candidates += await connection.get_component_candidates(
                component=component, addresses=[address]
            )
        connection._local_candidates_end = True

    setattr(connection, "gather_candidates", gather_candidates)  # noqa: B010
    setattr(connection, _GATHER_MARK, address)


def observe_sender_rtcp(sender: RTCRtpSender, observer: RtcpObserver) -> None:
    """Call ``observer`` with every RTCP packet routed to ``sender``, before aiortc handles it.

    aiortc turns a PLI / FIR into a "force keyframe" flag that only its encoder reads; a bot
    sending pre-encoded frames needs to see the request itself to jump to a keyframe.
    aiortc still answers NACKs from its own history afterwards.
    """
    original: Callable[[AnyRtcpPacket], Awaitable[None]] = sender._handle_rtcp_packet

    async def handle_rtcp_packet(packet: AnyRtcpPacket) -> None:
        observer(packet)
        await original(packet)

    setattr(sender, "_handle_rtcp_packet", handle_rtcp_packet)  # noqa: B010


def observe_rtp(pc: RTCPeerConnection, observer: RtpObserver, *, pass_on: bool) -> None:
    """Show every decrypted RTP packet ``pc`` receives to ``observer``, without parsing it.

    With ``pass_on`` the packet then takes aiortc's normal path (jitter buffer, NACK, PLI,
    REMB, receiver reports, and decoding if enabled); without it aiortc never sees it, which is
    the cheapest way to receive. Call after each ``setRemoteDescription`` (bundling decides
    which transport carries the packets); transports already observed are left alone.
    """
    transports = {t.receiver.transport for t in pc.getTransceivers()}
    for transport in transports:
        _observe_transport(transport, observer, pass_on)


def _observe_transport(transport: RTCDtlsTransport, observer: RtpObserver, pass_on: bool) -> None:
    if getattr(transport, _RTP_MARK, None) is not None:
        return
    original: Callable[..., Awaitable[None]] = transport._handle_rtp_data

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        observer(data, arrival_time_ms)
        if pass_on:
            await original(data, arrival_time_ms=arrival_time_ms)

    setattr(transport, "_handle_rtp_data", handle_rtp_data)  # noqa: B010
    setattr(transport, _RTP_MARK, observer)


def take_media_at_socket(
    pc: RTCPeerConnection, on_rtp: PacketHandler, on_rtcp: PacketHandler
) -> None:
    """Unprotect ``pc``'s incoming SRTP / SRTCP in the socket callback; aiortc never sees it.

    aioice would first try each media datagram as STUN (and raise), queue it and wake the DTLS
    transport's task, which unprotects it and (with ``observe_rtp``) hands it on: a queue hop,
    a task switch and two awaits per packet, most of what a counting bot spends. Media is
    recognised by its first byte (RFC 7983: 128-191); STUN, DTLS and anything arriving before
    DTLS has set up SRTP keep aioice's path. Call after ``setLocalDescription`` (gathering
    made the sockets); sockets already taken are left alone.
    """
    for transport in {t.receiver.transport for t in pc.getTransceivers()}:
        for protocol in transport.transport.iceGatherer._connection._protocols:
            _take_datagrams(protocol, transport, on_rtp, on_rtcp)


def _take_datagrams(
    protocol: StunProtocol,
    dtls: RTCDtlsTransport,
    on_rtp: PacketHandler,
    on_rtcp: PacketHandler,
) -> None:
    if getattr(protocol, _SOCKET_MARK, None) is not None:
        return
    original = protocol.datagram_received

    def datagram_received(data: bytes | str, addr: tuple[Any, ...]) -> None:
        srtp = dtls._rx_srtp
        if srtp is None or not isinstance(data, bytes) or not data or not 127 < data[0] < 192:
            original(data, addr)
            return
        try:
            if is_rtcp(data):
                on_rtcp(srtp.unprotect_rtcp(data))
            else:
                on_rtp(srtp.unprotect(data))
        except pylibsrtp.Error:
            return  # replayed or forged: dropped, as aiortc would

    setattr(protocol, "datagram_received", datagram_received)  # noqa: B010
    setattr(protocol, _SOCKET_MARK, dtls)


def observe_rtcp_data(pc: RTCPeerConnection, observer: PacketHandler) -> None:
    """Show every decrypted RTCP datagram ``pc`` receives to ``observer`` before aiortc
    routes it.

    aiortc routes feedback to a sender by its media SSRC field only, so a FIR (whose target is
    in its FCI, the media SSRC field being 0 by RFC 5104) or a PLI naming no known SSRC never
    reaches a sender; a browser still honours them. Call after ``addTransceiver`` and again
    after ``setRemoteDescription``; transports already observed are left alone.
    """
    for transceiver in pc.getTransceivers():
        _observe_rtcp_transport(transceiver.sender.transport, observer)


def _observe_rtcp_transport(transport: RTCDtlsTransport, observer: PacketHandler) -> None:
    if getattr(transport, _RTCP_DATA_MARK, None) is not None:
        return
    original: Callable[[bytes], Awaitable[None]] = transport._handle_rtcp_data

    async def handle_rtcp_data(data: bytes) -> None:
        observer(data)
        await original(data)

    setattr(transport, "_handle_rtcp_data", handle_rtcp_data)  # noqa: B010
    setattr(transport, _RTCP_DATA_MARK, observer)


def skip_decoding(receiver: RTCRtpReceiver) -> None:
    """Stop ``receiver``'s decoder thread as soon as aiortc starts it.

    Nothing reads an undecoded bot's tracks, so decoded pictures would pile up in the track's
    queue (tens of MB/s at 720p) and the decoder would burn CPU the bench wants to measure.
    The jitter buffer, NACKs and PLIs keep working: aiortc only queues frames for decoding
    while the thread exists. The receiver's track ends.
    """
    original: Callable[..., Awaitable[None]] = receiver.receive

    async def receive(parameters: Any) -> None:
        await original(parameters)
        receiver._RTCRtpReceiver__stop_decoder()  # type: ignore[attr-defined]

    setattr(receiver, "receive", receive)  # noqa: B010


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC ``sender`` sends media with (to pick its receiver reports out of RTCP)."""
    ssrc: int = sender._ssrc
    return ssrc


async def send_rtcp(transceiver: RTCRtpTransceiver, packet: AnyRtcpPacket | bytes) -> None:
    """Send one RTCP packet (an object or its bytes) on ``transceiver``'s transport, SRTCP
    protected (e.g. a PLI, a NACK or a receiver report the bench generates itself).

    Raises ConnectionError while the transport is not connected.
    """
    await transceiver.receiver.transport._send_rtp(bytes(packet))


def stamp_audio_level(sender: RTCRtpSender, level: Callable[[], int | None]) -> None:
    """Give pre-encoded audio the RFC 6464 audio level ``level()`` returns (dBov, -127..0).

    aiortc computes the level only for frames it encodes itself, so without this a bot's
    packets carry no audio-level extension and the server's active-speaker logic hears no one.
    """
    original: Callable[..., Awaitable[Any]] = sender._next_encoded_frame

    async def next_encoded_frame(codec: Any) -> Any:
        frame = await original(codec)
        if frame is not None and frame.audio_level is None:
            frame.audio_level = level()
        return frame

    setattr(sender, "_next_encoded_frame", next_encoded_frame)  # noqa: B010


def stamp_sender_reports_when_sent(sender: RTCRtpSender, clock_rate: int) -> None:
    """Make ``sender``'s RTCP SRs name the instant they are sent, as browsers' do.

    aiortc's SR carries the NTP time and RTP timestamp of the last packet sent, stamped
    up to a frame interval before the SR leaves. The pair is consistent, but a receiver that
    reads the NTP time as the SR's send time (to estimate the clock offset, as our server
    and RFC 3550 do) sees the SR a few ms "late". Here both are moved forward to now.
    """
    original: Callable[[list[AnyRtcpPacket]], Awaitable[None]] = sender._send_rtcp

    async def send_rtcp(packets: list[AnyRtcpPacket]) -> None:
        for packet in packets:
            if isinstance(packet, RtcpSrPacket) and packet.sender_info.ntp_timestamp:
                info = packet.sender_info
                now = current_ntp_time()
                elapsed = ((now - info.ntp_timestamp) & 0xFFFFFFFFFFFFFFFF) / (1 << 32)
                info.rtp_timestamp = (info.rtp_timestamp + round(elapsed * clock_rate)) & 0xFFFFFFFF
                info.ntp_timestamp = now
        await original(packets)

    setattr(sender, "_send_rtcp", send_rtcp)  # noqa: B010
