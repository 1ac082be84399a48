"""The REST API of events (a concert, an assembly): their performers, and the guest link.

An event is a session (`POST /api/sessions` with kind "event"); everyone of the school
watches it from the session list like any session. A family member without an account
watches through the event's link: the organiser hands out `/event/<link>`, whose page asks
for a name and gets a watch-only room token (`POST /api/events/<link>/join`). The link dies
with the event.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError
from classroom.models import SessionState
from classroom.roles import Grants, Role
from recording.broadcast import PLAYLIST

from .api_plumbing import (
    BODY,
    BROADCASTS,
    CLASSROOM,
    ISSUER,
    SETTINGS,
    STREAM_KEYS,
    USER,
    Operation,
)
from .api_views import session_view
from .body import obj, string
from .session_routes import PERFORMERS, hls_path

WATCH_ONLY = Grants(publish=False, subscribe=True, moderate=False)


async def set_performers(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].set_performers(
        request[USER], request.match_info["session_id"], request[BODY]["performers"]
    )
    return session_view(session)


async def set_audience(request: web.Request) -> dict[str, Any]:
    session = await request.app[CLASSROOM].set_audience(
        request[USER], request.match_info["session_id"], bool(request[BODY]["hls_only"])
    )
    return session_view(session)


async def broadcast(request: web.Request) -> dict[str, Any]:
    """Where the school's people watch an event's broadcast: live, or all of it once ended."""
    session = await request.app[CLASSROOM].event_for_audience(
        request[USER], request.match_info["session_id"]
    )
    if not (request.app[BROADCASTS].directory(session.id) / PLAYLIST).is_file():
        raise ClassroomError(errors.NOT_FOUND, "this event has no broadcast (yet)")
    ended = session.state is SessionState.ENDED
    playlist = request.app[STREAM_KEYS].path(
        session.id, request.app[SETTINGS].token_ttl, "vod.m3u8" if ended else "live.m3u8"
    )
    return {"title": session.title, "state": session.state.value, "playlist": playlist}


async def event_link(request: web.Request) -> dict[str, Any]:
    """The guest link of an event, for its hosts to hand out."""
    session = await request.app[CLASSROOM].hosted_by(
        request[USER], request.match_info["session_id"]
    )
    if session.link is None:
        return {"link": None, "url": None}
    return {"link": session.link, "url": f"{request.app[SETTINGS].base_url}/event/{session.link}"}


async def open_event(request: web.Request) -> dict[str, Any]:
    """What a guest link leads to: the event's title and whether it is on."""
    session = await request.app[CLASSROOM].event_by_link(request.match_info["link"])
    school = await request.app[CLASSROOM].school_of(session)
    return {"title": session.title, "state": session.state.value, "school": school.name}


async def join_event(request: web.Request) -> dict[str, Any]:
    """A watch-only room token for a guest holding the link."""
    session = await request.app[CLASSROOM].event_by_link(request.match_info["link"])
    name = " ".join(str(request[BODY]["name"]).split())
    if not name:
        raise ClassroomError(errors.INVALID_INPUT, "a name is needed", "name")
    settings = request.app[SETTINGS]
    hls = hls_path(request, session)
    # A guest has no account: an identity of their own for this visit.
    identity = f"guest-{secrets.token_hex(8)}"
    token = request.app[ISSUER].issue(
        identity,
        name,
        session.id,
        Role.GUEST,
        WATCH_ONLY,
        ttl=settings.token_ttl,
        title=session.title,
        kind=session.kind.value,
        hls=hls,
    )
    return {
        "hls": hls,
        "token": token,
        "session": session.id,
        "url": f"{settings.base_url}/lesson/{quote(session.id, safe='')}",
        "title": session.title,
        "state": session.state.value,
    }


EVENT_OPERATIONS = [
    Operation(
        "PUT",
        "/api/sessions/{session_id}/performers",
        set_performers,
        "Who performs at an event (its hosts); they publish, everyone else watches",
        body=obj(["performers"], performers=PERFORMERS),
        tags=["events"],
    ),
    Operation(
        "PUT",
        "/api/sessions/{session_id}/audience",
        set_audience,
        "Whether an event's audience watches over HLS only (its hosts); WebRTC watchers are"
        " then refused with use_hls, and their page plays the HLS",
        body=obj(["hls_only"], hls_only={"type": "boolean"}),
        tags=["events"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/broadcast",
        broadcast,
        "An event's broadcast for its audience: {title, state, playlist} (the live playlist,"
        " or every segment once the event ended)",
        tags=["events"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/event-link",
        event_link,
        "The event's guest link, to hand to families without an account (its hosts)",
        tags=["events"],
    ),
    Operation(
        "GET",
        "/api/events/{link}",
        open_event,
        "What an event link is for (no sign-in: the link is the secret)",
        public=True,
        tags=["events"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/events/{link}/join",
        join_event,
        "A watch-only room token for a guest holding the event's link",
        body=obj(["name"], name=string(100, 1)),
        public=True,
        tags=["events"],
        guessable=True,
    ),
]
