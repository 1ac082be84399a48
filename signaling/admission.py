"""Coming into a live room: a connection's `join`, and all it can meet on the way.

Checks first (the token, its sign-in, the session live or not), then: waiting for a session
a host has not started yet (`wait_for_start`, replayed by `session_started`), the lobby
(`enter_lobby`, `admitted` by a host), the room's lock and removals (`refuse_if_barred`),
and under the room's lock `join_locked`: the same person's other connection replaced, or
their place taken back after a drop (`take_over`, `come_back`, signaling/absence.py), the
participant added to the roster and the SFU, and everyone told. Functions of the
connection's `Session`, which holds only the socket and what it joined as.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode

from classroom.breakout import narrowed
from classroom.errors import ClassroomError
from classroom.moderation import Waiting
from classroom.roster import CHAT_KEPT, ChatMessage, Participant
from district.directory import NoNode
from sfu.errors import SfuError

from . import breakout_scope, departure, hosting, polling, protocol
from .absence import Away
from .auth import Claims
from .errors import (
    ALREADY_JOINED,
    NO_NODE,
    REMOVED,
    ROOM_FULL,
    ROOM_LOCKED,
    SIGNED_OUT,
    USE_HLS,
    ProtocolError,
)
from .routing import Elsewhere
from .server_state import CLOSE_REPLACED
from .turn import ice_servers

if TYPE_CHECKING:
    from .session import Session


async def join(session: Session, request: protocol.Request) -> None:
    if session.participant is not None or session.waiting is not None or session.starting:
        raise ProtocolError(ALREADY_JOINED, "this connection has already joined")
    claims: Claims = session.state.issuer.verify(request.body["token"])
    alive = session.state.sign_in_alive
    if claims.sign_in is not None and alive and not await alive(claims.sign_in, claims.identity):
        raise ProtocolError(SIGNED_OUT, "this link's sign-in has ended: sign in again")
    session.sign_in = claims.sign_in
    await route(session, claims.room)
    rooms = session.state.rooms
    record = session.state.record
    if record is not None:
        try:
            live = await record.check_open(claims.room)
        except ClassroomError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        if not live:
            if not claims.grants.moderate:
                await wait_for_start(session, request, claims)
                return
            await record.host_arrived(claims.room)
            await session.state.start_room(claims.room)
    if (
        claims.lobby
        and not claims.grants.moderate
        and claims.identity not in rooms.moderation(claims.room).admitted
    ):
        await enter_lobby(session, request, claims)
        return
    # Joins to one room run one at a time: each must see who came before it, or two
    # pupils joining together would each miss the other in their chosen gallery.
    async with rooms.lock(claims.room):
        await join_locked(session, request, claims)


async def route(session: Session, room: str) -> None:
    """In a district: the room is claimed for this node, or Elsewhere names its node."""
    record = session.state.record
    # Counted before anyone arrives: lessons starting in the same minute spread over the
    # nodes by their classes' sizes, not one person each. A join a door relayed here was
    # placed (and counted) by that door: placing it again only confirms this node's claim.
    expected = 1
    if record is not None and session.relayed_by is None:
        expected = await record.expected_size(room)
    try:
        owner = await session.state.router.route(room, expected)
    except NoNode as exc:
        raise ProtocolError(NO_NODE, str(exc)) from exc
    if owner is not None:
        raise Elsewhere(owner)


async def wait_for_start(session: Session, request: protocol.Request, claims: Claims) -> None:
    """Joined before the start: wait, and come in when a host starts the session."""
    await refuse_if_barred(session, claims)
    session.starting = (request, claims)
    session.state.rooms.wait_for_start(claims.room, session)
    session.send({"type": "waiting", "id": request.id})
    record = session.state.record
    if record is None:
        return
    # Asked again now that this connection waits: a start (or an end) while the classroom
    # was being asked above told those waiting then, not this one.
    try:
        started = await record.check_open(claims.room)
    except ClassroomError:
        started = True  # ended: the replayed join says so
    if started:
        session_started(session)


def session_started(session: Session) -> None:
    """The session went live: replay the early join, in this session's own task."""
    if session.starting is None or session.left:
        return
    request, _ = session.starting
    session.starting = None
    join_later(session, request, lambda: join(session, request))


