"""An event's room on two SFUs joined by a pipe (sfu/pipe.py through `LocalSfu`'s
`open_pipe` / `start_pipe`): the stage's tracks become the edge room's, its viewers receive
them, and they go when the pipe or the track does."""

from __future__ import annotations

import asyncio
from typing import Any

from sfu.control import LocalSfu
from sfu.ids import PeerId, TrackId
from sfu.tap import TapTrack
from tests.unit.test_consumer import DELTA, KEYFRAME, packet

ROOM = "concert"
CAMERA = TapTrack("t_cam", "p_performer", "video", "camera", "video/VP8", 90000, 96, 0)


class Offers:
    """The edge's events: the subscribe offers its viewers are sent."""

    def __init__(self) -> None:
        self.offers: list[tuple[str, list[dict[str, Any]]]] = []
        self.sdps: list[str] = []

    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        self.offers.append((peer, tracks))
        self.sdps.append(sdp)

    def peer_failed(self, room: str, peer: str) -> None:
        return None

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        return None

    def active_speaker(self, room: str, peer: str | None) -> None:
        return None

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        return None


async def eventually(condition: Any, within: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "not within the time"
        await asyncio.sleep(0.02)


async def test_the_stage_piped_to_an_edge_reaches_its_viewers_and_ends_with_the_pipe() -> None:
    origin, edge_events = LocalSfu(["127.0.0.1"], Offers()), Offers()
    edge = LocalSfu(["127.0.0.1"], edge_events)
    await origin.open_room(ROOM)
    await edge.open_room(ROOM)
    try:
        # The performer's camera at the origin (a stand-in for one published there).
        performer_feedback: list[bytes] = []
        camera = origin.routers[ROOM].add_remote_track(CAMERA, performer_feedback.append)
        await edge.add_peer(ROOM, "p_viewer", subscribe=True)
        host, port = await edge.open_pipe(ROOM)
        assert (host, port) == await edge.open_pipe(ROOM)  # one per room
        await origin.start_pipe(ROOM, host, port)
        await origin.start_pipe(ROOM, host, port)  # once is enough

        router = edge.routers[ROOM]
        await eventually(lambda: PeerId("p_performer") in router.peers)
        piped = router.peers[PeerId("p_performer")].producers[TrackId("t_cam")]
        viewer = router.peers[PeerId("p_viewer")]
        assert viewer.consumer_of(TrackId("t_cam")) is not None
        await eventually(lambda: edge_events.offers)
        (to, tracks), *_ = edge_events.offers
        assert to == "p_viewer"
        assert [(t["trackId"], t["participantId"]) for t in tracks] == [("t_cam", "p_performer")]

        loop = asyncio.get_running_loop()
        for seq in range(1, 11):
            camera.on_rtp(packet(seq, KEYFRAME if seq == 1 else DELTA), loop.time())
        await eventually(lambda: piped.stats.received == 10)

        await origin.stop_pipe(ROOM, host, port)  # the last edge viewer left
        await eventually(lambda: PeerId("p_performer") not in router.peers)
        assert viewer.consumer_of(TrackId("t_cam")) is None
    finally:
        await origin.close()
        await edge.close()


async def test_an_h264_stage_is_offered_to_the_edge_s_viewers_in_its_own_profile() -> None:
    origin, edge_events = LocalSfu(["127.0.0.1"], Offers()), Offers()
    edge = LocalSfu(["127.0.0.1"], edge_events)
    await origin.open_room(ROOM)
    await edge.open_room(ROOM)
    try:
        # Constrained Baseline: not the first H.264 profile aiortc lists (42001f), which an
        # edge that knew only the codec's name would offer its viewers instead.
        fmtp = {"level-asymmetry-allowed": 1, "packetization-mode": 1, "profile-level-id": "42e01f"}
        h264 = TapTrack(
            "t_cam", "p_performer", "video", "camera", "video/H264", 90000, 102, 0, fmtp
        )
        origin.routers[ROOM].add_remote_track(h264, [].append)
        await edge.add_peer(ROOM, "p_viewer", subscribe=True)
        host, port = await edge.open_pipe(ROOM)
        await origin.start_pipe(ROOM, host, port)
        await eventually(lambda: edge_events.offers)
        (to, tracks), *_ = edge_events.offers
        assert [t["trackId"] for t in tracks] == ["t_cam"]
        offer = edge_events.sdps[-1]
        video = offer[offer.index("m=video") :]
        assert "profile-level-id=42e01f" in video and "42001f" not in video
        assert "packetization-mode=1" in video and "VP8" not in video
    finally:
        await origin.close()
        await edge.close()


async def test_a_piped_stage_is_not_capped_by_the_weak_links_of_the_origin_s_own_viewers() -> None:
    origin, edge = LocalSfu(["127.0.0.1"], Offers()), LocalSfu(["127.0.0.1"], Offers())
    await origin.open_room(ROOM)
    await edge.open_room(ROOM)
    try:
        router = origin.routers[ROOM]
        router.add_remote_track(CAMERA, [].append)
        await origin.add_peer(ROOM, "p_local", subscribe=True)
        router.peers[PeerId("p_local")].downlink.remb = 400_000.0  # its link, measured
        performer = router.peers[PeerId("p_performer")]
        router._cap_publishers()  # the room's next report
        assert performer._publishing._uplink.cap == 400_000.0  # what its one viewer takes
        host, port = await edge.open_pipe(ROOM)
        await origin.start_pipe(ROOM, host, port)  # an audience on another node too
        router._cap_publishers()
        assert performer._publishing._uplink.cap is None
        await origin.stop_pipe(ROOM, host, port)
        router._cap_publishers()
        assert performer._publishing._uplink.cap == 400_000.0
    finally:
        await origin.close()
        await edge.close()
