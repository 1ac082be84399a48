"""One participant's WebSocket: one task reads and handles requests, one task writes."""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from classroom.errors import ClassroomError
from classroom.models import ChatLine
from classroom.moderation import Waiting
from classroom.roster import CHAT_KEPT, ChatMessage, Participant
from recording.remux import participant_files
from recording.sidecar import session_folder
from sfu.control import SfuControl
from sfu.errors import InvalidSdp, NotFound, SfuError

from . import hosting, protocol
from .absence import Absences, Away
from .auth import Claims, TokenIssuer
from .broadcasts import Broadcasts
from .compositions import Compositions
from .errors import (
    ALREADY_JOINED,
    BAD_JSON,
    BAD_MESSAGE,
    BAD_SDP,
    INTERNAL,
    NOT_ALLOWED,
    NOT_JOINED,
    REMOVED,
    ROOM_FULL,
    ROOM_LOCKED,
    SIGNED_OUT,
    USE_HLS,
    ProtocolError,
)
from .hostless import HostlessTimers
from .rooms import LiveRooms
from .turn import TurnConfig, ice_servers

logger = logging.getLogger(__name__)

CLOSE_REPLACED = 4001
"""Close code for a socket whose participant joined again elsewhere: unlike 1001 (server going
away) the client must not reconnect, or two devices would keep knocking each other out."""


CLOSE_ENDED = 4002
"""Close code when a host ended the session: the client shows "ended" and does not reconnect."""

CLOSE_SIGNED_OUT = 4004
"""Close code when the sign-in the token came from ended (signed out everywhere, a new
password, a deactivated account): the client asks the person to sign in again."""


class SessionRecord(Protocol):
    """What the classroom keeps of a session's room: who came and went, what was said."""

    def check_open(self, session_id: str) -> bool:
        """Whether the room's session is live; ClassroomError session_ended if it ended."""

    def host_arrived(self, session_id: str) -> None:
        """A host entered: a scheduled session starts."""

    def arrived(self, session_id: str, user_id: str, name: str) -> int | None:
        """A stay began; its id (None: the room is no recorded session)."""

    def departed(self, stay_id: int) -> None: ...

    def said(self, session_id: str, user_id: str, name: str, text: str, ts: float) -> None: ...

    def recent_chat(self, session_id: str, limit: int) -> list[ChatLine]: ...

    def removed(self, session_id: str, user_id: str) -> None: ...

    def title(self, session_id: str) -> str | None:
        """The session's title (None: the room is no session)."""

    def is_removed(self, session_id: str, user_id: str) -> bool: ...

    def broadcasts(self, session_id: str) -> bool:
        """Whether the room is also sent out as live HLS (an event's)."""

    def hostless_ends(self, session_id: str) -> bool:
        """Whether the room is a live session that ends when it has no host for a while."""

    def end_live(self, session_id: str) -> None:
        """The session ends now (a host's "end for everyone", or no host for too long)."""

    def audience_over_hls(self, session_id: str) -> bool:
        """Whether its audience is sent to the HLS instead of WebRTC."""


