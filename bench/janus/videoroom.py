"""A small Janus HTTP API client: sessions, VideoRoom handles, requests and long-polled events.

Janus answers a plugin ``message`` in one of two ways: synchronous requests (``create``) come
back in the POST's response as ``success``; asynchronous ones (``join``, ``publish``,
``start`` …) are only ``ack``-ed there and their result arrives later as an ``event`` with the
same transaction, on the session's long poll (``GET /janus/<session>``). That long poll is
also the session's keepalive, and carries unsolicited events (new publishers, renegotiations),
which each handle processes in order on its own task so the poll never waits for a handler.
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
Event = dict[str, Any]
EventHandler = Callable[[Event], Awaitable[None]]

_transactions = itertools.count(1)
# Janus ends an idle long poll after 30 s with a keepalive; wait a little longer than that.
_POLL_TIMEOUT = aiohttp.ClientTimeout(total=45)


class JanusError(Exception):
    """A Janus core error (``janus: error``) or a plugin error (``error_code`` in its data)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


def plugin_data(event: Event) -> dict[str, Any]:
    """The plugin's part of a response or event (raises the plugin's error, if it is one)."""
    data: dict[str, Any] = event.get("plugindata", {}).get("data", {})
    if "error_code" in data or "error" in data:
        raise JanusError(data.get("error_code"), str(data.get("error")))
    return data


class JanusSession:
    """One Janus session: plugin handles on it, and the long poll delivering their events."""

    def __init__(self, http: aiohttp.ClientSession, url: str, session_id: int) -> None:
        self.http = http
        self.url = url
        self.id = session_id
        self.handles: dict[int, JanusHandle] = {}
        self.errors: list[str] = []
        """Failures of the poll or of event handlers (a run keeps going; reports show them)."""
        self._waiting: dict[str, asyncio.Future[Event]] = {}
        self._poller = asyncio.create_task(self._poll())

    @classmethod
    async def create(cls, http: aiohttp.ClientSession, url: str) -> "JanusSession":
        response = await post(http, url, {"janus": "create"})
        return cls(http, url, int(response["data"]["id"]))

    async def attach(self, plugin: str = VIDEOROOM) -> "JanusHandle":
        response = await post(
            self.http, f"{self.url}/{self.id}", {"janus": "attach", "plugin": plugin}
        )
        handle = JanusHandle(self, int(response["data"]["id"]))
        self.handles[handle.id] = handle
        return handle

    async def destroy(self) -> None:
        """Stop polling, then tell Janus to drop the session (it hangs up every handle)."""
        # Polling first: a poll still open would outlive the session and end in an error.
        await self.close()
        await post(self.http, f"{self.url}/{self.id}", {"janus": "destroy"})

    async def close(self) -> None:
        """Stop polling and processing events, without telling Janus. Idempotent."""
        tasks = [self._poller, *(h.consumer for h in self.handles.values())]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._waiting.values():
            if not future.done():
                future.cancel()

    async def message(
        self, handle_id: int, body: dict[str, Any], jsep: dict[str, str] | None, within: float
    ) -> Event:
        transaction = f"t{next(_transactions)}"
        # Registered before posting: the event may come on the poll before the POST returns.
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        request: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        try:
            response = await post(self.http, f"{self.url}/{self.id}/{handle_id}", request)
            if response.get("janus") == "success":
                return response
            async with asyncio.timeout(within):
                return await future
        finally:
            self._waiting.pop(transaction, None)

    async def _poll(self) -> None:
        while True:
            try:
                async with self.http.get(
                    f"{self.url}/{self.id}", params={"maxev": "20"}, timeout=_POLL_TIMEOUT
                ) as response:
                    reply = await response.json(content_type=None)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                self.errors.append(f"poll: {error!r}")
                await asyncio.sleep(0.5)
                continue
            events: list[Event] = reply if isinstance(reply, list) else [reply]
            for event in events:
                self._route(event)
            if any(e.get("janus") == "error" for e in events):
                # The session is gone (destroyed or timed out): nothing more will come.
                return

    def _route(self, event: Event) -> None:
        future = self._waiting.get(str(event.get("transaction")))
        if future is not None and event.get("janus") == "event":
            if not future.done():
                future.set_result(event)
            return
        handle = self.handles.get(int(event.get("sender") or 0))
        if handle is not None:
            handle.queue.put_nowait(event)


class JanusHandle:
    """A plugin handle: requests to the plugin, and its unsolicited events in arrival order."""

    def __init__(self, session: JanusSession, handle_id: int) -> None:
        self.session = session
        self.id = handle_id
        self.on_event: EventHandler | None = None
        """Called, one event at a time, with every event not answering a request."""
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.consumer = asyncio.create_task(self._consume())

    async def request(self, body: dict[str, Any], *, within: float = 10.0) -> dict[str, Any]:
        """A plugin request; returns the plugin's data (synchronous or asynchronous alike)."""
        return plugin_data(await self.message(body, within=within))

    async def message(
        self, body: dict[str, Any], jsep: dict[str, str] | None = None, *, within: float = 10.0
    ) -> Event:
        """A plugin request; returns the whole response or event (``jsep`` included)."""
        event = await self.session.message(self.id, body, jsep, within)
        plugin_data(event)
        return event

    async def trickle_completed(self) -> None:
        """Say that every candidate was in the SDP (the bots gather before offering)."""
        await post(
            self.session.http,
            f"{self.session.url}/{self.session.id}/{self.id}",
            {"janus": "trickle", "candidate": {"completed": True}},
        )

    async def _consume(self) -> None:
        while True:
            event = await self.queue.get()
            if self.on_event is None:
                continue
            try:
                await self.on_event(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # reported; one bad event must not end the run
                logger.debug("event handler failed", exc_info=True)
                self.session.errors.append(f"handler: {error!r}")


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one Janus API request; raises ``JanusError`` on a core error."""
    body.setdefault("transaction", f"t{next(_transactions)}")
    async with http.post(url, json=body) as response:
        reply: dict[str, Any] = await response.json(content_type=None)
    if reply.get("janus") == "error":
        error = reply.get("error", {})
        raise JanusError(error.get("code"), str(error.get("reason")))
    return reply


async def server_info(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """``GET /janus/info``."""
    async with http.get(f"{url}/info") as response:
        info: dict[str, Any] = await response.json(content_type=None)
    return info
