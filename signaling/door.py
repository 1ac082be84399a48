"""Any node is a door: a connection whose room another node holds is relayed there.

The browser (or bot) keeps its one WebSocket to whichever node the load balancer chose; that
node opens a WebSocket of its own to the owner and copies text frames both ways. Only the
signalling passes through: the owner's `joined` carries the owner's ICE candidates, so the
media goes straight to the node that forwards it. When either side closes, the other is
closed with the same code (a code the wire cannot carry, as after the owner's death, becomes
1012 "service restart": the page reconnects, and the door finds the room's new node).

A relayed connection is marked (`RELAYED_BY`, with the node key: a browser cannot claim to
be a door) and never relayed again: if the room moved meanwhile, the owner closes it with
1012 and the page's next try goes to the right node.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import (
    ClientError,
    ClientSession,
    ClientTimeout,
    ClientWebSocketResponse,
    WSCloseCode,
    WSMsgType,
    web,
)

from .room_calls import from_node

logger = logging.getLogger(__name__)

RELAYED_BY = "X-Classroom-Relayed-By"
"""Header of a relayed connection: the door node's id."""
RELAY_HEARTBEAT = 3.0
"""Seconds between the door's pings to the owner."""
_UNSENDABLE = {
    WSCloseCode.ABNORMAL_CLOSURE,  # 1006: the owner died or the network broke
    1005,  # no status received
    1015,  # TLS handshake
}


class Door:
    """The relays this node runs, on one HTTP client; `close` ends them all (a stop)."""

    def __init__(self, node: str, max_frame: int, key: str) -> None:
        """`key`: the district's node key (signaling/room_calls.py), shown to the owner."""
        self._node = node
        self._key = key
        self._max_frame = max_frame
        self._http: ClientSession | None = None
        self._clients: set[web.WebSocketResponse] = set()
        self._closed = False

    def relayed_by(self, request: web.Request) -> str | None:
        """The door node a connection came through (None: straight from a browser). The
        header counts only with the node key: a page naming a node would otherwise choose
        which node's SFU carries its media, and never be relayed to its room."""
        door = request.headers.get(RELAYED_BY)
        return door if door is not None and from_node(request, self._key) else None

    @property
    def relays(self) -> int:
        """Connections relayed now."""
        return len(self._clients)

    async def relay(self, client: web.WebSocketResponse, owner_url: str, first: str) -> None:
        """Carry `client` to the owner: `first` (the join) then every frame, until one side
        closes."""
        if self._closed:
            await client.close(code=WSCloseCode.SERVICE_RESTART)
            return
        if self._http is None:
            # A machine that died answers nothing: give up on it in seconds, not minutes.
            self._http = ClientSession(timeout=ClientTimeout(total=None, sock_connect=2))
        url = owner_url.rstrip("/").replace("http", "ws", 1) + "/ws"
        try:
            upstream = await self._http.ws_connect(
                url,
                headers={RELAYED_BY: self._node, "Authorization": f"Node {self._key}"},
                max_msg_size=self._max_frame,
                # A ping every 3 s, its pong due within 1.5: a dead owner is noticed well
                # inside the 10 s the pages have to be back in their lesson.
                heartbeat=RELAY_HEARTBEAT,
            )
        except (ClientError, OSError, TimeoutError) as exc:
            logger.warning("cannot reach the room's node at %s: %s", url, exc)
            await client.close(code=WSCloseCode.SERVICE_RESTART)
            return
        self._clients.add(client)
        try:
            await upstream.send_str(first)
            await _pipe(client, upstream)
        finally:
            self._clients.discard(client)
            await upstream.close()

    async def close_relays(self) -> None:
        """The door node is stopping: its pages reconnect (and another node is their door);
        the owner keeps their places for its resume window meanwhile."""
        await asyncio.gather(
            *(c.close(code=WSCloseCode.SERVICE_RESTART) for c in list(self._clients)),
            return_exceptions=True,
        )

    async def close(self) -> None:
        self._closed = True
        if self._http is not None:
            await self._http.close()


async def _pipe(client: web.WebSocketResponse, upstream: ClientWebSocketResponse) -> None:
    down = asyncio.ensure_future(_copy_down(upstream, client))
    up = asyncio.ensure_future(_copy_up(client, upstream))
    try:
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        down.cancel()
        up.cancel()
        await asyncio.gather(down, up, return_exceptions=True)
    if upstream.closed and not client.closed:
        code = upstream.close_code
        if code is None or code in _UNSENDABLE:
            code = WSCloseCode.SERVICE_RESTART
        await client.close(code=code)
    elif not upstream.closed:
        await upstream.close()


async def _copy_down(upstream: ClientWebSocketResponse, client: web.WebSocketResponse) -> None:
    async for message in upstream:
        if message.type == WSMsgType.TEXT:
            await client.send_str(message.data)
        elif message.type == WSMsgType.ERROR:
            return


async def _copy_up(client: web.WebSocketResponse, upstream: ClientWebSocketResponse) -> None:
    async for message in client:
        if message.type == WSMsgType.TEXT:
            await upstream.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await upstream.send_bytes(message.data)  # the owner answers it with its error
        elif message.type == WSMsgType.ERROR:
            return