@dataclass
class ServerState:
    """Everything a session needs, built once by the app factory."""

    issuer: TokenIssuer
    sfu: SfuControl
    rooms: LiveRooms
    record: SessionRecord | None = None
    """What the classroom keeps of each session's room (None: rooms are only rooms)."""
    sessions: set[Session] = field(default_factory=set)
    errors_sent: dict[str, int] = field(default_factory=dict)
    turn: TurnConfig | None = None
    """TURN credentials go into every `joined` (see signaling/turn.py)."""
    ice_transport_policy: str = "all"
    absences: Absences = field(default_factory=Absences)
    """Participants whose connection dropped, kept for a while (signaling/absence.py)."""
    recordings: Path | None = None
    """Where recordings are written, a directory per session (None: recording is off)."""
    background: set[asyncio.Task[None]] = field(default_factory=set)
    """Work after a recording (remuxing), kept until done."""
    compositions: Compositions | None = None
    """Composes a recording into one MP4 once it is remuxed."""
    broadcasts: Broadcasts | None = None
    """Live HLS of the rooms that are events (None: none is broadcast)."""
    hostless: HostlessTimers | None = None
    """Ends live sessions left without a host (signaling/hostless.py; None: they never do)."""
    sign_in_alive: Callable[[str, str], bool] | None = None
    """(sign-in id, user id): whether a room token's sign-in still holds (None: not checked)."""

    def sign_out(self, sign_ins: set[str]) -> int:
        """Sign-ins ended: close every connection a token of theirs opened; how many."""
        ended = [s for s in self.sessions if s.sign_in is not None and s.sign_in in sign_ins]
        for session in ended:
            session.send({"type": "signed_out"})
            session.close_soon(CLOSE_SIGNED_OUT)
        return len(ended)

    def room_opened(self, room: str) -> None:
        """The SFU opened the room: an event's starts (or goes on) being broadcast. In the
        background: the first performer does not wait for the encoder to start."""
        if self.broadcasts is None or self.record is None or not self.record.broadcasts(room):
            return
        task = asyncio.get_running_loop().create_task(self.broadcasts.attach(room, self.sfu))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def recording_finished(self, room: str, recording_id: str) -> None:
        """Make the stopped recording watchable at once: each participant's tracks into one
        WebM, on a thread (remuxing, no decoding), while the lesson's pages go on."""
        if self.recordings is None:
            return
        directory = session_folder(self.recordings, room) / recording_id

        async def remux() -> None:
            try:
                made = await asyncio.to_thread(participant_files, directory)
            except Exception:
                logger.exception("remuxing %s failed", directory)
            else:
                logger.info("%s: playable per participant: %s", directory, sorted(made))
            if self.compositions is not None:
                self.compositions.submit(directory)

        task = asyncio.get_running_loop().create_task(remux())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def end_room(self, room: str, reason: str = "ended") -> None:
        """The session ended: tell everyone in its room why (`reason`: "ended" by a host,
        "no_host" when nobody ran it for too long), then close their sockets."""
        if self.hostless is not None:
            self.hostless.host_here(room)
        farewell: dict[str, Any] = {"type": "session_ended", "reason": reason}
        if reason == "no_host":
            farewell["minutes"] = math.ceil(self.hostless_after / 60)
        self.rooms.broadcast(room, farewell)
        waiting = list(self.rooms.waiting.get(room, {}).values())
        for session in waiting:
            session.send(farewell)
        for session in [*self.rooms.sessions.get(room, {}).values(), *waiting]:
            session.close_soon(CLOSE_ENDED)
        starting = self.rooms.starting.pop(room, {})
        for session in starting.values():
            session.send(farewell)
            session.close_soon(CLOSE_ENDED)
        for away in self.absences.in_room(room):
            self.absences.drop(room, away.participant.id)
            away.session._depart()
        self.rooms.forget_room(room)
        if self.broadcasts is not None:
            await self.broadcasts.stop(room)

    def start_room(self, room: str) -> None:
        """The session went live: those waiting for its start come in (or to its lobby)."""
        for session in self.rooms.starting.pop(room, {}).values():
            session.session_started()
        self.host_presence(room)

    async def end_for_everyone(self, room: str) -> None:
        """A host in the room ended it (their token's `moderate` grant is the authority)."""
        if self.record is not None:
            self.record.end_live(room)
        await self.end_room(room)

    def host_presence(self, room: str) -> None:
        """Someone came or went: a live session's room without a host starts its clock."""
        if self.hostless is None or self.record is None:
            return
        # Someone dropped off and coming back is still in the roster: still there.
        if self._has_host(room):
            self.hostless.host_here(room)
        elif self.hostless.waiting(room) is None and self.record.hostless_ends(room):
            self.hostless.host_gone(room)

    def _has_host(self, room: str) -> bool:
        roster = self.rooms.rosters.get(room)
        return roster is not None and any(p.grants.moderate for p in roster.participants.values())

    def room_status(self, room: str) -> dict[str, Any]:
        """Who is in a live session's room, for the school page."""
        roster = self.rooms.rosters.get(room)
        people = [p for p in roster.participants.values() if not p.audience] if roster else []
        left = self.hostless.waiting(room) if self.hostless is not None else None
        return {
            "people": len(people) + (roster.audience_count if roster else 0),
            "host": any(p.grants.moderate for p in people),
            "ends_at": None if left is None else round(time.time() + left),
        }

    async def end_hostless(self, room: str) -> None:
        """Nobody ran the session for `hostless.after` seconds: it ends, and says so."""
        if self._has_host(room):
            return  # a host came in as the clock ran out
        if self.record is None or not self.record.hostless_ends(room):
            return
        logger.info("%s: no host for %.0f s, ending it", room, self.hostless_after)
        self.record.end_live(room)
        await self.end_room(room, reason="no_host")

    @property
    def hostless_after(self) -> float:
        return self.hostless.after if self.hostless is not None else 0.0


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
        handler = {
            "publish_offer": self._publish,
            "subscribe_answer": self._subscribe_answer,
            "unpublish": self._unpublish,
            "mute": self._mute,
            "chat": self._chat,
            "set_subscriptions": self._set_subscriptions,
            "set_video_sizes": self._set_video_sizes,
            "leave": self._leave_request,
        }.get(request.type)
        if handler is not None:
            await handler(request, self.participant, self.room)
        else:
            await hosting.HANDLERS[request.type](self, request, self.participant, self.room)

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
        self._state.rooms.starting.setdefault(claims.room, {})[id(self)] = self
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
        self._state.rooms.waiting.setdefault(claims.room, {})[participant_id] = self
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
        present = rooms.rosters.get(claims.room)
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
        fresh = claims.room not in rooms.rosters
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
            "activeSpeaker": self._state.rooms.speakers.get(claims.room),
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
            rooms.sessions.get(room, {}).pop(participant.id, None)
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
        self._state.rooms.sessions.get(room, {}).pop(previous.id, None)
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

    async def _publish(self, request: protocol.Request, me: Participant, room: str) -> None:
        if not me.grants.publish:
            raise ProtocolError(NOT_ALLOWED, "this token may not publish media")
        sources = {t["mid"]: t["source"] for t in request.body["tracks"]}
        result = await self._state.sfu.publish(
            room, me.id, request.body["sdp"], sources, music=me.music
        )
        self.send({"type": "publish_answer", "id": request.id, "sdp": result["answer"]})
        for track_id in result["removed"]:
            removed = me.tracks.pop(track_id, None)
            self._state.rooms.broadcast(
                room, {"type": "track_removed", "participantId": me.id, "trackId": track_id}
            )
            if removed is not None and removed["source"] == "screen":
                hosting.screen_stopped(self, room, me.id)
        locked = me.identity in self._state.rooms.moderation(room).mic_locked
        for track in result["added"]:
            if locked and track["source"] == "microphone":
                # Muted by a host without leave to unmute: a republished microphone stays muted.
                await self._state.sfu.set_muted(room, me.id, track["id"], True)
                track["muted"] = True
            me.tracks[track["id"]] = track
            self._state.rooms.broadcast(
                room, {"type": "track_added", "participantId": me.id, "track": track}
            )

    async def _subscribe_answer(
        self, request: protocol.Request, me: Participant, room: str
    ) -> None:
        await self._state.sfu.subscribe_answer(room, me.id, request.body["sdp"])
        if request.id is not None:
            self.send({"type": "ok", "id": request.id})

    def _track(self, me: Participant, source: str) -> dict[str, Any]:
        track = me.track_by_source(source)
        if track is None:
            raise ProtocolError(BAD_MESSAGE, f"nothing is published from source {source!r}")
        return track

    async def _unpublish(self, request: protocol.Request, me: Participant, room: str) -> None:
        track = self._track(me, request.body["source"])
        await self._state.sfu.unpublish(room, me.id, track["id"])
        me.tracks.pop(track["id"], None)
        self.send({"type": "ok", "id": request.id})
        self._state.rooms.broadcast(
            room, {"type": "track_removed", "participantId": me.id, "trackId": track["id"]}
        )
        if track["source"] == "screen":
            hosting.screen_stopped(self, room, me.id)

    async def _mute(self, request: protocol.Request, me: Participant, room: str) -> None:
        track = self._track(me, request.body["source"])
        muted = request.body["muted"]
        if (
            not muted
            and request.body["source"] == "microphone"
            and me.identity in self._state.rooms.moderation(room).mic_locked
        ):
            raise ProtocolError(
                NOT_ALLOWED, "the teacher muted you; raise your hand to ask to speak"
            )
        await self._state.sfu.set_muted(room, me.id, track["id"], muted)
        track["muted"] = muted
        self.send({"type": "ok", "id": request.id})
        self._state.rooms.broadcast(
            room,
            {"type": "track_muted", "participantId": me.id, "trackId": track["id"], "muted": muted},
        )

    async def _chat(self, request: protocol.Request, me: Participant, room: str) -> None:
        message = ChatMessage(me.id, me.name, request.body["text"].strip(), time.time())
        if self._state.record is not None:
            self._state.record.said(room, me.identity, me.name, message.text, message.ts)
        self._state.rooms.roster(room).chat.append(message)
        self.send({"type": "ok", "id": request.id})
        self._state.rooms.broadcast(room, message.to_dict())

    async def _set_subscriptions(
        self, request: protocol.Request, me: Participant, room: str
    ) -> None:
        me.receives_from = request.body["identities"]
        me.receives_video_from = request.body.get("video")
        roster = self._state.rooms.roster(room)
        await self._state.sfu.set_subscriptions(
            room, me.id, roster.publishers_for(me), roster.video_publishers_for(me)
        )
        self.send({"type": "ok", "id": request.id})

    async def _set_video_sizes(self, request: protocol.Request, me: Participant, room: str) -> None:
        sizes = {track: (size[0], size[1]) for track, size in request.body["sizes"].items()}
        await self._state.sfu.set_video_sizes(room, me.id, sizes)
        self.send({"type": "ok", "id": request.id})

    async def _leave_request(self, request: protocol.Request, me: Participant, room: str) -> None:
        self.send({"type": "ok", "id": request.id})
        await self._leave()
        self.close_soon(WSCloseCode.OK)

    # --- leaving -----------------------------------------------------------------------

    async def _leave(self) -> None:
        if self._left:
            return
        self._left = True
        if self._starting is not None:
            self._state.rooms.starting.get(self._starting[1].room, {}).pop(id(self), None)
            self._starting = None
        if self._waiting is not None:
            _, claims, participant_id = self._waiting
            self._waiting = None
            self._state.rooms.waiting.get(claims.room, {}).pop(participant_id, None)
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
