"""The bots' aiortc glue, over real loopback connections with a plain aiortc peer as the server.

Plain aiortc stands in for the SFU so these run without the classroom server.
"""

import asyncio
import struct
from collections.abc import Callable

import pytest
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket

from bench.candidates import point_candidates_at, udp_candidates
from bench.client_glue import (
    gather_only,
    observe_rtp,
    observe_sender_rtcp,
    send_rtcp,
    sender_ssrc,
)
from bench.encoded_track import MIN_KEYFRAME_INTERVAL, EncodedTrack
from bench.media import EncodedFrame, load_audio, load_video
from bench.publication import TONE_LEVEL_DBOV, Publication
from bench.relay import UdpRelay
from bench.rtp_stats import one_byte_extensions
from bench.subscription import Feedback, Subscription

LOOPBACK = "127.0.0.1"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


@pytest.fixture(scope="module")
def video() -> list[EncodedFrame]:
    return load_video(640, 360)


@pytest.fixture(scope="module")
def audio() -> list[EncodedFrame]:
    return load_audio()


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.02)


def extension_id(sdp: str, uri: str) -> int:
    line = next(line for line in sdp.splitlines() if line.startswith("a=extmap:") and uri in line)
    return int(line.split(":")[1].split()[0].split("/")[0])


def plain_peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def offer_video(pc: RTCPeerConnection, track: MediaStreamTrack) -> str:
    transceiver = pc.addTransceiver(track, direction="sendonly")
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences(
        [c for c in capabilities if c.mimeType in ("video/VP8", "video/rtx")]
    )
    gather_only(pc)
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


async def test_gather_only_offers_one_loopback_host_candidate_per_ice_agent() -> None:
    pc = plain_peer()
    pc.addTransceiver("audio", direction="sendonly")
    pc.addTransceiver("video", direction="sendonly")
    gather_only(pc)
    gather_only(pc)  # patching twice is harmless
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
    # Before BUNDLE is negotiated each m-line has its own ICE agent: one candidate each.
    assert len(candidates) == len(udp_candidates(sdp)) == 2
    assert {host for host, _ in udp_candidates(sdp)} == {LOOPBACK}
    assert all("typ host" in line for line in candidates)


def test_point_candidates_at_rewrites_every_udp_candidate_once_per_section() -> None:
    sdp = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
        "a=candidate:2 1 udp 2130706431 127.0.0.1 5001 typ host\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
    )
    assert udp_candidates(sdp) == [(LOOPBACK, 5000), (LOOPBACK, 5001)]
    rewritten = point_candidates_at(sdp, (LOOPBACK, 7000))
    assert udp_candidates(rewritten) == [(LOOPBACK, 7000)]
    assert rewritten.count("a=candidate:1 1 udp 2130706431 127.0.0.1 7000 typ host") == 2
    assert rewritten.count("a=candidate:2") == 1
    assert rewritten.endswith("\r\n")


async def test_a_publication_reaches_a_plain_peer_and_a_pli_makes_it_send_a_keyframe(
    video: list[EncodedFrame], audio: list[EncodedFrame]
) -> None:
    publication = Publication(video=video, audio=audio)
    server = plain_peer()
    frames: list[tuple[int, int]] = []

    async def read(track: MediaStreamTrack) -> None:
        while True:
            frame = await track.recv()
            frames.append((frame.width, frame.height))  # type: ignore[union-attr]

    readers: list[asyncio.Task[None]] = []
    received: list[bytes] = []
    server.on(
        "track",
        lambda t: readers.append(asyncio.create_task(read(t))) if t.kind == "video" else None,
    )
    try:
        sdp, tracks = await publication.offer()
        assert tracks == [{"mid": "0", "source": "microphone"}, {"mid": "1", "source": "camera"}]
        await server.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        gather_only(server)
        observe_rtp(server, lambda data, _: received.append(data), pass_on=True)
        await server.setLocalDescription(await server.createAnswer())
        await publication.accept(server.localDescription.sdp)
        await eventually(lambda: len(frames) >= 10)
        assert set(frames) == {(640, 360)}
        level_id = extension_id(server.localDescription.sdp, AUDIO_LEVEL_URI)
        audio_levels = {
            value[0] & 0x7F
            for packet in received
            for ident, value in one_byte_extensions(packet, packet[0])
            if ident == level_id
        }
        assert audio_levels == {-TONE_LEVEL_DBOV}

        camera = publication.sources["camera"]
        assert camera.track.counters.keyframes_sent == 1
        receiving = next(t for t in server.getTransceivers() if t.kind == "video")
        pli = RtcpPsfbPacket(
            fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender_ssrc(camera.transceiver.sender)
        )
        await send_rtcp(receiving, pli)
        await eventually(lambda: camera.track.counters.keyframes_sent == 2)
        assert camera.feedback.pli == 1
        assert camera.track.counters.keyframes_on_request == 1
    finally:
        for task in readers:
            task.cancel()
        await publication.close()
        await server.close()