def join_later(
    session: Session, request: protocol.Request, join: Callable[[], Awaitable[None]]
) -> None:
    """Run a deferred join (another session's event let it in) and answer its errors."""

    async def run() -> None:
        try:
            await join()
        except ProtocolError as error:
            session.send_error(request.id, error.code, error.message)
        except Elsewhere:
            # The room moved to another node while this one waited: reconnect, to it.
            session.left = True
            session.close_soon(WSCloseCode.SERVICE_RESTART)

    session.state.spawn(run())


async def enter_lobby(session: Session, request: protocol.Request, claims: Claims) -> None:
    await refuse_if_barred(session, claims)
    participant_id = "p_" + secrets.token_hex(6)
    moderation = session.state.rooms.moderation(claims.room)
    moderation.lobby[participant_id] = Waiting(
        participant_id, claims.identity, claims.name, time.time()
    )
    session.state.rooms.enter_lobby(claims.room, participant_id, session)
    session.waiting = (request, claims, participant_id)
    session.send({"type": "lobby", "id": request.id, "participantId": participant_id})
    hosting.notify_lobby(session, claims.room)


def admitted(session: Session) -> None:
    """A host let this session in from the lobby: join now, in its own task."""
    if session.waiting is None or session.left:
        return
    request, claims, participant_id = session.waiting
    session.waiting = None

    async def join() -> None:
        async with session.state.rooms.lock(claims.room):
            await join_locked(session, request, claims, participant_id, admitted=True)

    join_later(session, request, join)


async def refuse_if_barred(session: Session, claims: Claims) -> None:
    record = session.state.record
    removed = record is not None and await record.is_removed(claims.room, claims.identity)
    moderation = session.state.rooms.moderation(claims.room)
    if removed:
        moderation.removed.add(claims.identity)  # kept across a restart of the server
    refusal = moderation.refusal(claims.identity, claims.grants.moderate)
    if refusal == "removed":
        raise ProtocolError(REMOVED, "a host removed you from this session")
    if refusal == "room_locked":
        raise ProtocolError(ROOM_LOCKED, "the host has locked this session")


