"""The REST API of the school's timetable: the upcoming sessions a person sees, a scheduled
session moved, renamed or called off by its teacher, and the stream (Server-Sent Events) that
tells a page open on /school at once when a session it sees is scheduled, starts, ends,
moves or is called off (`school_events.py`).

Making a scheduled session is `POST /api/sessions` (`session_routes.py`) with `starts_at`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from classroom.schedule import Upcoming

from .api_plumbing import BODY, CLASSROOM, SIGN_IN, SIGN_INS, Operation, _me
from .api_views import session_view
from .body import Schema, obj
from .school_events import SchoolEvents

SCHOOL_EVENTS = web.AppKey("school_events", SchoolEvents)

HEARTBEAT = 15.0
"""Seconds between a stream's keep-alive comments: proxies keep it open, and a sign-in that
ended (signed out, a new password, a deactivation) ends the stream at the next one."""
RETRY_MS = 2000
"""How soon a page's EventSource reconnects after its stream ended (a restart, a dead node)."""

TITLE: Schema = {
    "type": "string",
    "description": "1-200 characters (title_required, title_too_long)",
}
STARTS_AT: Schema = {
    "type": "string",
    "description": "the start on the school's clock, YYYY-MM-DDTHH:MM (time_malformed, "
    "time_in_past)",
}
DURATION: Schema = {"type": "integer", "description": "planned minutes, 1-600 (duration_invalid)"}


def upcoming_view(item: Upcoming) -> dict[str, Any]:
    return {**session_view(item.session), "teacher": item.teacher, "starts_at": item.local_start}


async def upcoming(request: web.Request) -> dict[str, Any]:
    timetable = await request.app[CLASSROOM].upcoming(_me(request))
    return {
        "time_zone": timetable.time_zone,
        "sessions": [upcoming_view(item) for item in timetable.sessions],
    }


async def reschedule(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    session = await request.app[CLASSROOM].reschedule(
        _me(request),
        request.match_info["session_id"],
        title=body.get("title"),
        starts_at=body.get("starts_at"),
        scheduled_at=body.get("scheduled_at"),
        duration_minutes=body.get("duration_minutes"),
        # `"duration_minutes": null` says "no planned length"; a missing one keeps it.
        clear_duration="duration_minutes" in body and body["duration_minutes"] is None,
    )
    return session_view(session)


async def cancel(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].cancel_session(
        _me(request), request.match_info["session_id"]
    )
    return session_view(session)


async def events(request: web.Request) -> web.StreamResponse:
    """The stream: `event: session` with {"change", "session"} for each session this person
    sees; `event: resync` when the page fell behind (it refetches its lists)."""
    me, sign_in = _me(request), request[SIGN_IN]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        }
    )
    await response.prepare(request)
    hub = request.app[SCHOOL_EVENTS]
    try:
        with hub.listen(me, sign_in) as listener:
            # "ready" after the listener is in place: what changes from now on is told.
            await response.write(f"retry: {RETRY_MS}\nevent: ready\ndata: {{}}\n\n".encode())
            while True:
                try:
                    # Not 3.11's `wait_for`: it drops a cancellation (the server stopping)
                    # that arrives as an event does, and this loop would go on.
                    async with asyncio.timeout(HEARTBEAT):
                        event = await listener.queue.get()
                except TimeoutError:
                    if not await request.app[SIGN_INS].alive(sign_in, me.id):
                        break
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                data = json.dumps(event, ensure_ascii=False)
                await response.write(f"event: session\ndata: {data}\n\n".encode())
                if listener.behind:
                    listener.behind = False
                    await response.write(b"event: resync\ndata: {}\n\n")
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away
    return response


SCHEDULE_OPERATIONS = [
    Operation(
        "GET",
        "/api/sessions/upcoming",
        upcoming,
        "Live and upcoming sessions I see (a pupil's parents: the class's lessons too), "
        "soonest first, with their teacher and their start on the school's clock",
        tags=["schedule"],
    ),
    Operation(
        "GET",
        "/api/sessions/events",
        events,
        "Server-Sent Events: a session I see was scheduled, started, ended, rescheduled or "
        "cancelled",
        produces="text/event-stream",
        tags=["schedule"],
    ),
    Operation(
        "PATCH",
        "/api/sessions/{session_id}/schedule",
        reschedule,
        "Rename, move or change the planned length of a session before it starts (hosts); "
        "session_not_scheduled once it has started",
        body=obj(
            title=TITLE,
            starts_at=STARTS_AT,
            scheduled_at={"type": "number", "minimum": 0},
            duration_minutes=DURATION,
        ),
        tags=["schedule"],
    ),
    Operation(
        "POST",
        "/api/sessions/{session_id}/cancel",
        cancel,
        "Call off a session before it starts (hosts): it ends, never started",
        tags=["schedule"],
    ),
]