async def test_a_publication_honours_fir_and_pli_whatever_their_media_ssrc(
    video: list[EncodedFrame], audio: list[EncodedFrame]
) -> None:
    publication = Publication(video=video, audio=audio)
    server = plain_peer()
    try:
        sdp, _ = await publication.offer()
        await server.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        gather_only(server)
        await server.setLocalDescription(await server.createAnswer())
        await publication.accept(server.localDescription.sdp)
        camera, microphone = publication.sources["camera"], publication.sources["microphone"]
        await eventually(lambda: camera.track.counters.frames_sent > 3)
        receiving = server.getTransceivers()[0]
        camera_ssrc = sender_ssrc(camera.transceiver.sender)
        requests = [
            # RFC 5104: a FIR names its target in the FCI; the media SSRC field is 0.
            RtcpPsfbPacket(
                fmt=RTCP_PSFB_FIR, ssrc=1, media_ssrc=0, fci=struct.pack("!IB3x", camera_ssrc, 1)
            ),
            RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=0),  # no SSRC: the camera
            RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=camera_ssrc),
        ]
        for jumps, request in enumerate(requests, start=1):
            # Like a browser's encoder, the bot ignores requests under 300 ms apart.
            await asyncio.sleep(MIN_KEYFRAME_INTERVAL)
            await send_rtcp(receiving, request)
            await eventually(lambda j=jumps: camera.track.counters.keyframes_on_request == j)  # type: ignore[misc]
        assert (camera.feedback.fir, camera.feedback.pli) == (1, 2)
        microphone_ssrc = sender_ssrc(microphone.transceiver.sender)
        await send_rtcp(
            receiving, RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=microphone_ssrc)
        )
        await eventually(lambda: microphone.feedback.pli == 1)
        assert (camera.feedback.fir, camera.feedback.pli) == (1, 2)
    finally:
        await publication.close()
        await server.close()


@pytest.mark.parametrize("feedback", ["aiortc", "cheap"])
async def test_a_subscription_counts_through_a_lossy_relay_and_recovers_by_rtx(
    video: list[EncodedFrame], feedback: Feedback
) -> None:
    server = plain_peer()
    track = EncodedTrack("video", video)
    pli: list[RtcpPsfbPacket] = []
    async with UdpRelay(loss=0.05, seed=11) as relay:
        subscription = Subscription(relay=relay, feedback=feedback)
        try:
            offer = await offer_video(server, track)

            def on_rtcp(packet: object) -> None:
                # The stand-in server honours PLI like the bench's publishers do.
                if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
                    pli.append(packet)
                    track.request_keyframe()

            observe_sender_rtcp(server.getTransceivers()[0].sender, on_rtcp)
            answer = await subscription.answer(offer, [{"mid": "0", "kind": "video"}])
            # Both ends see only the relay: the bot's answer names the relay's upstream side.
            assert udp_candidates(answer) == [relay.upstream_address]
            await server.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await eventually(
                lambda: any(
                    s.rtx_recovered >= 3 and s.first_keyframe_at is not None
                    for s in subscription.counter.streams.values()
                )
            )
            (stream,) = subscription.counter.streams.values()
            assert (stream.mid, stream.kind, stream.codec) == ("0", "video", "vp8")
            assert stream.first_keyframe_at is not None
            assert relay.down.dropped_loss > 0
            assert relay.down.forwarded >= stream.packets + stream.rtx_packets

            requests = len(pli)
            assert await subscription.request_keyframe("0")
            await eventually(lambda: len(pli) > requests)
            # Feedback carries the m-line's own SSRC, the one the answer announces.
            own = sender_ssrc(subscription.pc.getTransceivers()[0].sender)  # type: ignore[union-attr]
            assert pli[-1].ssrc == own and f"a=ssrc:{own} " in answer
            if feedback == "cheap":
                sent = subscription.generated
                assert sent is not None
                await eventually(lambda: sent.counters.receiver_reports > 0)
                assert sent.counters.nack_packets > 0 and sent.counters.send_errors == 0
        finally:
            await subscription.close()
            await server.close()


async def test_a_decoding_subscription_reports_picture_sizes(video: list[EncodedFrame]) -> None:
    server = plain_peer()
    subscription = Subscription(decode=True)
    try:
        offer = await offer_video(server, EncodedTrack("video", video))
        answer = await subscription.answer(offer, [{"mid": "0", "kind": "video"}])
        await server.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await eventually(
            lambda: "0" in subscription.decoded and subscription.decoded["0"].frames >= 5
        )
        decoded = subscription.decoded["0"]
        assert (decoded.kind, decoded.width, decoded.height) == ("video", 640, 360)
        assert subscription.summary()["0"]["streams"][0]["packets"] > 0
    finally:
        await subscription.close()
        await server.close()
