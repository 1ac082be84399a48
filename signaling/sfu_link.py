"""One node driving another's SFU: the SFU's calls and events over a WebSocket between nodes.

An event's origin node keeps its whole room in its own signalling, but the audience members
who came in through another node's door are given peers in that node's SFU (signaling/
cascade.py), which the stage reaches through a pipe (sfu/pipe.py). The origin calls that SFU
as it calls its own worker processes (sfu/wire.py's msgpack: `["call", id, payload]`, answered
`["reply", id, payload]`), over `/internal/sfu` on the edge node, with the district's node
key; the edge sends back its SFU's events for the rooms the origin opened there
(`["event", name, kwargs]`): the subscribe offers, failed peers and video qualities of those
peers. It keeps its own opinion of who speaks and what layers are watched out of it: the
origin, which has the stage, decides those.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack
from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType, web

from sfu.control import SfuControl, SfuEvents
from sfu.errors import SfuError
from sfu.wire import WireSfu, dispatch_event, error_reply, serve_call

from .rooms import LiveRooms

logger = logging.getLogger(__name__)

PATH = "/internal/sfu"
EDGE_EVENTS = ("subscribe_offer", "peer_failed", "video_quality")
"""What an edge tells the origin about the peers it holds for it."""
CALL_TIMEOUT = 30.0
"""Seconds the origin waits for an edge's answer to one call: a reply lost (a frame the
origin could not read, a bug on the edge) fails that call rather than hang its caller
(a join, a room's close); an SFU call that is merely slow under load takes well under it."""


class Closed(SfuError):
    """The link to the other node is down."""


def _pack(message: list[Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


class UnreadableFrame(ValueError):
    """A frame of the link that is not msgpack's `[kind, id, payload]`."""

    def __init__(self, reason: str, call_id: int | None = None) -> None:
        super().__init__(reason)
        self.call_id = call_id
        """The call it claims to be, when that much can be read: its caller is answered."""


def unpack_frame(data: bytes) -> tuple[str, Any, Any]:
    """A frame's kind and its two fields; UnreadableFrame when it is not one."""
    try:
        message = msgpack.unpackb(data, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise UnreadableFrame(f"not msgpack: {exc}") from exc
    if isinstance(message, list) and len(message) == 3 and isinstance(message[0], str):
        return message[0], message[1], message[2]
    call_id = None
    if isinstance(message, list) and len(message) > 1 and isinstance(message[1], int):
        call_id = message[1]
    raise UnreadableFrame("not [kind, id, payload]", call_id)


class _LinkEvents:
    """SfuEvents of the rooms an origin opened here: sent to it, in order."""

    def __init__(self, outbox: asyncio.Queue[bytes]) -> None:
        self._outbox = outbox

    def _send(self, name: str, **kwargs: Any) -> None:
        if name in EDGE_EVENTS:
            self._outbox.put_nowait(_pack(["event", name, kwargs]))

    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        self._send("subscribe_offer", room=room, peer=peer, sdp=sdp, tracks=tracks)

    def peer_failed(self, room: str, peer: str) -> None:
        self._send("peer_failed", room=room, peer=peer)

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        self._send("video_quality", room=room, peer=peer, track=track, quality=quality)

    def active_speaker(self, room: str, peer: str | None) -> None:
        return None

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        return None


async def serve_link(
    request: web.Request, sfu: SfuControl, rooms: LiveRooms, key: str
) -> web.WebSocketResponse:
    """The edge's end: another node's calls into this node's SFU, and the events back. The
    rooms it opened here close when the link does (the origin went away)."""
    given = request.headers.get("Authorization", "").removeprefix("Node ")
    if not hmac.compare_digest(given.encode(), key.encode()):
        raise web.HTTPForbidden(text="not a node of this district")
    ws = web.WebSocketResponse(heartbeat=10, max_msg_size=16 * 1024 * 1024)
    await ws.prepare(request)
    outbox: asyncio.Queue[bytes] = asyncio.Queue()
    events = _LinkEvents(outbox)
    opened: set[str] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def write() -> None:
        while True:
            data = await outbox.get()
            await ws.send_bytes(data)

    async def handle(call_id: int, payload: bytes) -> None:
        try:
            op, kwargs = msgpack.unpackb(payload, raw=False)
            if op == "open_room":
                rooms.edges[kwargs["room"]] = events
                opened.add(kwargs["room"])
            reply = await serve_call(sfu, payload)
            if op == "close_room":
                rooms.edges.pop(kwargs["room"], None)
                rooms.guests.pop(kwargs["room"], None)
                opened.discard(kwargs["room"])
            elif op in ("add_peer", "remove_peer") and kwargs["room"] in opened:
                if msgpack.unpackb(reply, raw=False)[0] is True:  # done, not refused
                    room, change = kwargs["room"], 1 if op == "add_peer" else -1
                    rooms.guests[room] = max(0, rooms.guests.get(room, 0) + change)
        except Exception:  # a bug fails the call, not the link and its other rooms
            logger.exception("a linked SFU call failed")
            reply = error_reply("SfuError", "internal error in the linked SFU")
        outbox.put_nowait(_pack(["reply", call_id, reply]))

    writer = asyncio.get_running_loop().create_task(write())
    try:
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue
            try:
                kind, call_id, payload = unpack_frame(message.data)
            except UnreadableFrame as exc:
                # One bad frame (a bug, a version apart) must not close the link: that would
                # close every room the origin opened here, and fail all their watchers.
                logger.warning("an unreadable frame on the SFU link skipped: %s", exc)
                if exc.call_id is not None:
                    reply = error_reply("SfuError", f"unreadable call: {exc}")
                    outbox.put_nowait(_pack(["reply", exc.call_id, reply]))
                continue
            if kind == "call":
                task = asyncio.get_running_loop().create_task(handle(call_id, payload))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        for room in opened:
            if rooms.edges.get(room) is events:
                del rooms.edges[room]
                rooms.guests.pop(room, None)
                await sfu.close_room(room)
    return ws


class LinkedSfu(WireSfu):
    """The origin's end: another node's SFU as an SfuControl; its events go to `events`."""

    def __init__(
        self,
        url: str,
        key: str,
        events: SfuEvents,
        lost: Callable[[LinkedSfu], Awaitable[None]] | None = None,
        call_timeout: float = CALL_TIMEOUT,
    ) -> None:
        """`lost`: the link broke while in use (not closed here): what it held is gone."""
        super().__init__(self._exchange)
        self.url = url
        self._call_timeout = call_timeout
        self._lost = lost
        self._closing = False
        self._key = key
        self._events = events
        self._http: ClientSession | None = None
        self._ws: ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._connecting = asyncio.Lock()

    async def _connect(self) -> ClientWebSocketResponse:
        async with self._connecting:
            if self._ws is not None and not self._ws.closed:
                return self._ws
            if self._http is None:
                self._http = ClientSession()
            target = self.url.rstrip("/").replace("http", "ws", 1) + PATH
            try:
                self._ws = await self._http.ws_connect(
                    target, headers={"Authorization": f"Node {self._key}"}, heartbeat=10
                )
            except Exception as exc:
                raise Closed(f"cannot reach the SFU of {self.url}: {exc}") from exc
            self._reader = asyncio.get_running_loop().create_task(self._read(self._ws))
            return self._ws

    async def _exchange(self, payload: bytes) -> bytes:
        ws = await self._connect()
        call_id = next(self._ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            await ws.send_bytes(_pack(["call", call_id, payload]))
            async with asyncio.timeout(self._call_timeout):
                return await future
        except TimeoutError:
            raise SfuError(
                f"the SFU at {self.url} did not answer in {self._call_timeout:g} s"
            ) from None
        finally:
            self._pending.pop(call_id, None)

    async def _read(self, ws: ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type != WSMsgType.BINARY:
                    continue
                try:
                    kind, first, second = unpack_frame(message.data)
                except UnreadableFrame as exc:
                    # As on the edge's end: one bad frame fails at most its own call, not
                    # the link (closing it would fail every watcher of every room on it).
                    logger.warning("an unreadable frame from the SFU at %s: %s", self.url, exc)
                    if exc.call_id is not None:
                        self._fail(exc.call_id, SfuError(f"unreadable reply: {exc}"))
                    continue
                if kind == "reply" and not isinstance(first, int):
                    logger.warning("a reply without a call id from the SFU at %s", self.url)
                elif kind == "reply" and not isinstance(second, bytes):
                    self._fail(first, SfuError("unreadable reply: its payload is not bytes"))
                elif kind == "reply":
                    future = self._pending.get(first)
                    if future is not None and not future.done():
                        future.set_result(second)
                elif kind == "event":
                    try:
                        dispatch_event(self._events, first, second)
                    except Exception:
                        logger.exception("an event of the SFU at %s failed", self.url)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(Closed(f"the link to {self.url} closed"))
            if not self._closing and self._lost is not None:
                await self._lost(self)

    def _fail(self, call_id: int, error: SfuError) -> None:
        future = self._pending.get(call_id)
        if future is not None and not future.done():
            future.set_exception(error)

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
