"""An event's tracks piped from the origin node's SFU to an edge's (sfu/pipe.py), over real
UDP sockets on 127.0.0.1 with a relay between them that loses what a test tells it to."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from aiortc.rtp import RtcpPsfbPacket

from sfu import rtcp
from sfu.consumer import Consumer, ConsumerParams
from sfu.counters import Counters
from sfu.forwarder import RTP
from sfu.ids import ConsumerId, PeerId, TrackId
from sfu.pipe import PipeReceiver, PipeSender, producer_params
from sfu.producer import Producer, ProducerParams
from sfu.tap import Tap, TapTrack
from tests.unit.test_consumer import DELTA, KEYFRAME, ListSink, packet
from tests.unit.test_tap import producer


@dataclass
class Relay:
    """Between the origin and the edge: forwards both ways, but drops the RTP datagrams whose
    number (counted from 0) is in `drop`."""

    sock: socket.socket
    edge: tuple[str, int]
    drop: set[int] = field(default_factory=set)
    origin: tuple[str, int] | None = None
    rtp_seen: int = 0

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
