"""The private aiortc/aioice surface the SFU relies on is where the glue expects it.

If an aiortc upgrade moves any of it, these tests fail here, in one place.
"""

import asyncio
import socket
from pathlib import Path

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, rate, rtcrtpreceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from pylibsrtp import Policy, Session

from bench.client_glue import gather_only
from sfu.aiortc_glue import (
    RECEIVE_BUFFER_BYTES,
    Connection,
    Egress,
    prefer_codec,
    sender_ssrcs,
    set_sender_stream,
)

RMEM_MAX = int(Path("/proc/sys/net/core/rmem_max").read_text())


async def test_private_attributes_used_by_the_glue_exist() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="sendonly")
    dtls = transceiver.receiver.transport
    assert isinstance(dtls, RTCDtlsTransport)
    for name in ("_handle_rtp_data", "_handle_rtcp_data", "_state", "_tx_srtp"):
        assert hasattr(dtls, name), name
    assert State.CONNECTED
    connection = dtls.transport.iceGatherer._connection
    for name in (
        "_nominated",
        "_protocols",
        "_local_candidates",
        "_local_candidates_start",
        "_local_candidates_end",
        "get_component_candidates",
    ):
        assert hasattr(connection, name), name
    receiver = transceiver.receiver
    for name in ("__remote_bitrate_estimator", "__nack_generator"):  # dropped by the glue
        assert hasattr(receiver, f"_RTCRtpReceiver{name}"), name
    assert isinstance(transceiver.sender._ssrc, int)
    assert isinstance(transceiver.sender._rtx_ssrc, int)
    assert hasattr(transceiver.sender, "_stream_id")
    await pc.close()


async def test_send_only_m_lines_are_built_without_receiver_feedback_machinery() -> None:
    connection = Connection(["127.0.0.1"], lambda data, now: None, lambda packets: None)
    receiver = connection.add_sender("video").receiver
    assert receiver._RTCRtpReceiver__remote_bitrate_estimator is None  # type: ignore[attr-defined]
    assert receiver._RTCRtpReceiver__nack_generator is None  # type: ignore[attr-defined]
    # Only for that call: an ordinary aiortc peer (the bench's bots) still gets both.
    assert rtcrtpreceiver.RemoteBitrateEstimator is rate.RemoteBitrateEstimator
    other = RTCPeerConnection()
    plain = other.addTransceiver("video").receiver
    assert isinstance(plain._RTCRtpReceiver__remote_bitrate_estimator, rate.RemoteBitrateEstimator)  # type: ignore[attr-defined]
    assert isinstance(plain._RTCRtpReceiver__nack_generator, rtcrtpreceiver.NackGenerator)  # type: ignore[attr-defined]
    await other.close()
    await connection.close()


async def test_offer_has_only_configured_host_candidates_and_one_msid_per_participant() -> None:
    connection = Connection(["127.0.0.1"], lambda data, now: None, lambda packets: None)
    video = connection.add_sender("video")
    audio = connection.add_sender("audio")
    prefer_codec(video, "video/VP8", {})
    set_sender_stream(video.sender, "p_teacher", "t_cam")
    set_sender_stream(audio.sender, "p_teacher", "t_mic")
    offer = await connection.offer()
    candidates = [line for line in offer.splitlines() if line.startswith("a=candidate")]
    assert candidates and all(" 127.0.0.1 " in c and " typ host" in c for c in candidates)
    assert "a=msid:p_teacher t_cam" in offer
    assert "a=msid:p_teacher t_mic" in offer
    video_section = offer.split("m=video")[1].split("m=audio")[0]
    assert "VP8/90000" in video_section and "H264" not in video_section
    assert sender_ssrcs(video.sender) == (video.sender._ssrc, video.sender._rtx_ssrc)
    # receive buffers raised (Linux reports twice what was set, capped by rmem_max)
    rmem_max = RMEM_MAX
    gatherer = video.sender.transport.transport.iceGatherer._connection
    for protocol in gatherer._protocols:
        sock = protocol.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * min(
            RECEIVE_BUFFER_BYTES, rmem_max
        )
        # media is taken at the socket callback, before aioice's STUN parse and queue
        assert "_hook_datagrams" in protocol.datagram_received.__qualname__
    await connection.close()


async def test_senders_and_receivers_start_no_loops() -> None:
    """A connected idle sender must cost nothing: no 20 ms polling task, no RTCP task."""
    ready: list[str] = []
    server = Connection(
        ["127.0.0.1"],
        lambda data, now: None,
        lambda packets: None,
        on_sender_ready=lambda transceiver, params: ready.append(transceiver.kind),
    )
    server.add_sender("video")
    offer = await server.offer()
    client = RTCPeerConnection()
    await client.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    gather_only(client)
    await client.setLocalDescription(await client.createAnswer())
    tasks_before = len(asyncio.all_tasks())
    await server.accept_answer(client.localDescription.sdp)
    for _ in range(100):
        if ready:
            break
        await asyncio.sleep(0.05)
    assert ready == ["video"]
    await asyncio.sleep(0.1)
    (transceiver,) = server.pc.getTransceivers()
    # The receiver's unused per-packet machinery is dropped (~110 KB per video m-line).
    assert transceiver.receiver._RTCRtpReceiver__remote_bitrate_estimator is None  # type: ignore[attr-defined]
    server_media = {id(t.sender) for t in server.pc.getTransceivers()} | {
        id(t.receiver) for t in server.pc.getTransceivers()
    }
    owners = [
        id(frame.f_locals.get("self"))
        for task in asyncio.all_tasks()
        if (frame := getattr(task.get_coro(), "cr_frame", None)) is not None
    ]
    assert not server_media & set(owners)
    assert tasks_before > 0
    await client.close()
    await server.close()


async def test_prefer_codec_keeps_h264_profile() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video")
    prefer_codec(transceiver, "video/H264", {"profile-level-id": "42e01f", "packetization-mode": 1})
    chosen = [c for c in transceiver._preferred_codecs if c.mimeType == "video/H264"]
    assert [c.parameters["profile-level-id"] for c in chosen] == ["42e01f"]
    assert RTCRtpSender.getCapabilities("video")
    await pc.close()


class Captured:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))


def test_egress_encrypts_header_and_payload_as_one_packet_srtp_can_open() -> None:
    key = bytes(range(30))
    tx = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    rx = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    for name in ("_srtp", "_cdata", "_buffer"):  # pylibsrtp internals the egress writes into
        assert hasattr(tx, name), name
    wire = Captured()
    egress = Egress(tx, wire, ("127.0.0.1", 5004))
    header = bytes.fromhex("806000070000000a00000bb8")
    payload = bytes(range(200)) * 5
    egress.send(bytearray(header), memoryview(payload))
    egress.send(header, b"x" * 1500)  # over any MTU: dropped, not sent truncated
    assert len(wire.sent) == 1
    data, addr = wire.sent[0]
    assert addr == ("127.0.0.1", 5004)
    assert data[:12] == header and data[12:] != payload  # encrypted, header in clear
    assert rx.unprotect(data) == header + payload
