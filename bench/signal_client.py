"""A client for the signalling WebSocket (docs/protocol.md): requests, responses and events."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

Message = dict[str, Any]
EventHandler = Callable[[Message], Awaitable[None]]


class SignalError(Exception):
    """The server answered a request with ``{"type": "error"}``."""

    def __init__(self, code: str, message: str, request_type: str) -> None:
        super().__init__(f"{request_type}: {code}: {message}")
        self.code = code
        self.message = message
        self.request_type = request_type


class SignalClosed(ConnectionError):
    """The WebSocket closed while a request waited for its response."""


def ws_url(server_url: str) -> str:
    """The WebSocket URL for a server given as ``http://host:port`` (or already ``ws://…/ws``)."""
    url = server_url.rstrip("/")
    if url.startswith("http"):
        url = "ws" + url[len("http") :]
    return url if url.endswith("/ws") else url + "/ws"


class SignalClient:
    """One WebSocket to the server.

    Requests get an increasing integer ``id`` and wait for the response carrying it; an
    ``error`` response raises ``SignalError`` with its ``code``. Everything without a pending
    ``id`` is an event: it is kept in ``events`` (for ``wait_for``) and handed, in arrival
    order, to the handler registered for its type by one worker task, so a slow handler (an
    SDP answer) never stalls reading.
    """

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        session: aiohttp.ClientSession,
        owns_session: bool,
    ) -> None:
        self.events: list[Message] = []
        self.close_code: int | None = None
        self.handler_errors: list[BaseException] = []
        self._ws = ws
        self._session = session
        self._owns_session = owns_session
        self._next_id = 1
        self._pending: dict[int, tuple[str, asyncio.Future[Message]]] = {}
        self._waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []
        self._handlers: dict[str, EventHandler] = {}
        self._dispatch: asyncio.Queue[Message | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self._worker = asyncio.create_task(self._work())

    @classmethod
    async def connect(
        cls, server_url: str, *, session: aiohttp.ClientSession | None = None
    ) -> "SignalClient":
        """Open the WebSocket of the server at ``server_url`` (``http://127.0.0.1:PORT``)."""
        owns = session is None
        session = session or aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(ws_url(server_url), heartbeat=None)
        except BaseException:
            if owns:
                await session.close()
            raise
        return cls(ws, session, owns)

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def wait_closed(self) -> int | None:
        """Until the server closes the socket: its close code."""
        await asyncio.shield(self._reader)
        return self.close_code

    def on(self, event_type: str, handler: EventHandler) -> None:
        """Run ``handler`` for every future event of ``event_type`` (one at a time)."""
        self._handlers[event_type] = handler

    async def send(self, message: Message) -> None:
        """Send a message that has no response (``subscribe_answer``)."""
        await self._ws.send_str(json.dumps(message))

    async def request(self, message: Message, *, within: float = 10.0) -> Message:
        """Send ``message`` with a fresh ``id`` and return the response that echoes it."""
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        request_type = str(message.get("type"))
        self._pending[request_id] = (request_type, future)
        try:
            await self._ws.send_str(json.dumps({**message, "id": request_id}))
            async with asyncio.timeout(within):
                return await future
        finally:
            self._pending.pop(request_id, None)

    async def wait_for(
        self,
        event_type: str,
        match: Callable[[Message], bool] | None = None,
        *,
        within: float = 10.0,
    ) -> Message:
        """The first event of ``event_type`` (already received or coming) that ``match``es."""

        def wanted(event: Message) -> bool:
            return event.get("type") == event_type and (match is None or match(event))

        for event in self.events:
            if wanted(event):
                return event
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        waiter = (wanted, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(within):
                return await future
        finally:
            self._waiters.remove(waiter)

    # The protocol's requests.

    async def join(
        self, token: str, identities: list[str] | None = None, resume_token: str | None = None
    ) -> Message:
        """``resume_token``: the one of an earlier ``joined``, to take that place back."""
        message: Message = {"type": "join", "token": token}
        if identities is not None:
            message["identities"] = identities
        if resume_token is not None:
            message["resumeToken"] = resume_token
        return await self.request(message)

    async def publish_offer(self, sdp: str, tracks: list[dict[str, str]]) -> str:
        """Send the publish offer; ``tracks`` are ``{"mid", "source"}``. Returns the answer."""
        response = await self.request({"type": "publish_offer", "sdp": sdp, "tracks": tracks})
        return str(response["sdp"])

    async def subscribe_answer(self, sdp: str) -> None:
        await self.send({"type": "subscribe_answer", "sdp": sdp})

    async def unpublish(self, source: str) -> None:
        await self.request({"type": "unpublish", "source": source})

    async def mute(self, source: str, muted: bool) -> None:
        await self.request({"type": "mute", "source": source, "muted": muted})

    async def chat(self, text: str) -> None:
        await self.request({"type": "chat", "text": text})

    async def leave(self) -> None:
        """Leave the room; the server then closes the socket."""
        await self.request({"type": "leave"})

    async def close(self) -> None:
        """Close the socket (if the server has not) and stop the tasks. Idempotent."""
        await self._ws.close()
        await self._reader
        self._dispatch.put_nowait(None)
        await self._worker
        if self._owns_session:
            await self._session.close()

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    self._receive(json.loads(frame.data))
        except Exception:
            logger.exception("signalling reader failed")
        finally:
            self.close_code = self._ws.close_code
            for request_type, future in self._pending.values():
                if not future.done():
                    future.set_exception(SignalClosed(f"socket closed during {request_type}"))
            self._dispatch.put_nowait(None)

    def _receive(self, message: Message) -> None:
        request_id = message.get("id")
        pending = self._pending.get(request_id) if isinstance(request_id, int) else None
        if pending is not None:
            request_type, future = pending
            if future.done():
                return
            if message.get("type") == "error":
                future.set_exception(
                    SignalError(str(message.get("code")), str(message.get("message")), request_type)
                )
            else:
                future.set_result(message)
            return
        self.events.append(message)
        for wanted, future in self._waiters:
            if not future.done() and wanted(message):
                future.set_result(message)
        if message.get("type") in self._handlers:
            self._dispatch.put_nowait(message)

    async def _work(self) -> None:
        while (message := await self._dispatch.get()) is not None:
            handler = self._handlers.get(str(message.get("type")))
            if handler is None:
                continue
            try:
                await handler(message)
            except Exception as exc:
                if self._ws.closed:
                    return  # an offer that met the socket closing: nothing left to answer
                # Recorded, not raised: the bot's owner decides whether it fails the run.
                logger.exception("handler for %s failed", message.get("type"))
                self.handler_errors.append(exc)
