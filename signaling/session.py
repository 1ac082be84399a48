"""One participant's WebSocket: one task reads and handles requests, one task writes."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from classroom.errors import ClassroomError
from classroom.moderation import Waiting
from classroom.roster import CHAT_KEPT, ChatMessage, Participant
from sfu.errors import InvalidSdp, NotFound, SfuError

from . import hosting, media_requests, protocol
from .absence import Away
from .auth import Claims
from .errors import (
    ALREADY_JOINED,
    BAD_JSON,
    BAD_MESSAGE,
    BAD_SDP,
    INTERNAL,
    NOT_JOINED,
    REMOVED,
    ROOM_FULL,
    ROOM_LOCKED,
    SIGNED_OUT,
    USE_HLS,
    ProtocolError,
)
from .server_state import CLOSE_REPLACED, ServerState
from .turn import ice_servers

logger = logging.getLogger(__name__)


class Session:
    def __init__(self, ws: web.WebSocketResponse, state: ServerState) -> None:
        self._ws = ws
        self._state = state
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.participant: Participant | None = None
        self.room: str | None = None
        self._left = False
        self._closed_by_server = False
        self._resume_token = ""
        self._closing: set[asyncio.Task[bool]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stay: int | None = None
        self._starting: tuple[protocol.Request, Claims] | None = None
        """Joined before the session's start: the join request, replayed when it starts."""
        self._waiting: tuple[protocol.Request, Claims, str] | None = None
        """In the lobby: the join request, its claims and the participant id it will get."""
        self.sign_in: str | None = None
        """The sign-in the join's token came from (closed when it ends)."""

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
                    if self._left:
                        break
                elif message.type == WSMsgType.BINARY:
                    self._send_error(None, BAD_JSON, "binary frames are not part of the protocol")
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._state.sessions.discard(self)
            if self._may_come_back():
                await self._go_away()
            else:
                await self._leave()
            self._outbox.put_nowait(None)
            await writer

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
        self._closed_by_server = True
        task = asyncio.get_running_loop().create_task(self._ws.close(code=code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def replaced(self) -> None:
        """This person joined again elsewhere: forget them here (already removed) and close."""
        self._left = True
        self.close_soon(CLOSE_REPLACED)

    def _send_error(self, request_id: protocol.RequestId, code: str, message: str) -> None:
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
            self._send_error(
                error.request_id if request_id is None else request_id, error.code, error.message
            )
        except InvalidSdp as error:
            self._send_error(request_id, BAD_SDP, str(error))
        except NotFound as error:
            self._send_error(request_id, BAD_MESSAGE, str(error))
        except Exception:
            logger.exception("request failed")
            self._send_error(request_id, INTERNAL, "the server failed to handle this request")

    async def _dispatch(self, request: protocol.Request) -> None:
        if request.type == "join":
            await self._join(request)
            return
        if request.type == "leave" and (self._waiting is not None or self._starting is not None):
            # Tired of waiting (for the start, or in the lobby): leave as from the room.
            self.send({"type": "ok", "id": request.id})
            await self._leave()
            self.close_soon(WSCloseCode.OK)
            return
        if self.participant is None or self.room is None:
            raise ProtocolError(NOT_JOINED, "send 'join' first")
        if request.type == "leave":
            await self._leave_request(request)
            return
        handler = media_requests.HANDLERS.get(request.type) or hosting.HANDLERS[request.type]
        await handler(self, request, self.participant, self.room)

    async def _join(self, request: protocol.Request) -> None:
        if self.participant is not None or self._waiting is not None or self._starting:
            raise ProtocolError(ALREADY_JOINED, "this connection has already joined")
        claims: Claims = self._state.issuer.verify(request.body["token"])
        alive = self._state.sign_in_alive
        if claims.sign_in is not None and alive and not alive(claims.sign_in, claims.identity):
            raise ProtocolError(SIGNED_OUT, "this link's sign-in has ended: sign in again")
        self.sign_in = claims.sign_in
        rooms = self._state.rooms
        record = self._state.record
        if record is not None:
            try:
                live = record.check_open(claims.room)
            except ClassroomError as exc:
                raise ProtocolError(exc.code, exc.message) from exc
            if not live:
                if not claims.grants.moderate:
                    self._wait_for_start(request, claims)
                    return
                record.host_arrived(claims.room)
                self._state.start_room(claims.room)
        if (
            claims.lobby
            and not claims.grants.moderate
            and claims.identity not in rooms.moderation(claims.room).admitted
        ):
            self._enter_lobby(request, claims)
            return
        # Joins to one room run one at a time: each must see who came before it, or two
        # pupils joining together would each miss the other in their chosen gallery.
        async with rooms.lock(claims.room):
            await self._join_locked(request, claims)

    def _wait_for_start(self, request: protocol.Request, claims: Claims) -> None:
        """Joined before the start: wait, and come in when a host starts the session."""
        self._refuse_if_barred(claims)
        self._starting = (request, claims)
        self._state.rooms.wait_for_start(claims.room, self)
        self.send({"type": "waiting", "id": request.id})

    def session_started(self) -> None:
        """The session went live: replay the early join, in this session's own task."""
        if self._starting is None or self._left:
            return
        request, _ = self._starting
        self._starting = None
        self._join_later(request, lambda: self._join(request))

    def _join_later(self, request: protocol.Request, join: Callable[[], Awaitable[None]]) -> None:
        """Run a deferred join (another session's event let it in) and answer its errors."""

        async def run() -> None:
            try:
                await join()
            except ProtocolError as error:
                self._send_error(request.id, error.code, error.message)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _enter_lobby(self, request: protocol.Request, claims: Claims) -> None:
        self._refuse_if_barred(claims)
        participant_id = "p_" + secrets.token_hex(6)
        moderation = self._state.rooms.moderation(claims.room)
        moderation.lobby[participant_id] = Waiting(
            participant_id, claims.identity, claims.name, time.time()
        )
        self._state.rooms.enter_lobby(claims.room, participant_id, self)
        self._waiting = (request, claims, participant_id)
        self.send({"type": "lobby", "id": request.id, "participantId": participant_id})
        hosting.notify_lobby(self, claims.room)

    def admitted(self) -> None:
        """A host let this session in from the lobby: join now, in its own task."""
        if self._waiting is None or self._left:
            return
        request, claims, participant_id = self._waiting
        self._waiting = None

        async def join() -> None:
            async with self._state.rooms.lock(claims.room):
                await self._join_locked(request, claims, participant_id, admitted=True)

        self._join_later(request, join)

    def _refuse_if_barred(self, claims: Claims) -> None:
        moderation = self._state.rooms.moderation(claims.room)
        record = self._state.record
        if record is not None and record.is_removed(claims.room, claims.identity):
            moderation.removed.add(claims.identity)  # kept across a restart of the server
        refusal = moderation.refusal(claims.identity, claims.grants.moderate)
        if refusal == "removed":
            raise ProtocolError(REMOVED, "a host removed you from this session")
        if refusal == "room_locked":
            raise ProtocolError(ROOM_LOCKED, "the host has locked this session")

    async def _join_locked(
        self,
        request: protocol.Request,
        claims: Claims,
        participant_id: str | None = None,
        admitted: bool = False,
    ) -> None:
        rooms = self._state.rooms
        if admitted:
            # Admitted by a host: only a removal since keeps them out, not the lock.
            if claims.identity in rooms.moderation(claims.room).removed:
                raise ProtocolError(REMOVED, "a host removed you from this session")
        else:
            self._refuse_if_barred(claims)
        record = self._state.record
        over_hls = record is not None and record.audience_over_hls(claims.room)
        if claims.grants.watch_only and over_hls:
            raise ProtocolError(USE_HLS, "this event's audience watches its HLS stream")
        present = rooms.present(claims.room)
        previous = present.by_identity(claims.identity) if present is not None else None
        if previous is not None:
            token = str(request.body.get("resumeToken") or "")
            away = self._state.absences.claim(claims.room, previous.id, token)
            if away is None and token:
                away = await self._take_over(claims.room, previous, token)
            if away is not None:
                await self._come_back(request, claims, away)
                return
            # Same person again (a second tab, or a reconnect after the grace period, or
            # without its token): the newest connection wins.
            dropped = self._state.absences.drop(claims.room, previous.id)
            old = rooms.session(claims.room, previous.id)
            await self._remove(claims.room, previous)
            if dropped is not None:
                dropped.session._depart()
            if old is not None:
                old.replaced()
        # Only now: if the connection it replaced was alone in the room, the room was
        # forgotten with it, and this join starts it again like any first one.
        fresh = rooms.present(claims.room) is None
        roster = rooms.roster(claims.room)
        if fresh and self._state.record is not None:
            # A session's room that starts again (everyone had left, or the server restarted)
            # shows the chat so far.
            roster.chat.extend(
                ChatMessage(line.user_id, line.name, line.text, line.ts)
                for line in self._state.record.recent_chat(claims.room, CHAT_KEPT)
            )
        if roster.full_for(audience=claims.grants.watch_only):
            raise ProtocolError(ROOM_FULL, "the room has reached its participant limit")
        participant = Participant(
            id=participant_id or "p_" + secrets.token_hex(6),
            identity=claims.identity,
            name=claims.name,
            role=claims.role,
            grants=claims.grants,
            receives_from=request.body.get("identities"),
            music=claims.music,
        )
        await self._state.sfu.open_room(claims.room)
        self._state.room_opened(claims.room)
        rooms.expect(claims.room, participant.id)
        try:
            # Whose media to receive is known before the first subscription: no offer full
            # of m-lines that a set_subscriptions would take back a moment later.
            await self._state.sfu.add_peer(
                claims.room,
                participant.id,
                claims.grants.subscribe,
                roster.publishers_for(participant),
                # A pupil on a weak link keeps the teacher's (a host's) video before
                # classmates'.
                priority=1 if claims.grants.moderate else 0,
            )
        except BaseException:
            rooms.arrived(claims.room, participant.id)
            raise
        others = roster.others(participant.id)
        roster.add(participant)
        rooms.attach(claims.room, participant.id, self)
        rooms.moderation(claims.room).entered.add(claims.identity)
        if participant.grants.moderate:
            self._state.host_presence(claims.room)
        self.participant, self.room = participant, claims.room
        if self._state.record is not None:
            self._stay = self._state.record.arrived(claims.room, claims.identity, claims.name)
        self.send(self._joined(request, claims, participant, others))
        for message in rooms.arrived(claims.room, participant.id):
            self.send(message)
        if participant.audience:
            rooms.audience_changed(claims.room)  # counted, not shown to hundreds one by one
        else:
            rooms.broadcast(
                claims.room,
                {"type": "participant_joined", "participant": participant.to_dict()},
                exclude=participant.id,
            )
        for other in others:  # those who asked for this person by name now receive them
            named = [other.receives_from, other.receives_video_from]
            if any(n is not None and participant.identity in n for n in named):
                await self._state.sfu.set_subscriptions(
                    claims.room,
                    other.id,
                    roster.publishers_for(other),
                    roster.video_publishers_for(other),
                )

    def _joined(
        self,
        request: protocol.Request,
        claims: Claims,
        participant: Participant,
        others: list[Participant],
    ) -> dict[str, Any]:
        self._resume_token = secrets.token_urlsafe(18)
        roster = self._state.rooms.roster(claims.room)
        return {
            "type": "joined",
            "id": request.id,
            "room": claims.room,
            "title": record.title(claims.room) if (record := self._state.record) else None,
            "self": participant.to_dict(),
            "participants": [p.to_dict() for p in others if not p.audience],
            "audience": roster.audience_count,
            "activeSpeaker": self._state.rooms.speaker(claims.room),
            "grants": claims.grants.to_dict(),
            "iceServers": ice_servers(self._state.turn, claims.identity, time.time()),
            "iceTransportPolicy": self._state.ice_transport_policy,
            "chat": [m.to_dict() for m in roster.chat],
            "resumeToken": self._resume_token,
            "resumeWindow": self._state.absences.grace,
            "away": [a.participant.id for a in self._state.absences.in_room(claims.room)],
            **self._room_state(claims.room, participant),
        }

    # --- dropping off and coming back --------------------------------------------------

    def _may_come_back(self) -> bool:
        """The socket closed by itself (no leave, no removal, no end): keep the place."""
        return (
            self.participant is not None
            and self.room is not None
            and not self._left
            and not self._closed_by_server
            and self._state.absences.grace > 0
        )

    async def _go_away(self) -> None:
        assert self.participant is not None and self.room is not None
        self._left = True
        room, participant = self.room, self.participant
        rooms = self._state.rooms
        async with rooms.lock(room):
            try:
                await self._state.sfu.suspend_peer(room, participant.id)
            except SfuError:  # its room or SFU process is gone: nothing to come back to
                await self._remove(room, participant)
                self._depart()
                return
            rooms.disconnect(room, participant.id)
            self._state.absences.add(
                Away(room, participant, self._resume_token, self), self._expire
            )
            rooms.broadcast(
                room, {"type": "participant_reconnecting", "participantId": participant.id}
            )
        rooms.release_lock(room)

    def _expire(self, away: Away) -> None:
        """Nobody came back within the grace period: leave as anyone does."""

        async def leave() -> None:
            rooms = self._state.rooms
            async with rooms.lock(away.room):
                if self._state.absences.drop(away.room, away.participant.id) is None:
                    return  # came back meanwhile
                await self._remove(away.room, away.participant)
            rooms.release_lock(away.room)
            self._depart()

        task = asyncio.get_running_loop().create_task(leave())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _depart(self) -> None:
        """Close this session's attendance stay."""
        if self._stay is not None and self._state.record is not None:
            self._state.record.departed(self._stay)
        self._stay = None

    async def _take_over(self, room: str, previous: Participant, token: str) -> Away | None:
        """A resume before the server noticed the drop (the old socket looks open: TCP has
        not timed out). With that connection's own token it is the same client: its old
        session goes quietly, neither leaving nor away, and the new one takes the place."""
        old = self._state.rooms.session(room, previous.id)
        if old is None or not old._resume_token or old._resume_token != token:
            return None
        old._left = True
        old.close_soon(CLOSE_REPLACED)
        try:
            await self._state.sfu.suspend_peer(room, previous.id)
        except SfuError:
            return None
        self._state.rooms.disconnect(room, previous.id)
        return Away(room, previous, token, old)

    async def _come_back(self, request: protocol.Request, claims: Claims, away: Away) -> None:
        """A join with the resume token of a participant who dropped: their place again."""
        rooms = self._state.rooms
        participant = away.participant
        self.participant, self.room = participant, claims.room
        self._stay, away.session._stay = away.session._stay, None
        rooms.attach(claims.room, participant.id, self)
        rooms.expect(claims.room, participant.id)
        try:
            await self._state.sfu.resume_peer(claims.room, participant.id)
        except BaseException:
            rooms.arrived(claims.room, participant.id)
            raise
        others = rooms.roster(claims.room).others(participant.id)
        self.send({**self._joined(request, claims, participant, others), "resumed": True})
        for message in rooms.arrived(claims.room, participant.id):
            self.send(message)
        rooms.broadcast(
            claims.room,
            {"type": "participant_resumed", "participantId": participant.id},
            exclude=participant.id,
        )

    def _room_state(self, room: str, me: Participant) -> dict[str, Any]:
        """What a joiner needs to see of the room's moderation."""
        moderation = self._state.rooms.moderation(room)
        state: dict[str, Any] = {
            "locked": moderation.locked,
            "recording": moderation.recording is not None,
            "hands": list(moderation.hands),
            "pinned": moderation.pinned,
            "pinnedSource": moderation.pinned_source if moderation.pinned is not None else None,
            "canUnmute": me.identity not in moderation.mic_locked,
            "polls": [
                {
                    **p.to_dict(),
                    "mine": list(p.answers.get(me.identity, ())),
                    **({"results": p.results()} if me.grants.moderate or p.show_results else {}),
                }
                for p in moderation.polls.values()
                if not p.closed
            ],
        }
        if me.grants.moderate:
            state["lobby"] = [w.to_dict() for w in moderation.lobby.values()]
            roster = self._state.rooms.roster(room)
            state["micLocked"] = [
                p.id for p in roster.participants.values() if p.identity in moderation.mic_locked
            ]
        return state

    async def _leave_request(self, request: protocol.Request) -> None:
        self.send({"type": "ok", "id": request.id})
        await self._leave()
        self.close_soon(WSCloseCode.OK)

    # --- leaving -----------------------------------------------------------------------

    async def _leave(self) -> None:
        if self._left:
            return
        self._left = True
        if self._starting is not None:
            self._state.rooms.stop_waiting(self._starting[1].room, self)
            self._starting = None
        if self._waiting is not None:
            _, claims, participant_id = self._waiting
            self._waiting = None
            self._state.rooms.leave_lobby(claims.room, participant_id)
            self._state.rooms.moderation(claims.room).lobby.pop(participant_id, None)
            hosting.notify_lobby(self, claims.room)
        if self._stay is not None and self._state.record is not None:
            self._state.record.departed(self._stay)
            self._stay = None
        if self.participant is not None and self.room is not None:
            async with self._state.rooms.lock(self.room):
                await self._remove(self.room, self.participant)
            self._state.rooms.release_lock(self.room)

    async def _remove(self, room: str, participant: Participant) -> None:
        try:
            await self._state.sfu.remove_peer(room, participant.id)
        except SfuError:
            pass  # the room (or its SFU process) is gone already: nothing left to release
        moderation = self._state.rooms.moderation(room)
        had_hand = participant.id in moderation.hands
        was_pinned = moderation.pinned == participant.id
        rooms = self._state.rooms
        emptied = rooms.detach(room, participant.id)
        if participant.grants.moderate or emptied:
            self._state.host_presence(room)
        if emptied:
            recording, moderation.recording = moderation.recording, None
            rooms.end_timeline(room)
            try:
                await self._state.sfu.close_room(room)  # which finishes its recording
            except SfuError:
                pass
            if recording is not None:
                self._state.recording_finished(room, recording)
        elif participant.audience:
            rooms.audience_changed(room)
        else:
            rooms.broadcast(room, {"type": "participant_left", "participantId": participant.id})
            if had_hand:
                hosting.broadcast_hands(self, room)
            if was_pinned:
                rooms.broadcast(room, {"type": "pinned", "participantId": None, "source": None})
