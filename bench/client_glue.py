"""The bots' only contact with aiortc / aioice private attributes (pinned aiortc 1.16.0).

Everything here patches one *instance* (never a module function), so the server's own aiortc
objects in the same process are untouched. If an aiortc upgrade moves these internals, the
bench fails here and nowhere else.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aioice import Connection
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import AnyRtcpPacket

LOOPBACK = "127.0.0.1"

RtpObserver = Callable[[bytes, int], None]
"""Called with each decrypted RTP packet's bytes and its arrival time in ms."""
RtcpObserver = Callable[[AnyRtcpPacket], None]
"""Called with each RTCP packet aiortc routes to a sender (PLI, FIR, NACK, RR, REMB)."""

# Marker attributes so that patching twice (e.g. after each renegotiation) is harmless.
_GATHER_MARK = "_bench_gather_address"
_RTP_MARK = "_bench_rtp_observer"


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


async def send_rtcp(transceiver: RTCRtpTransceiver, packet: AnyRtcpPacket) -> None:
    """Send one RTCP packet on ``transceiver``'s transport (e.g. a PLI a bot decides to send)."""
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
