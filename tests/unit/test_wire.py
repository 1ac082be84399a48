"""SFU commands travel as msgpack: a WireSfu over a loopback behaves like the LocalSfu."""

import asyncio
from typing import Any

import msgpack
import pytest

from sfu.control import LocalSfu
from sfu.errors import NotFound
from sfu.process import SfuProcess
from sfu.wire import WireSfu, encode_call, read_frame, serve_call
from sfu.worker import PipeEvents


class NoEvents:
    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        raise AssertionError("no subscriber in this test")

    def peer_failed(self, room: str, peer: str) -> None:
        raise AssertionError("no media in this test")

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        raise AssertionError("no downlink in this test")

    def active_speaker(self, room: str, peer: str | None) -> None:
        raise AssertionError("no audio in this test")

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        raise AssertionError("no simulcast in this test")


class HeardEvents(NoEvents):
    def __init__(self) -> None:
        self.speakers: list[tuple[str, str | None]] = []

    def active_speaker(self, room: str, peer: str | None) -> None:
        self.speakers.append((room, peer))


class Pipe:
    """Where a worker's PipeEvents write: the frames, fed to the parent's reader."""

    def __init__(self) -> None:
        self.reader = asyncio.StreamReader()

    def write(self, data: bytes) -> None:
        self.reader.feed_data(data)


async def test_commands_and_results_round_trip_through_msgpack() -> None:
    local = LocalSfu(["127.0.0.1"], NoEvents())
    frames: list[bytes] = []

    async def loopback(data: bytes) -> bytes:
        frames.append(data)
        return await serve_call(local, data)

    sfu = WireSfu(loopback)
    await sfu.open_room("7b")
    await sfu.add_peer("7b", "p_1", True)
    assert await sfu.tracks("7b", "p_1") == []
    stats = await sfu.stats()
    assert (stats["rooms"], stats["peers"], stats["packets_out"]) == (1, 1, 0)
    assert await sfu.remove_peer("7b", "p_1") == []
    assert msgpack.unpackb(frames[1]) == [
        "add_peer",
        {"room": "7b", "peer": "p_1", "subscribe": True, "publishers": None, "priority": 0},
    ]
    await local.close()


async def test_an_sfu_error_crosses_the_wire_as_the_same_class() -> None:
    local = LocalSfu(["127.0.0.1"], NoEvents())
    sfu = WireSfu(lambda data: serve_call(local, data))
    with pytest.raises(NotFound, match="no room nowhere"):
        await sfu.tracks("nowhere", "p_1")


def test_unknown_commands_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="unknown SFU command 'format_disk'"):
        encode_call("format_disk", {})


async def test_forwarding_a_room_twice_to_one_port_keeps_its_one_tap() -> None:
    local = LocalSfu(["127.0.0.1"], NoEvents())
    sfu = WireSfu(lambda data: serve_call(local, data))
    await sfu.open_room("concert")
    router = local.routers[next(iter(local.routers))]
    await sfu.start_forwarding("concert", 40001)
    (first,) = router.taps
    await sfu.start_forwarding("concert", 40001)  # the next one to join asks again
    assert router.taps == [first]
    await sfu.start_forwarding("concert", 40002)  # a restarted broadcast: its new port
    (second,) = router.taps
    assert second is not first and first.closed
    await sfu.stop_forwarding("concert")
    assert router.taps == [] and second.closed
    await sfu.stop_forwarding("concert")  # nothing to stop: no error
    with pytest.raises(NotFound):
        await sfu.start_forwarding("nowhere", 40001)
    await local.close()


async def test_the_active_speaker_crosses_the_pipe_from_worker_to_parent() -> None:
    pipe = Pipe()
    worker_side = PipeEvents(pipe)  # type: ignore[arg-type]
    worker_side.active_speaker("7b", "p_2")
    worker_side.active_speaker("7b", None)
    heard = HeardEvents()
    parent = SfuProcess(["127.0.0.1"], heard)
    for _ in range(2):
        kind, name, kwargs = await read_frame(pipe.reader)
        assert (kind, name) == ("event", "active_speaker")
        parent._dispatch(name, kwargs)
    assert heard.speakers == [("7b", "p_2"), ("7b", None)]


async def test_the_layers_watched_cross_the_pipe_from_worker_to_parent() -> None:
    pipe = Pipe()
    PipeEvents(pipe).publish_layers("7b", "p_2", "camera", ["q", "h"])  # type: ignore[arg-type]
    told: list[tuple[str, str, str, list[str]]] = []

    class Told(NoEvents):
        def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
            told.append((room, peer, source, rids))

    parent = SfuProcess(["127.0.0.1"], Told())
    kind, name, kwargs = await read_frame(pipe.reader)
    assert (kind, name) == ("event", "publish_layers")
    parent._dispatch(name, kwargs)
    assert told == [("7b", "p_2", "camera", ["q", "h"])]


async def test_pipes_are_opened_and_started_across_the_wire() -> None:
    edge_local, origin_local = (
        LocalSfu(["127.0.0.1"], NoEvents()),
        LocalSfu(["127.0.0.1"], NoEvents()),
    )
    edge = WireSfu(lambda data: serve_call(edge_local, data))
    origin = WireSfu(lambda data: serve_call(origin_local, data))
    await edge.open_room("concert")
    await origin.open_room("concert")
    host, port = await edge.open_pipe("concert")
    assert host == "127.0.0.1" and port > 0
    await origin.start_pipe("concert", host, port)
    (tap,) = origin_local.routers[next(iter(origin_local.routers))].taps
    await origin.stop_pipe("concert", host, port)
    assert tap.closed
    await edge.close_pipe("concert")
    await edge.close_pipe("concert")  # closed already: nothing happens
    await edge_local.close()
    await origin_local.close()
