"""An event's tracks piped from the origin node's SFU to an edge's (sfu/pipe.py), over real
UDP sockets on 127.0.0.1 with a relay between them that loses what a test tells it to."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field

import pytest
from aiortc.rtp import RtcpPsfbPacket, RtpPacket

from sfu import rtcp
from sfu.consumer import Consumer, ConsumerParams
from sfu.counters import Counters
from sfu.forwarder import RTP, TRACK
from sfu.ids import ConsumerId, PeerId, TrackId
from sfu.pipe import PipeReceiver, PipeSender, producer_params
from sfu.producer import Producer, ProducerParams
from sfu.rtp import RtpView
from sfu.tap import Tap, TapTrack
from tests.unit.test_consumer import DELTA, KEYFRAME, ListSink, packet
from tests.unit.test_tap import producer
from tests.unit.test_vp8 import descriptor_bytes


@dataclass
class Relay:
    """Between the origin and the edge: forwards both ways, but drops the RTP datagrams whose
    number (counted from 0) is in `drop`."""

    sock: socket.socket
    edge: tuple[str, int]
    drop: set[int] = field(default_factory=set)
    origin: tuple[str, int] | None = None
    rtp_seen: int = 0
    rtp_ssrcs: set[int] = field(default_factory=set)

    def read(self) -> None:
        while True:
            try:
                datagram, source = self.sock.recvfrom(65536)
            except BlockingIOError:
                return
            if source == self.edge:
                if self.origin is not None:
                    self.sock.sendto(datagram, self.origin)
                continue
            self.origin = source
            if datagram[:1] == RTP:
                self.rtp_seen += 1
                self.rtp_ssrcs.add(int.from_bytes(datagram[10:14], "big"))
                if self.rtp_seen - 1 in self.drop:
                    continue
            self.sock.sendto(datagram, self.edge)


@dataclass
class Edge:
    producers: dict[str, Producer] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    sink: ListSink = field(default_factory=ListSink)
    consumers: list[Consumer] = field(default_factory=list)

    def opened(self, track: TapTrack, feedback: Callable[[bytes], None]) -> Producer:
        made = Producer(
            TrackId(track.id),
            PeerId(track.peer),
            producer_params(track),
            feedback,
            77,
            Counters(),
            asyncio.get_running_loop(),
        )
        self.producers[track.id] = made
        viewer = Consumer(
            ConsumerId(f"c_{track.id}"), PeerId("p_viewer"), made, self.sink, Counters()
        )
        viewer.configure(ConsumerParams(ssrc=5555, payload_type=track.payload_type))
        self.consumers.append(viewer)
        return made

    def close(self, track_id: str) -> None:
        self.closed.append(track_id)
        self.producers.pop(track_id).close()


@pytest.fixture
async def pipe() -> AsyncIterator[tuple[Tap, Edge, Relay, PipeSender, list[bytes]]]:
    loop = asyncio.get_running_loop()
    edge = Edge()
    receiver = PipeReceiver("127.0.0.1", edge.opened, edge.close, loop)
    relay_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay_socket.setblocking(False)
    relay_socket.bind(("127.0.0.1", 0))
    relay = Relay(relay_socket, receiver.address)
    loop.add_reader(relay_socket.fileno(), relay.read)
    sender = PipeSender(relay_socket.getsockname(), loop)
    sender.tap = Tap(sender, Counters())
    try:
        yield sender.tap, edge, relay, sender, []
    finally:
        sender.tap.close()
        sender.close()
        loop.remove_reader(relay_socket.fileno())
        relay_socket.close()
        receiver.close()


async def settle() -> None:
    await asyncio.sleep(0.05)


async def eventually(condition: Callable[[], bool], within: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "not within the time"
        await asyncio.sleep(0.02)


def seqs(sink: ListSink) -> list[int]:
    return [p.sequence_number for p in sink.rtp]


async def test_a_track_piped_becomes_the_edge_s_producer_and_its_packets_arrive(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, _relay, _sender, _ = pipe
    camera = producer("t_cam")
    tap.add(camera)
    await settle()
    assert list(edge.producers) == ["t_cam"]
    assert edge.producers["t_cam"].peer_id == "p_teacher"
    for seq, payload in [(1, KEYFRAME), (2, DELTA), (3, DELTA)]:
        camera.on_rtp(packet(seq, payload), asyncio.get_running_loop().time())
    await settle()
    assert [p.payload for p in edge.sink.rtp] == [KEYFRAME, DELTA, DELTA]
    camera.close()  # the performer unpublished: the edge's producer goes too
    await settle()
    assert edge.closed == ["t_cam"] and edge.producers == {}


async def test_a_packet_lost_between_nodes_is_asked_for_and_resent(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, relay, sender, _ = pipe
    camera = producer("t_cam")
    tap.add(camera)
    await settle()
    relay.drop = {2}  # the third RTP datagram (seq 3) is lost between the nodes
    loop = asyncio.get_running_loop()
    for seq in range(1, 7):
        camera.on_rtp(packet(seq, KEYFRAME if seq == 1 else DELTA), loop.time())
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)  # the edge's NACK goes up, the resend comes down
    assert sender.nacks == 1
    got = sorted(seqs(edge.sink))
    assert got == sorted(set(got)) and len(got) == 6  # every packet, the lost one resent


async def test_a_keyframe_asked_for_at_the_edge_reaches_the_performer(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, _relay, sender, _ = pipe
    feedback: list[bytes] = []  # what the performer's connection is sent
    params = ProducerParams("video", "camera", "0", "video/VP8", 90000, 96, ssrc=1111)
    camera = Producer(
        TrackId("t_cam"), PeerId("p_teacher"), params, feedback.append, 9, Counters(),
        asyncio.get_running_loop(),
    )  # fmt: skip
    tap.add(camera)
    loop = asyncio.get_running_loop()
    camera.on_rtp(packet(1, KEYFRAME), loop.time())
    camera.on_rtp(packet(2, DELTA), loop.time())
    await settle()
    feedback.clear()
    before = sender.keyframe_requests
    edge.producers["t_cam"].request_keyframe(joining=True)  # a viewer joined at the edge
    # The edge asks at once; the origin folds it into its next PLI to the performer, a
    # second after the one its own hidden consumer asked for when it began.
    await asyncio.sleep(1.2)
    assert sender.keyframe_requests == before + 1
    plis = [p for d in feedback for p in rtcp.parse(d) if isinstance(p, RtcpPsfbPacket)]
    assert [p.media_ssrc for p in plis] == [1111]


class Layer:
    """One simulcast encoding of the performer's camera, a frame a packet, each payload
    ending in the layer's RID so the edge can tell which layer reached it."""

    def __init__(self, ssrc: int, rid: str, seq: int, ts: int) -> None:
        self.ssrc, self.rid, self.seq, self.ts = ssrc, rid, seq, ts
        self.picture_id = 100

    def frame(self, keyframe: bool = False) -> RtpView:
        self.seq, self.ts = (self.seq + 1) & 0xFFFF, (self.ts + 3000) & 0xFFFFFFFF
        self.picture_id += 1
        tag = b"\x00" if keyframe else b"\x01"
        rtp = RtpPacket(payload_type=96, sequence_number=self.seq, timestamp=self.ts, marker=1)
        rtp.ssrc = self.ssrc
        rtp.payload = descriptor_bytes(self.picture_id, self.picture_id & 0xFF, 0) + tag
        rtp.payload += self.rid.encode()
        return RtpView(rtp.serialize())


