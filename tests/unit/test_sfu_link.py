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
from signaling.sfu_link import PATH, serve_link

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
