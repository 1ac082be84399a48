"""H.264 is forwarded as it is: a subscriber is offered H.264 only and decodes the frames."""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack

from bench.bots import SubscriberBot
from bench.client_glue import gather_only
from bench.signal_client import SignalClient
from classroom.roles import Role

from .conftest import RunningServer


async def test_an_h264_camera_reaches_a_subscriber_as_h264(server: RunningServer) -> None:
    # aiortc encodes this one itself (libx264): a live encoder, like a browser preferring H.264.
    publish = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = publish.addTransceiver(VideoStreamTrack(), direction="sendonly")
    transceiver.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    )
    signal = await SignalClient.connect(server.url)
    viewer = SubscriberBot(server.url, server.token("viewer"), decode=True)
    try:
        await signal.join(server.token("teacher", Role.TEACHER))
        gather_only(publish)
        await publish.setLocalDescription(await publish.createOffer())
        answer = await signal.publish_offer(
            publish.localDescription.sdp, [{"mid": transceiver.mid, "source": "camera"}]
        )
        assert "H264/90000" in answer and "VP8" not in answer
        await publish.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await viewer.join()
        (decoded,) = await viewer.wait_for_decoded(1, frames=10, within=20)
        assert (decoded.width, decoded.height) == (640, 480)
        (offer_track,) = viewer.subscription.tracks.values()
        assert offer_track["kind"] == "video"
        video_section = viewer.subscription.pc.remoteDescription.sdp.split("m=video")[1]
        assert "H264/90000" in video_section and "VP8/90000" not in video_section
    finally:
        await viewer.close()
        await signal.close()
        await publish.close()