def plis(feedback: list[bytes]) -> list[int]:
    """The SSRCs the performer was asked for a keyframe of, in order."""
    return [p.media_ssrc for d in feedback for p in rtcp.parse(d) if isinstance(p, RtcpPsfbPacket)]


def simulcast_camera(feedback: list[bytes]) -> tuple[Producer, list[Layer]]:
    """The performer's camera in three layers, smallest first; `feedback` what its connection
    is sent."""
    params = ProducerParams(
        "video", "camera", "0", "video/VP8", 90000, 96, rids=["q", "h", "f"], rid_id=10
    )
    camera = Producer(
        TrackId("t_cam"), PeerId("p_performer"), params, feedback.append, 9, Counters(),
        asyncio.get_running_loop(),
    )  # fmt: skip
    layers = [Layer(1000, "q", 100, 10), Layer(2000, "h", 40_000, 20), Layer(3000, "f", 9, 30)]
    for layer in layers:
        camera.learn_ssrc(layer.ssrc, layer.rid, rtx=False)
    return camera, layers


def arrived(edge: Edge) -> list[str]:
    """Each packet the edge's viewer got: its layer, and K for a keyframe."""
    return [p.payload[-1:].decode() + ("K" if p.payload[6] == 0 else "") for p in edge.sink.rtp]


