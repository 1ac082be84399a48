"""One participant's WebSocket: one task reads and handles requests, one task writes.

Only the socket and what it joined as live here: coming in is `admission`, leaving and
dropping off `departure`, the requests `media_requests` and `hosting`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from classroom.roster import Participant
from sfu.errors import InvalidSdp, NotFound

from . import (
    admission,
    board_requests,
    breakout_requests,
    departure,
    hosting,
    material_requests,
    media_requests,
    protocol,
)
from .auth import Claims
from .errors import (
    BAD_JSON,
    BAD_MESSAGE,
    BAD_SDP,
    INTERNAL,
    NOT_JOINED,
    ProtocolError,
)
from .routing import Elsewhere
from .server_state import CLOSE_REPLACED, ServerState

logger = logging.getLogger(__name__)


class Session:
    def __init__(
        self, ws: web.WebSocketResponse, state: ServerState, relayed_by: str | None = None
    ) -> None:
        self._ws = ws
        self._state = state
        self.relayed_by = relayed_by
        """The district node that relays this connection (its door); it is not relayed
        again, and a watch-only peer of it is given that node's SFU (signaling/cascade.py)."""
        self._elsewhere: tuple[str, str] | None = None
        """The join asked for a room another node holds: its URL, and the join's text."""
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.participant: Participant | None = None
        self.room: str | None = None
        """Who this connection joined as, and where (None: not in a room)."""
        self.left = False
        """It left, was replaced or dropped off: nothing more is read from it."""
        self.closed_by_server = False
        self.resume_token = ""
        """What a connection of the same client shows to take this one's place after a drop
        (sent in `joined`)."""
        self.stay: int | None = None
        """The attendance record of this stay (None: none open)."""
        self.starting: tuple[protocol.Request, Claims] | None = None
        """Joined before the session's start: the join request, replayed when it starts."""
        self.waiting: tuple[protocol.Request, Claims, str] | None = None
        """In the lobby: the join request, its claims and the participant id it will get."""
        self.sign_in: str | None = None
        """The sign-in the join's token came from (closed when it ends)."""
        self._closing: set[asyncio.Task[bool]] = set()

    @property
    def state(self) -> ServerState:
        return self._state

    # --- the two tasks -----------------------------------------------------------------

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        self._state.sessions.add(self)
        try:
            async for message in self._ws:
                if message.type == WSMsgType.TEXT:
                    await self._handle_text(message.data)
                    if self.left:
                        break
                elif message.type == WSMsgType.BINARY:
                    self.send_error(None, BAD_JSON, "binary frames are not part of the protocol")
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._state.sessions.discard(self)
            # Leaving (or going away) runs to its end even when aiohttp cancels this handler
            # because its client is gone: it tells the room and writes to the classroom.
            leaving = self._state.spawn(self._depart())
            try:
                await asyncio.shield(leaving)
            finally:
                self._outbox.put_nowait(None)
            await writer
        if self._elsewhere is not None and self._state.door is not None:
            await self._state.door.relay(self._ws, *self._elsewhere)

    async def _depart(self) -> None:
        if departure.may_come_back(self):
            await departure.go_away(self)
        else:
            await departure.leave(self)

    async def _write(self) -> None:
        while (message := await self._outbox.get()) is not None:
            if self._ws.closed:
                continue
            try:
                await self._ws.send_json(message)
            except (ConnectionError, RuntimeError):
                continue  # the socket is going away; the reader will notice and clean up

    def send(self, message: dict[str, Any]) -> None:
        self._outbox.put_nowait(message)

    def close_soon(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        self.closed_by_server = True
        task = asyncio.get_running_loop().create_task(self._ws.close(code=code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def session_started(self) -> None:
        """The session this connection waited for went live: join now."""
        admission.session_started(self)

    def admitted(self) -> None:
        """A host let this connection in from the lobby: join now."""
        admission.admitted(self)

    def replaced(self) -> None:
        """This person joined again elsewhere: forget them here (already removed) and close."""
        self.left = True
        self.close_soon(CLOSE_REPLACED)

    def send_error(self, request_id: protocol.RequestId, code: str, message: str) -> None:
        self._state.errors_sent[code] = self._state.errors_sent.get(code, 0) + 1
        self.send(protocol.error_message(request_id, code, message))

    # --- requests ----------------------------------------------------------------------

    async def _handle_text(self, text: str) -> None:
        request_id: protocol.RequestId = None
        try:
            request = protocol.decode(text)
            request_id = request.id
            await self._dispatch(request)
        except ProtocolError as error:
            self.send_error(
                error.request_id if request_id is None else request_id, error.code, error.message
            )
        except Elsewhere as moved:
            self.left = True  # nothing more is read here
            if self.relayed_by is not None or self._state.door is None:
                # Moved while being relayed here: the page's next try finds the new node.
                self.close_soon(WSCloseCode.SERVICE_RESTART)
            else:
                self._elsewhere = (moved.url, text)
        except InvalidSdp as error:
            self.send_error(request_id, BAD_SDP, str(error))
        except NotFound as error:
            self.send_error(request_id, BAD_MESSAGE, str(error))
        except Exception:
            logger.exception("request failed")
            self.send_error(request_id, INTERNAL, "the server failed to handle this request")

    async def _dispatch(self, request: protocol.Request) -> None:
        if request.type == "join":
            await admission.join(self, request)
            return
        if request.type == "leave" and (self.waiting is not None or self.starting is not None):
            # Tired of waiting (for the start, or in the lobby): leave as from the room.
            self.send({"type": "ok", "id": request.id})
            await departure.leave(self)
            self.close_soon(WSCloseCode.OK)
            return
        if self.participant is None or self.room is None:
            raise ProtocolError(NOT_JOINED, "send 'join' first")
        if request.type == "leave":
            await self._leave_request(request)
            return
        handler = (
            media_requests.HANDLERS.get(request.type)
            or material_requests.HANDLERS.get(request.type)
            or board_requests.HANDLERS.get(request.type)
            or breakout_requests.HANDLERS.get(request.type)
            or hosting.HANDLERS[request.type]
        )
        await handler(self, request, self.participant, self.room)

    # --- dropping off and coming back --------------------------------------------------

    async def _leave_request(self, request: protocol.Request) -> None:
        self.send({"type": "ok", "id": request.id})
        await departure.leave(self)
        self.close_soon(WSCloseCode.OK)

    # --- leaving -----------------------------------------------------------------------
