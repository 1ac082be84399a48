"""The REST API's calls into a live room, made on the node that holds it.

Ending a session, starting it, switching its recording and reading who is in it act on the
live room, which in a district lives on one node; a request reaching any other node is passed
to the owner over HTTP (`/internal/rooms/{room}/{action}`), where the same action runs
locally. Ending sign-ins closes connections on every node. Nodes authenticate each other with
a key derived from the district's shared SECRET (`node_key`), never sent to a browser.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from redis.exceptions import RedisError

from classroom.errors import ClassroomError

from .errors import ProtocolError
from .routing import LocalRouter, Router

logger = logging.getLogger(__name__)

Action = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""(room, arguments) → the answer, run where the room is."""
NODE_UNREACHABLE = "node_unreachable"
CALL_TIMEOUT = ClientTimeout(total=10)
_PATH = "/internal/rooms/{room}/{action}"
_CONTEXT = b"classroom district: a node's call to another"


def node_key(secret: str) -> str:
    """What one node shows another: derived from SECRET, useless as a room token's key."""
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).hexdigest()


def from_node(request: web.Request, key: str) -> bool:
    """Whether the request shows the district's node key (`Authorization: Node <key>`)."""
    given = request.headers.get("Authorization", "").removeprefix("Node ")
    return hmac.compare_digest(given.encode(), key.encode())


class RoomCalls:
    """Actions on live rooms by name (`handle`), run where each room is (`call`)."""

    def __init__(self, secret: str) -> None:
        self.router: Router = LocalRouter()
        """Where rooms are (set when the node joins its district)."""
        self._key = node_key(secret)
        self._actions: dict[str, Action] = {}
        self._http: ClientSession | None = None
        self.nodes: Callable[[], Awaitable[list[str]]] | None = None
        """The other live nodes' URLs (in a district), for calls to all of them."""

    def handle(self, action: str, run: Action) -> None:
        self._actions[action] = run

    async def call(self, action: str, room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """`action` on `room`, where it is (here when it is nowhere)."""
        try:
            url = await self.router.owner(room)
        except RedisError as exc:
            raise ClassroomError(
                NODE_UNREACHABLE, f"the district's directory does not answer: {exc}"
            ) from exc
        if url is None:
            return await self._run(action, room, arguments)
        return await self._post(url, action, room, arguments)

    async def everywhere(self, action: str, arguments: dict[str, Any]) -> None:
        """`action` on this node and on every other live one at once (room "": none in
        particular); a node that fails is logged, the others are not held up by it."""
        await self._run(action, "", arguments)
        try:
            urls = await self.nodes() if self.nodes is not None else []
        except RedisError as exc:
            logger.warning(
                "%s reached this node only: the directory does not answer: %s", action, exc
            )
            return
        results = await asyncio.gather(
            *(self._post(url, action, "", arguments) for url in urls), return_exceptions=True
        )
        for url, result in zip(urls, results, strict=True):
            if isinstance(result, BaseException):
                logger.warning("%s on %s failed: %s", action, url, result)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def _run(self, action: str, room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._actions[action](room, arguments)
        except ProtocolError as exc:
            raise ClassroomError(exc.code, exc.message) from exc

    async def _post(
        self, url: str, action: str, room: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        if self._http is None:
            self._http = ClientSession(timeout=CALL_TIMEOUT)
        target = url.rstrip("/") + _PATH.format(room=room or "-", action=action)
        try:
            async with self._http.post(
                target, json=arguments, headers={"Authorization": f"Node {self._key}"}
            ) as response:
                answer: dict[str, Any] = await response.json()
        except (ClientError, TimeoutError, ValueError) as exc:
            raise ClassroomError(
                NODE_UNREACHABLE, f"the node holding this room does not answer: {exc}"
            ) from exc
        if "error" in answer:
            raise ClassroomError(answer["error"]["code"], answer["error"]["message"])
        return answer

    async def serve(self, request: web.Request) -> web.Response:
        """Another node's call: run the action here."""
        if not from_node(request, self._key):
            raise web.HTTPForbidden(text="not a node of this district")
        action = request.match_info["action"]
        if action not in self._actions:
            raise web.HTTPNotFound(text=f"no action {action!r}")
        room = request.match_info["room"]
        try:
            arguments = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="the call's arguments are not JSON") from None
        try:
            answer = await self._run(action, "" if room == "-" else room, arguments)
        except ClassroomError as exc:
            return web.json_response({"error": {"code": exc.code, "message": exc.message}})
        return web.json_response(answer)

    def add_route(self, app: web.Application) -> None:
        app.router.add_post(_PATH, self.serve)


ROOM_CALLS = web.AppKey("room_calls", RoomCalls)
"""The REST API's calls into live rooms, where each room is."""
