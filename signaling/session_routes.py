"""The REST API of sessions (a lesson, a meeting, a consultation, an event): listing,
creating, starting and ending them, a room token to join one, and their chat and attendance
(the whole class's roll, its CSV and the polls: `signaling/lesson_record_routes.py`).

An event's performers, audience and guest link are in `signaling/event_routes.py`, a
session's recordings in `signaling/recording_routes.py`.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from classroom.models import Session, SessionKind, SessionState
from recording.sidecar import recording_ids

from .api_plumbing import (
    BODY,
    CLASSROOM,
    ISSUER,
    RECORDINGS,
    ROOM_STATUS,
    SESSION_ENDED,
    SESSION_STARTED,
    SETTINGS,
    SIGN_IN,
    STREAM_KEYS,
    Operation,
    RoomStatus,
    _me,
)
from .api_views import session_view
from .body import Schema, obj, string
from .schedule_routes import DURATION, STARTS_AT, TITLE

PERFORMERS: Schema = {"type": "array", "items": string(64, 1), "maxItems": 20}
"""An event's performers, by id: creating an event, and changing them (`event_routes.py`)."""


async def list_sessions(request: web.Request) -> dict[str, Any]:
    classroom, me = request.app[CLASSROOM], _me(request)
    sessions = await classroom.sessions(me)
    watchable = await classroom.watchable(me)
    root = request.app[RECORDINGS]
    counts = await asyncio.to_thread(
        lambda: {s.id: len(recording_ids(root, s.id)) for s in watchable}
    )
    # A parent joins no lesson, yet may rewatch the class's (when the school allows): the
    # ended ones with recordings are listed for them too.
    listed = {s.id for s in sessions}
    extra = [
        s
        for s in watchable
        if s.id not in listed and s.state is SessionState.ENDED and counts.get(s.id)
    ]
    everything = sorted([*sessions, *extra], key=lambda s: s.created_at, reverse=True)
    # "recordings": how many the caller may watch (0 when they may not); "room": who is in a
    # live session's room, and when it ends by itself if no host is there.
    status = request.app.get(ROOM_STATUS)
    live = [s.id for s in everything if s.state is SessionState.LIVE]
    rooms = await _room_statuses(status, live) if status is not None else {}
    return {
        "sessions": [
            {
                **session_view(s),
                "recordings": counts.get(s.id, 0),
                **({"room": rooms[s.id]} if s.id in rooms else {}),
            }
            for s in everything
        ]
    }


ROOM_STATUS_WAIT = 2.0
"""Seconds the school page's list waits for a live room's status from the node holding it."""


async def _room_statuses(status: RoomStatus, sessions: list[str]) -> dict[str, dict[str, Any]]:
    """The live sessions' rooms, asked for all at once; one whose node does not answer in
    time is left out (the list is not held up by it)."""
    answers = await asyncio.gather(
        *(asyncio.wait_for(status(s), ROOM_STATUS_WAIT) for s in sessions),
        return_exceptions=True,
    )
    return {s: a for s, a in zip(sessions, answers, strict=True) if isinstance(a, dict)}


async def create_session(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    session = await request.app[CLASSROOM].create_session(
        _me(request),
        SessionKind(body["kind"]),
        body["title"],
        class_id=body.get("class_id"),
        guest_id=body.get("guest_id"),
        scheduled_at=body.get("scheduled_at"),
        performers=body.get("performers"),
        starts_at=body.get("starts_at"),
        duration_minutes=body.get("duration_minutes"),
    )
    return session_view(session)


async def get_session(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].session(_me(request), request.match_info["session_id"])
    return session_view(session)


async def start_session(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].start_session(
        _me(request), request.match_info["session_id"]
    )
    on_start = request.app.get(SESSION_STARTED)
    if on_start is not None:
        await on_start(session.id)
    return session_view(session)


async def end_session(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].end_session(
        _me(request), request.match_info["session_id"]
    )
    on_end = request.app.get(SESSION_ENDED)
    if on_end is not None:
        await on_end(session.id)
    return session_view(session)


async def join_session(request: web.Request) -> dict[str, Any]:
    """A room token for the WebSocket, and the page to open."""
    user = _me(request)
    admission = await request.app[CLASSROOM].admit(user, request.match_info["session_id"])
    settings = request.app[SETTINGS]
    hls = hls_path(request, admission.session)
    token = request.app[ISSUER].issue(
        user.id,
        user.name,
        admission.session.id,
        admission.role,
        admission.grants,
        ttl=settings.token_ttl,
        lobby=admission.lobby,
        title=admission.session.title,
        kind=admission.session.kind.value,
        music=admission.music,
        hls=hls,
        sign_in=request[SIGN_IN],
    )
    # The page's address names the session only: whoever opens a copy of it is asked who
    # they are (their own sign-in), and the policy decides; the token goes to the page apart.
    return {
        "token": token,
        "url": f"{settings.base_url}/lesson/{quote(admission.session.id, safe='')}",
        "lobby": admission.lobby,
        "host": admission.host,
        "session": session_view(admission.session),
        "hls": hls,
    }


def hls_path(request: web.Request, session: Session) -> str | None:
    """Where an event's live HLS is, for as long as a room token lives; None for any other
    session."""
    if session.kind is not SessionKind.EVENT:
        return None
    return request.app[STREAM_KEYS].path(session.id, request.app[SETTINGS].token_ttl)


async def chat(request: web.Request) -> dict[str, Any]:
    lines = await request.app[CLASSROOM].chat(_me(request), request.match_info["session_id"])
    return {
        "chat": [{"user_id": c.user_id, "name": c.name, "text": c.text, "ts": c.ts} for c in lines]
    }


async def attendance(request: web.Request) -> dict[str, Any]:
    stays = await request.app[CLASSROOM].attendance(_me(request), request.match_info["session_id"])
    return {
        "attendance": [
            {
                "user_id": s.user_id,
                "name": s.name,
                "joined_at": s.joined_at,
                "left_at": s.left_at,
            }
            for s in stays
        ]
    }


SESSION_OPERATIONS = [
    Operation(
        "GET",
        "/api/sessions",
        list_sessions,
        "Sessions I may join or host, each with how many recordings I may watch",
        tags=["sessions"],
    ),
    Operation(
        "POST",
        "/api/sessions",
        create_session,
        "Create a lesson, meeting, consultation or event (an event: its performers)",
        body=obj(
            ["kind", "title"],
            kind={"type": "string", "enum": [k.value for k in SessionKind]},
            title=TITLE,
            class_id=string(64, 1),
            guest_id=string(64, 1),
            scheduled_at={"type": "number", "minimum": 0},
            performers=PERFORMERS,
            starts_at=STARTS_AT,
            duration_minutes=DURATION,
        ),
        tags=["sessions"],
    ),
    Operation("GET", "/api/sessions/{session_id}", get_session, "A session", tags=["sessions"]),
    Operation(
        "POST",
        "/api/sessions/{session_id}/start",
        start_session,
        "Start (hosts)",
        tags=["sessions"],
    ),
    Operation(
        "POST",
        "/api/sessions/{session_id}/end",
        end_session,
        "End it for everyone (hosts)",
        tags=["sessions"],
    ),
    Operation(
        "POST",
        "/api/sessions/{session_id}/join",
        join_session,
        "A room token to enter the session (through the lobby for parents)",
        tags=["sessions"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/chat",
        chat,
        "The session's chat, oldest first (everyone invited to the session)",
        tags=["sessions"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/attendance",
        attendance,
        "Who joined and left when (hosts, admins)",
        tags=["attendance"],
    ),
]