async def join_locked(
    session: Session,
    request: protocol.Request,
    claims: Claims,
    participant_id: str | None = None,
    admitted: bool = False,
) -> None:
    rooms = session.state.rooms
    if admitted:
        # Admitted by a host: only a removal since keeps them out, not the lock.
        if claims.identity in rooms.moderation(claims.room).removed:
            raise ProtocolError(REMOVED, "a host removed you from this session")
    else:
        await refuse_if_barred(session, claims)
    record = session.state.record
    over_hls = record is not None and await record.audience_over_hls(claims.room)
    if claims.grants.watch_only and over_hls:
        raise ProtocolError(USE_HLS, "this event's audience watches its HLS stream")
    present = rooms.present(claims.room)
    previous = present.by_identity(claims.identity) if present is not None else None
    if previous is not None:
        token = str(request.body.get("resumeToken") or "")
        away = session.state.absences.claim(claims.room, previous.id, token)
        if away is None and token:
            away = await take_over(session, claims.room, previous, token)
        if away is not None:
            await come_back(session, request, claims, away)
            return
        # Same person again (a second tab, or a reconnect after the grace period, or
        # without its token): the newest connection wins.
        dropped = session.state.absences.drop(claims.room, previous.id)
        old = rooms.session(claims.room, previous.id)
        await departure.remove(session, claims.room, previous)
        if dropped is not None:
            await departure.depart(dropped.session)
        if old is not None:
            old.replaced()
    # Only now: if the connection it replaced was alone in the room, the room was
    # forgotten with it, and this join starts it again like any first one.
    fresh = rooms.present(claims.room) is None
    roster = rooms.roster(claims.room)
    if fresh and record is not None:
        # A session's room that starts again (everyone had left, or the server restarted)
        # shows the chat so far.
        roster.chat.extend(
            ChatMessage(line.user_id, line.name, line.text, line.ts)
            for line in await record.recent_chat(claims.room, CHAT_KEPT)
        )
        await polling.restore_open_polls(session, claims.room)
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
    await session.state.sfu.open_room(claims.room)
    await session.state.room_opened(claims.room)
    rooms.expect(claims.room, participant.id)
    cascade = session.state.cascade
    if cascade is not None and session.relayed_by is not None and claims.grants.watch_only:
        # Watching only, through another node: its media from that node (an event's stage
        # is piped there once, whatever its audience there).
        cascade.place(claims.room, participant.id, session.relayed_by)
    # While breakout groups run: only their group's (kept by identity: a pupil who comes
    # back is in it again).
    breakout = breakout_scope.running(session.state, claims.room)
    publishers, _ = narrowed(roster, participant, breakout)
    try:
        # Whose media to receive is known before the first subscription: no offer full
        # of m-lines that a set_subscriptions would take back a moment later.
        await session.state.sfu.add_peer(
            claims.room,
            participant.id,
            claims.grants.subscribe,
            publishers,
            # A pupil on a weak link keeps the teacher's (a host's) video before
            # classmates'.
            priority=1 if claims.grants.moderate else 0,
        )
    except BaseException:
        rooms.arrived(claims.room, participant.id)
        raise
    # The classroom is asked (and told) first: from the roster's change to `joined` and
    # the others told, nothing else happens in between.
    title, stay = None, None
    if record is not None:
        title = await record.title(claims.room)
        stay = await record.arrived(claims.room, claims.identity, claims.name)
    others = roster.others(participant.id)
    roster.add(participant)
    rooms.attach(claims.room, participant.id, session)
    rooms.moderation(claims.room).entered.add(claims.identity)
    session.participant, session.room, session.stay = participant, claims.room, stay
    message, board_parts = joined(session, request, claims, participant, others, title)
    session.send(message)
    for part in board_parts:  # the rest of a large board, right behind `joined`
        session.send(part)
    for message in rooms.arrived(claims.room, participant.id):
        session.send(message)
    if participant.audience:
        rooms.audience_changed(claims.room)  # counted, not shown to hundreds one by one
    else:
        rooms.broadcast(
            claims.room,
            {"type": "participant_joined", "participant": participant.to_dict()},
            exclude=participant.id,
        )
    if participant.grants.moderate:
        await session.state.host_presence(claims.room)
    for other in others:  # those who asked for this person by name now receive them
        named = [other.receives_from, other.receives_video_from]
        # While groups run everyone's list is by name (their group's): those in the
        # newcomer's group (or whom a host speaking to all reaches) name them now.
        grouped = breakout is not None and breakout.receives(
            other.identity, other.grants.moderate, participant.identity, participant.grants.moderate
        )
        if grouped or any(n is not None and participant.identity in n for n in named):
            await session.state.sfu.set_subscriptions(
                claims.room, other.id, *narrowed(roster, other, breakout)
            )


