"""The SFU link's edge end (signaling/sfu_link.py's `serve_link`) on a real aiohttp server,
driven over a real WebSocket: frames it cannot read are skipped, and the link stays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgpack
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient

from sfu.control import LocalSfu
from sfu.errors import SfuError
from sfu.ids import PeerId, RoomId
from sfu.wire import decode_reply, encode_call
from signaling.rooms import LiveRooms
from signaling.sfu_link import PATH, LinkedSfu, serve_link

KEY = "node-key"
ROOM = "concert"


class Edge:
    """A node's SFU and live rooms, as its app holds them."""

    def __init__(self) -> None:
        self.rooms = LiveRooms(30)
        self.sfu = LocalSfu(["127.0.0.1"], self.rooms)


@pytest.fixture
async def edge(aiohttp_client: Any) -> AsyncIterator[tuple[Edge, TestClient[Any, Any]]]:
    node = Edge()

    async def link(request: web.Request) -> web.StreamResponse:
        return await serve_link(request, node.sfu, node.rooms, KEY)

    app = web.Application()
    app.router.add_get(PATH, link)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    try:
        yield node, client
    finally:
        await client.close()
        await node.sfu.close()


def call(call_id: int, op: str, **kwargs: Any) -> bytes:
    return msgpack.packb(["call", call_id, encode_call(op, kwargs)], use_bin_type=True)


async def reply(ws: Any) -> tuple[int, bytes]:
    """The next reply on the link (its call id and payload)."""
    message = await ws.receive(timeout=5)
    assert message.type == WSMsgType.BINARY, message
    kind, call_id, payload = msgpack.unpackb(message.data, raw=False)
    assert kind == "reply"
    return call_id, payload


async def test_an_unreadable_frame_is_skipped_and_the_link_and_its_watchers_stay(
    edge: tuple[Edge, TestClient[Any, Any]],
) -> None:
    node, client = edge
    ws = await client.ws_connect(PATH, headers={"Authorization": f"Node {KEY}"})
    await ws.send_bytes(call(1, "open_room", room=ROOM))
    await ws.send_bytes(call(2, "add_peer", room=ROOM, peer="p_watcher", subscribe=True))
    assert [decode_reply((await reply(ws))[1]) for _ in range(2)] == [None, None]

    await ws.send_bytes(b"\xc1 not msgpack at all")  # no call id to answer: no reply
    await ws.send_bytes(msgpack.packb(["call", 3]))  # a call without its payload: answered
    call_id, payload = await reply(ws)
    assert call_id == 3
    with pytest.raises(SfuError, match="^unreadable call: not \\[kind, id, payload\\]$"):
        decode_reply(payload)

    await ws.send_bytes(call(4, "tracks", room=ROOM, peer="p_watcher"))
    assert await reply(ws) == (4, msgpack.packb([True, []]))
    assert not ws.closed
    assert ROOM in node.rooms.edges
    assert PeerId("p_watcher") in node.sfu.routers[RoomId(ROOM)].peers
    await ws.close()


class Scripted:
    """An edge that answers each call of the origin as the test says (by call id)."""

    def __init__(self) -> None:
        self.answers: dict[int, list[bytes]] = {}

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            _, call_id, _ = msgpack.unpackb(message.data, raw=False)
            for frame in self.answers.get(call_id, []):
                await ws.send_bytes(frame)
        return ws


def done(call_id: int, value: Any) -> bytes:
    return msgpack.packb(["reply", call_id, msgpack.packb([True, value])], use_bin_type=True)


async def test_the_origin_skips_an_unreadable_frame_and_fails_only_the_call_it_names(
    aiohttp_client: Any,
) -> None:
    edge = Scripted()
    edge.answers = {
        1: [msgpack.packb(["reply", 1])],  # its call id readable, no payload: that call fails
        2: [b"\xc1 garbage", done(2, [])],  # nothing readable, skipped; then the real reply
        3: [],  # never answered: the call gives up after its timeout
        4: [msgpack.packb(["reply", 4, "not bytes"])],
        5: [done(5, ["p_one"])],
    }
    app = web.Application()
    app.router.add_get(PATH, edge.link)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    lost: list[LinkedSfu] = []

    async def on_lost(linked: LinkedSfu) -> None:
        lost.append(linked)

    origin = LinkedSfu(str(client.make_url("")), KEY, LiveRooms(30), on_lost, call_timeout=0.5)
    try:
        with pytest.raises(SfuError, match=r"^unreadable reply: not \[kind, id, payload\]$"):
            await origin.tracks(ROOM, "p_watcher")
        assert await origin.tracks(ROOM, "p_watcher") == []
        with pytest.raises(SfuError, match=r"^the SFU at http://.+ did not answer in 0.5 s$"):
            await origin.tracks(ROOM, "p_watcher")
        with pytest.raises(SfuError, match="^unreadable reply: its payload is not bytes$"):
            await origin.tracks(ROOM, "p_watcher")
        assert await origin.remove_peer(ROOM, "p_one") == ["p_one"]
        assert lost == []  # the link stayed up through all of it
    finally:
        await origin.close()
        await client.close()