async def test_only_the_largest_layer_arriving_crosses_and_the_pipe_follows_it_down_and_up(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, relay, _sender, _ = pipe
    feedback: list[bytes] = []
    camera, (q, h, f) = simulcast_camera(feedback)
    tap.add(camera)
    await eventually(lambda: "t_cam" in edge.producers)
    t = asyncio.get_running_loop().time()

    def send(*views: RtpView) -> None:
        for view in views:
            camera.on_rtp(view, t)

    # All three layers arrive: only the largest crosses.
    send(q.frame(True), h.frame(True), f.frame(True), q.frame(), h.frame(), f.frame())
    tap.follow_layers(t)
    await eventually(lambda: len(edge.sink.rtp) >= 2)
    assert arrived(edge) == ["fK", "f"]

    # The performer's uplink drops its top layer: the pipe takes the next from its keyframe.
    feedback.clear()
    t += 2.0
    send(q.frame(), h.frame())
    tap.follow_layers(t)
    await eventually(lambda: bool(feedback))
    assert plis(feedback) == [2000]
    send(h.frame(), h.frame(True), q.frame(), h.frame())
    await eventually(lambda: len(edge.sink.rtp) >= 4)
    assert arrived(edge) == ["fK", "f", "hK", "h"]

    # It comes back: up again, at its keyframe.
    feedback.clear()
    t += 0.1
    send(f.frame(), h.frame())
    tap.follow_layers(t)
    await eventually(lambda: bool(feedback))  # f's last request was lately: it comes in turn
    assert plis(feedback) == [3000]
    send(f.frame(True), h.frame(), f.frame())
    await eventually(lambda: len(edge.sink.rtp) >= 7)
    assert arrived(edge) == ["fK", "f", "hK", "h", "h", "fK", "f"]

    # One stream crossed: one SSRC, its sequence numbers gapless across both switches.
    assert relay.rtp_ssrcs == {edge.producers["t_cam"].encodings[0].ssrc}
    got = seqs(edge.sink)
    assert got == [(got[0] + i) & 0xFFFF for i in range(len(got))]


async def test_a_camera_published_while_piped_crosses_on_its_largest_layer_from_the_start(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, _relay, _sender, _ = pipe
    feedback: list[bytes] = []
    camera, (q, h, f) = simulcast_camera(feedback)
    tap.add(camera)  # published: nothing of it has arrived yet
    loop = asyncio.get_running_loop()
    tap.follow_layers(loop.time())  # the room's next report comes first
    await eventually(lambda: "t_cam" in edge.producers)
    assert plis(feedback) == [3000]  # the tap's consumer asks for the largest
    for view in (q.frame(True), h.frame(True), f.frame(True), q.frame(), h.frame(), f.frame()):
        camera.on_rtp(view, loop.time())
    tap.follow_layers(loop.time())
    await eventually(lambda: len(edge.sink.rtp) >= 2)
    assert arrived(edge) == ["fK", "f"]


async def test_an_h264_stage_reaches_the_edge_with_its_profile_and_packetization_mode(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, _relay, _sender, _ = pipe
    fmtp: dict[str, object] = {
        "level-asymmetry-allowed": 1,
        "packetization-mode": 1,
        "profile-level-id": "42e01f",
    }
    params = ProducerParams(
        "video", "camera", "0", "video/H264", 90000, 102, ssrc=1111, codec_parameters=fmtp
    )
    camera = Producer(
        TrackId("t_cam"), PeerId("p_performer"), params, [].append, 9, Counters(),
        asyncio.get_running_loop(),
    )  # fmt: skip
    tap.add(camera)
    await eventually(lambda: "t_cam" in edge.producers)
    piped = edge.producers["t_cam"].params
    assert (piped.mime_type, piped.payload_type, piped.codec_parameters) == (
        "video/H264",
        102,
        fmtp,
    )


async def test_a_stereo_microphone_stays_stereo_at_the_edge(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, _relay, _sender, _ = pipe
    tap.add(producer("t_mic", "audio", stereo=True))
    await eventually(lambda: "t_mic" in edge.producers)
    assert edge.producers["t_mic"].stereo


async def test_a_description_with_fields_this_node_does_not_know_still_opens_its_track(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    _tap, edge, relay, _sender, _ = pipe
    described = asdict(
        TapTrack("t_cam", "p_performer", "video", "camera", "video/VP8", 90000, 96, 0)
    )
    described["layers"] = 3  # from an origin of a later version
    newer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        newer.sendto(TRACK + b"\x07" + json.dumps(described).encode(), relay.edge)
        await eventually(lambda: bool(edge.producers))
    finally:
        newer.close()
    assert list(edge.producers) == ["t_cam"]


async def test_a_channel_freed_by_a_track_that_ended_carries_the_next_track_s_nacks(
    pipe: tuple[Tap, Edge, Relay, PipeSender, list[bytes]],
) -> None:
    tap, edge, relay, sender, _ = pipe
    first = producer("t_first")
    tap.add(first)
    await eventually(lambda: "t_first" in edge.producers)
    first.close()
    await eventually(lambda: bool(edge.closed))
    assert edge.closed == ["t_first"] and sender.track_of(0) is None
    second = producer("t_second")
    tap.add(second)
    await eventually(lambda: "t_second" in edge.producers)
    assert sender.track_of(0) == "t_second"  # the channel the first one had
    relay.drop = {relay.rtp_seen + 2}  # second's third packet is lost between the nodes
    loop = asyncio.get_running_loop()
    for seq in range(1, 7):
        second.on_rtp(packet(seq, KEYFRAME if seq == 1 else DELTA), loop.time())
        await asyncio.sleep(0.005)
    await eventually(lambda: len(edge.sink.rtp) == 6)  # the edge's NACK went to second
    assert sender.nacks == 1
    got = seqs(edge.sink)
    assert sorted(got) == [(min(got) + i) & 0xFFFF for i in range(6)]