def joined(
    session: Session,
    request: protocol.Request,
    claims: Claims,
    participant: Participant,
    others: list[Participant],
    title: str | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`joined`, and the `board_strokes` messages that follow it with the rest of a board
    too large for one message. `title`: the session's (None: the room is no session)."""
    session.resume_token = secrets.token_urlsafe(18)
    roster = session.state.rooms.roster(claims.room)
    # While breakout groups run: the board of their group (or the room's).
    board, board_parts = breakout_scope.board_of(session.state, claims.room, participant).parts()
    message = {
        "type": "joined",
        "id": request.id,
        "room": claims.room,
        "title": title,
        "self": participant.to_dict(),
        "participants": [p.to_dict() for p in others if not p.audience],
        "audience": roster.audience_count,
        "activeSpeaker": session.state.rooms.speaker(claims.room),
        "grants": claims.grants.to_dict(),
        "iceServers": ice_servers(session.state.turn, claims.identity, time.time()),
        "iceTransportPolicy": session.state.ice_transport_policy,
        "chat": [
            m.to_dict()
            for m in roster.chat
            if m.visible_to(participant.identity, participant.grants.moderate)
        ],
        "resumeToken": session.resume_token,
        "resumeWindow": session.state.absences.grace,
        "away": [a.participant.id for a in session.state.absences.in_room(claims.room)],
        **room_state(session, claims.room, participant),
        "board": board,
    }
    return message, board_parts


async def take_over(session: Session, room: str, previous: Participant, token: str) -> Away | None:
    """A resume before the server noticed the drop (the old socket looks open: TCP has
    not timed out). With that connection's own token it is the same client: its old
    session goes quietly, neither leaving nor away, and the new one takes the place."""
    old = session.state.rooms.session(room, previous.id)
    if old is None or not old.resume_token or old.resume_token != token:
        return None
    old.left = True
    old.close_soon(CLOSE_REPLACED)
    try:
        await session.state.sfu.suspend_peer(room, previous.id)
    except SfuError:
        return None
    session.state.rooms.disconnect(room, previous.id)
    return Away(room, previous, token, old)


async def come_back(
    session: Session, request: protocol.Request, claims: Claims, away: Away
) -> None:
    """A join with the resume token of a participant who dropped: their place again."""
    rooms = session.state.rooms
    participant = away.participant
    session.participant, session.room = participant, claims.room
    session.stay, away.session.stay = away.session.stay, None
    rooms.attach(claims.room, participant.id, session)
    rooms.expect(claims.room, participant.id)
    try:
        await session.state.sfu.resume_peer(claims.room, participant.id)
        record = session.state.record
        title = await record.title(claims.room) if record is not None else None
    except BaseException:
        rooms.arrived(claims.room, participant.id)
        raise
    others = rooms.roster(claims.room).others(participant.id)
    message, board_parts = joined(session, request, claims, participant, others, title)
    session.send({**message, "resumed": True})
    for part in board_parts:
        session.send(part)
    for message in rooms.arrived(claims.room, participant.id):
        session.send(message)
    rooms.broadcast(
        claims.room,
        {"type": "participant_resumed", "participantId": participant.id},
        exclude=participant.id,
    )


def room_state(session: Session, room: str, me: Participant) -> dict[str, Any]:
    """What a joiner needs to see of the room's moderation."""
    moderation = session.state.rooms.moderation(room)
    state: dict[str, Any] = {
        "locked": moderation.locked,
        "recording": moderation.recording is not None,
        "hands": list(moderation.hands),
        "pinned": moderation.pinned,
        "pinnedSource": moderation.pinned_source if moderation.pinned is not None else None,
        "canUnmute": me.identity not in moderation.mic_locked,
        "material": moderation.showing.to_dict() if moderation.showing is not None else None,
        "breakout": moderation.breakout.to_dict() if moderation.breakout is not None else None,
        "polls": [
            {
                **p.to_dict(host=me.grants.moderate),
                "mine": p.mine(me.identity),
                **(
                    {"results": p.host_results() if me.grants.moderate else p.results()}
                    if me.grants.moderate or p.show_results
                    else {}
                ),
            }
            for p in moderation.polls.values()
            if not p.closed
        ],
    }
    if me.grants.moderate:
        state["lobby"] = [w.to_dict() for w in moderation.lobby.values()]
        roster = session.state.rooms.roster(room)
        state["micLocked"] = [
            p.id for p in roster.participants.values() if p.identity in moderation.mic_locked
        ]
    return state
