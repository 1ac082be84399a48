"""The REST API under /api: sign-in, classes, people, invite links, sessions, attendance.

Each operation is declared once in `OPERATIONS` with its schema; the same table registers the
aiohttp routes and writes /api/openapi.json. Errors are `{"error": {"code", "message"}}` with
the domain's stable codes; a refused request writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError
from classroom.models import Invite, School, SchoolClass, Session, SessionKind, SessionState, User
from classroom.retention import MAX_KEPT_DAYS
from classroom.roles import Role
from classroom.service import (
    INVITE_TTL_DEFAULT,
    INVITE_TTL_MAX,
    INVITE_USES_DEFAULT,
    INVITE_USES_MAX,
    Classroom,
)
from classroom.sign_ins import SignIns
from recording.sidecar import recording_ids

from .auth import TokenIssuer
from .body import BodyError, Schema, check, obj, string
from .broadcasts import Broadcasts
from .compositions import Compositions
from .cookies import AUTH_COOKIE, cross_site, set_auth_cookie
from .errors import ProtocolError
from .stream_keys import StreamKeys
from .throttle import LINK_FAILURES, TOO_MANY_ATTEMPTS, Throttle, TooManyAttempts

logger = logging.getLogger(__name__)

CLASSROOM = web.AppKey("classroom", Classroom)
ISSUER = web.AppKey("api_issuer", TokenIssuer)

UNAUTHORIZED = "unauthorized"
BAD_JSON = "bad_json"

_STATUS = {
    errors.NOT_FOUND: 404,
    errors.FORBIDDEN: 403,
    errors.INVALID_INPUT: 400,
    errors.CONFLICT: 409,
    errors.BAD_CREDENTIALS: 401,
    errors.INVITE_EXPIRED: 410,
    errors.INVITE_REVOKED: 410,
    errors.INVITE_USED_UP: 410,
    errors.ACCOUNT_DISABLED: 403,
    errors.LINK_EXPIRED: 410,
    errors.CANNOT_DEACTIVATE_SELF: 409,
    errors.LAST_ADMIN: 409,
    errors.IMPORT_INVALID: 400,
    errors.IMPORT_TOO_LARGE: 413,
    "operator_disabled": 404,
    errors.SESSION_ENDED: 409,
    errors.SESSION_NOT_LIVE: 409,
    errors.ERASE_SELF: 409,
    errors.LAST_ADMIN: 409,
    errors.CONFIRMATION_MISMATCH: 400,
    errors.RECORDING_IN_PROGRESS: 409,
    "not_recording": 409,
    "recording_unavailable": 503,
    UNAUTHORIZED: 401,
    BAD_JSON: 400,
    TOO_MANY_ATTEMPTS: 429,
}


@dataclass(frozen=True)
class ApiSettings:
    base_url: str
    """Where links point (invite links, lesson links)."""
    token_ttl: int
    """Seconds an API or room token lives."""


Handler = Callable[[web.Request], Awaitable[Any]]
SessionEnded = Callable[[str], Awaitable[None]]

USER: web.RequestKey[User] = web.RequestKey("user", User)
SIGN_IN: web.RequestKey[str] = web.RequestKey("sign_in", str)
"""The id of the sign-in the request's token belongs to."""
SIGN_INS = web.AppKey("sign_ins", SignIns)
RoomStatus = Callable[[str], dict[str, Any]]
ROOM_STATUS: web.AppKey[RoomStatus] = web.AppKey("room_status")
"""A live session's room: {"people", "host" (one is in it), "ends_at" (when it ends for want
of a host, or None)}."""
THROTTLE = web.AppKey("throttle", Throttle)
"""Limits on failed sign-ins and link lookups."""
SignedOut = Callable[[str, list[str]], Awaitable[None]]
SIGNED_OUT: web.AppKey[SignedOut] = web.AppKey("signed_out")
"""(user id, ended sign-ins): closes the live room connections their tokens opened."""
BODY: web.RequestKey[dict[str, Any]] = web.RequestKey("body", dict)
SETTINGS: web.AppKey[ApiSettings] = web.AppKey("api_settings", ApiSettings)
SESSION_ENDED: web.AppKey[SessionEnded] = web.AppKey("session_ended")
RecordingSwitch = Callable[[str, bool, str], Awaitable[dict[str, Any]]]
RECORDING_SWITCH: web.AppKey[RecordingSwitch] = web.AppKey("recording_switch")
"""(session id, on, by whom): starts or stops the live room's recording, as a host's button."""
RECORDINGS: web.AppKey[Path] = web.AppKey("recordings", Path)
"""Where recordings are, a folder per session (`recording.sidecar.session_folder`)."""
COMPOSITIONS: web.AppKey[Compositions] = web.AppKey("compositions", Compositions)
"""The composing of finished recordings (cancelled when one is deleted)."""
BROADCASTS: web.AppKey[Broadcasts] = web.AppKey("broadcasts", Broadcasts)
"""The events' live HLS (a child process each), and where their files are."""
STREAM_KEYS: web.AppKey[StreamKeys] = web.AppKey("stream_keys", StreamKeys)
SESSION_STARTED: web.AppKey[Callable[[str], None]] = web.AppKey("session_started")
"""Called when a session starts, to let in those who came early."""
"""Called when a session ends, to close its live room for everyone."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    body: Schema | None = None
    public: bool = False
    """Needs no bearer token (sign-in, an invite link)."""
    produces: str = "application/json"
    tags: list[str] = field(default_factory=list)
    query_token: bool = False
    """The bearer token may come as `?token=` instead: a <video> element sends no headers."""
    limited: bool = False
    """May answer 429 too_many_attempts (sign-in: failures per account and address)."""
    guessable: bool = False
    """Its path holds a secret (an invite, an event link, a password link) or it takes the
    operator's token: failed tries count against the caller's address (signaling/throttle)."""


# --- views ---------------------------------------------------------------------------


PERFORMERS: Schema = {"type": "array", "items": string(64, 1), "maxItems": 20}


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "verified": user.verified,
        "login": user.login,
        "children": user.children,
        "active": not user.disabled,
    }


def class_view(school_class: SchoolClass, people: dict[str, User] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": school_class.id,
        "name": school_class.name,
        "teachers": school_class.teachers,
        "pupils": school_class.pupils,
    }
    if people is not None:
        listed = school_class.teachers + school_class.pupils
        parents = [u.id for u in people.values() if u.role is Role.PARENT]
        view["members"] = [
            {
                "id": uid,
                "name": people[uid].name,
                "role": people[uid].role.value,
                **({"children": people[uid].children} if uid in parents else {}),
            }
            for uid in listed + [p for p in parents if p not in listed]
            if uid in people
        ]
    return view


def invite_view(invite: Invite, base_url: str) -> dict[str, Any]:
    return {
        "id": invite.id,
        "class_id": invite.class_id,
        "role": invite.role.value,
        "expires_at": invite.expires_at,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked,
        "child_id": invite.child_id,
        "url": f"{base_url}/join/{invite.id}",
    }


def session_view(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "kind": session.kind.value,
        "title": session.title,
        "class_id": session.class_id,
        "guest_id": session.guest_id,
        "created_by": session.created_by,
        "scheduled_at": session.scheduled_at,
        "state": session.state.value,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "performers": list(session.performers),
        "hls_only": session.hls_only,
    }


# --- plumbing --------------------------------------------------------------------------


def _error(code: str, message: str, field: str | None = None) -> web.Response:
    error: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return web.json_response({"error": error}, status=_STATUS.get(code, 400))


async def _body(request: web.Request, schema: Schema) -> dict[str, Any]:
    try:
        data = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ClassroomError(BAD_JSON, f"the request body is not valid JSON: {exc}") from exc
    try:
        return check(data, schema)
    except BodyError as exc:
        raise ClassroomError(errors.INVALID_INPUT, str(exc), exc.field) from exc


def _me(request: web.Request) -> User:
    return request[USER]


def _credential(request: web.Request, operation: Operation) -> str | None:
    """The API token: the Authorization header (API clients), else the sign-in cookie
    (browsers), else `?token=` where an operation allows it; None when there is none."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    cookie = request.cookies.get(AUTH_COOKIE)
    if cookie:
        if cross_site(request):
            raise ClassroomError(errors.FORBIDDEN, "a request from another site's page")
        return cookie
    if operation.query_token and "token" in request.query:
        return request.query["token"]
    return None


def _wrap(operation: Operation) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        classroom = request.app[CLASSROOM]
        try:
            if not operation.public:
                token = _credential(request, operation)
                if token is None:
                    return _error(UNAUTHORIZED, "sign in first (Authorization: Bearer <token>)")
                try:
                    identity = request.app[ISSUER].verify_api(token)
                    # The account first: a deactivated one says so, not "signed out".
                    request[USER] = classroom.user(identity.user_id)
                    request.app[SIGN_INS].check(identity.sign_in, identity.user_id)
                    request[SIGN_IN] = identity.sign_in
                except (ProtocolError, ClassroomError) as exc:
                    return _error(UNAUTHORIZED, f"sign in again: {exc}")
            if operation.body is not None:
                request[BODY] = await _body(request, operation.body)
            result = await _limited(request, operation)
        except TooManyAttempts as exc:
            response = _error(exc.code, exc.message, exc.field)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except ClassroomError as exc:
            return _error(exc.code, exc.message, exc.field)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    return handle


async def _limited(request: web.Request, operation: Operation) -> Any:
    """The handler, under the limits on guessing: a guessable path counts its failures per
    address (and refuses once there were too many)."""
    if not operation.guessable:
        return await operation.handler(request)
    throttle = request.app[THROTTLE]
    address = throttle.address(request)
    throttle.check_link(address)
    try:
        return await operation.handler(request)
    except ClassroomError as exc:
        if exc.code in LINK_FAILURES or exc.code == UNAUTHORIZED:
            throttle.link_failed(address)
        raise


# --- handlers --------------------------------------------------------------------------


def signed_in(request: web.Request, user: User) -> web.Response:
    """A new sign-in of `user`: its token in the answer (API clients) and in the HttpOnly
    cookie (browsers, whose scripts never keep it)."""
    settings = request.app[SETTINGS]
    sign_in = request.app[SIGN_INS].open(user.id, settings.token_ttl)
    token = request.app[ISSUER].issue_api(user.id, sign_in.id, settings.token_ttl)
    response = web.json_response(
        {"token": token, "expires_in": settings.token_ttl, "user": user_view(user)}
    )
    set_auth_cookie(response, request, token, settings.token_ttl, settings.base_url)
    return response


async def login(request: web.Request) -> web.Response:
    body = request[BODY]
    throttle = request.app[THROTTLE]
    address = throttle.address(request)
    throttle.check_sign_in(body["login"], address)
    try:
        user = await request.app[CLASSROOM].sign_in(body["login"], body["password"])
    except ClassroomError as exc:
        if exc.code == errors.BAD_CREDENTIALS:
            throttle.sign_in_failed(body["login"], address)
        raise
    throttle.signed_in(body["login"])
    return signed_in(request, user)


async def me(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    user = _me(request)
    school = classroom.school(user)
    return {"user": user_view(user), "school": school_view(school)}


def school_view(school: School) -> dict[str, Any]:
    return {
        "id": school.id,
        "name": school.name,
        "parents_see_recordings": school.parents_see_recordings,
        "recordings_kept_days": school.recordings_kept_days,
    }


async def get_school(request: web.Request) -> dict[str, Any]:
    return school_view(request.app[CLASSROOM].school(_me(request)))


async def update_school(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    # null keeps recordings until deleted by hand, as 0 does; absent leaves the setting.
    kept = (body["recordings_kept_days"] or 0) if "recordings_kept_days" in body else None
    school = request.app[CLASSROOM].update_school(
        _me(request), body.get("name"), body.get("parents_see_recordings"), kept
    )
    return school_view(school)


async def list_users(request: web.Request) -> dict[str, Any]:
    return {"users": [user_view(u) for u in request.app[CLASSROOM].people(_me(request))]}


async def create_teacher(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    teacher = await request.app[CLASSROOM].create_teacher(
        _me(request), body["name"], body["login"], body["password"]
    )
    return user_view(teacher)


async def verify_teacher(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    return user_view(classroom.verify_teacher(_me(request), request.match_info["user_id"]))


async def list_classes(request: web.Request) -> dict[str, Any]:
    return {"classes": [class_view(c) for c in request.app[CLASSROOM].classes(_me(request))]}


async def create_class(request: web.Request) -> dict[str, Any]:
    return class_view(request.app[CLASSROOM].create_class(_me(request), request[BODY]["name"]))


async def get_class(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    user = _me(request)
    school_class = classroom.school_class(user, request.match_info["class_id"])
    people = {u.id: u for u in classroom.members(user, school_class)}
    return class_view(school_class, people)


async def assign_teacher(request: web.Request) -> dict[str, Any]:
    school_class = request.app[CLASSROOM].assign_teacher(
        _me(request), request.match_info["class_id"], request[BODY]["teacher_id"]
    )
    return class_view(school_class)


async def list_invites(request: web.Request) -> dict[str, Any]:
    base = request.app[SETTINGS].base_url
    invites = request.app[CLASSROOM].invites(_me(request), request.match_info["class_id"])
    return {"invites": [invite_view(i, base) for i in invites]}


async def create_invite(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    invite = request.app[CLASSROOM].create_invite(
        _me(request),
        request.match_info["class_id"],
        Role(body["role"]),
        ttl=body.get("ttl") or INVITE_TTL_DEFAULT,
        max_uses=body.get("max_uses") or INVITE_USES_DEFAULT,
        child_id=body.get("child_id"),
    )
    return invite_view(invite, request.app[SETTINGS].base_url)


async def revoke_invite(request: web.Request) -> dict[str, Any]:
    invite = request.app[CLASSROOM].revoke_invite(_me(request), request.match_info["invite_id"])
    return invite_view(invite, request.app[SETTINGS].base_url)


async def open_invite(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    invite, school, school_class = classroom.open_invite(request.match_info["invite_id"])
    view: dict[str, Any] = {
        "school": school.name,
        "class": school_class.name,
        "role": invite.role.value,
        "expires_at": invite.expires_at,
    }
    if invite.role is Role.PARENT and invite.child_id is None:
        # A parent picks their child: first names only, shown to the link's holder alone.
        view["children"] = classroom.pupils_for_invite(invite)
    return view


async def redeem_invite(request: web.Request) -> web.Response:
    body = request[BODY]
    user = await request.app[CLASSROOM].redeem_invite(
        request.match_info["invite_id"],
        body["name"],
        body["login"],
        body["password"],
        child_id=body.get("child_id"),
    )
    return signed_in(request, user)


async def accept_invite(request: web.Request) -> dict[str, Any]:
    user = request.app[CLASSROOM].accept_invite(
        _me(request), request.match_info["invite_id"], request[BODY].get("child_id")
    )
    return user_view(user)


async def change_password(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    me = _me(request)
    await request.app[CLASSROOM].change_password(me, body["old"], body["new"])
    # Whoever knew the old password is out everywhere but on the device that changed it.
    ended = request.app[SIGN_INS].sign_out_everywhere(me.id, keep=request[SIGN_IN])
    await signed_out(request, me.id, ended)
    return {"changed": True}


async def signed_out(request: web.Request, user_id: str, sign_ins: list[str]) -> None:
    """Sign-ins ended: their live rooms' connections close too."""
    hook = request.app.get(SIGNED_OUT)
    if hook is not None and sign_ins:
        await hook(user_id, sign_ins)


async def list_sessions(request: web.Request) -> dict[str, Any]:
    classroom, me = request.app[CLASSROOM], _me(request)
    sessions = classroom.sessions(me)
    watchable = classroom.watchable(me)
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
    return {
        "sessions": [
            {
                **session_view(s),
                "recordings": counts.get(s.id, 0),
                **(
                    {"room": status(s.id)}
                    if status is not None and s.state is SessionState.LIVE
                    else {}
                ),
            }
            for s in everything
        ]
    }


async def create_session(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    session = request.app[CLASSROOM].create_session(
        _me(request),
        SessionKind(body["kind"]),
        body["title"],
        class_id=body.get("class_id"),
        guest_id=body.get("guest_id"),
        scheduled_at=body.get("scheduled_at"),
        performers=body.get("performers"),
    )
    return session_view(session)


async def get_session(request: web.Request) -> dict[str, Any]:
    session = request.app[CLASSROOM].session(_me(request), request.match_info["session_id"])
    return session_view(session)


async def start_session(request: web.Request) -> dict[str, Any]:
    session = request.app[CLASSROOM].start_session(_me(request), request.match_info["session_id"])
    on_start = request.app.get(SESSION_STARTED)
    if on_start is not None:
        on_start(session.id)
    return session_view(session)


async def end_session(request: web.Request) -> dict[str, Any]:
    session = request.app[CLASSROOM].end_session(_me(request), request.match_info["session_id"])
    on_end = request.app.get(SESSION_ENDED)
    if on_end is not None:
        await on_end(session.id)
    return session_view(session)


async def join_session(request: web.Request) -> dict[str, Any]:
    """A room token for the WebSocket, and the page to open."""
    user = _me(request)
    admission = request.app[CLASSROOM].admit(user, request.match_info["session_id"])
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
    lines = request.app[CLASSROOM].chat(_me(request), request.match_info["session_id"])
    return {
        "chat": [{"user_id": c.user_id, "name": c.name, "text": c.text, "ts": c.ts} for c in lines]
    }


async def attendance(request: web.Request) -> dict[str, Any]:
    stays = request.app[CLASSROOM].attendance(_me(request), request.match_info["session_id"])
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


async def attendance_csv(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    text = request.app[CLASSROOM].attendance_csv(_me(request), session_id)
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendance-{session_id}.csv"'},
    )


_LOGIN = string(64, 3, pattern="^[a-z0-9][a-z0-9._-]{2,63}$")
_PASSWORD = string(1024, 8)
_NAME = string(100, 1)

OPERATIONS = [
    Operation(
        "POST",
        "/api/auth/login",
        login,
        "Sign in with a login and password",
        body=obj(["login", "password"], login=string(64), password=string(1024)),
        public=True,
        limited=True,
        tags=["auth"],
    ),
    Operation("GET", "/api/me", me, "Who I am, and my school", tags=["auth"]),
    Operation("GET", "/api/school", get_school, "My school", tags=["schools"]),
    Operation(
        "PATCH",
        "/api/school",
        update_school,
        "Rename the school, let parents watch their class's recordings, or set how many days"
        " recordings are kept (0 or null: until deleted by hand) (admins)",
        body=obj(
            name=_NAME,
            parents_see_recordings={"type": "boolean"},
            recordings_kept_days={
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_KEPT_DAYS,
                "description": "days after a recording stopped; 0 or null: kept until deleted",
            },
        ),
        tags=["schools"],
    ),
    Operation("GET", "/api/users", list_users, "The school's people (admins)", tags=["people"]),
    Operation(
        "POST",
        "/api/users",
        create_teacher,
        "Create a teacher account (admins)",
        body=obj(["name", "login", "password"], name=_NAME, login=_LOGIN, password=_PASSWORD),
        tags=["people"],
    ),
    Operation(
        "POST",
        "/api/users/{user_id}/verify",
        verify_teacher,
        "Verify a teacher (admins)",
        tags=["people"],
    ),
    Operation("GET", "/api/classes", list_classes, "The classes I may see", tags=["classes"]),
    Operation(
        "POST",
        "/api/classes",
        create_class,
        "Create a class (admins)",
        body=obj(["name"], name=_NAME),
        tags=["classes"],
    ),
    Operation(
        "GET",
        "/api/classes/{class_id}",
        get_class,
        "A class and its members",
        tags=["classes"],
    ),
    Operation(
        "POST",
        "/api/classes/{class_id}/teachers",
        assign_teacher,
        "Make a teacher teach the class (admins)",
        body=obj(["teacher_id"], teacher_id=string(64, 1)),
        tags=["classes"],
    ),
    Operation(
        "GET",
        "/api/classes/{class_id}/invites",
        list_invites,
        "The class's invite links",
        tags=["invites"],
    ),
    Operation(
        "POST",
        "/api/classes/{class_id}/invites",
        create_invite,
        "Make an invite link for pupils or parents of the class",
        body=obj(
            ["role"],
            role={"type": "string", "enum": ["pupil", "parent"]},
            ttl={"type": "integer", "minimum": 60, "maximum": INVITE_TTL_MAX},
            max_uses={"type": "integer", "minimum": 1, "maximum": INVITE_USES_MAX},
            child_id=string(64, 1),
        ),
        tags=["invites"],
    ),
    Operation(
        "DELETE",
        "/api/invites/{invite_id}",
        revoke_invite,
        "Revoke an invite link",
        tags=["invites"],
    ),
    Operation(
        "GET",
        "/api/invites/{invite_id}",
        open_invite,
        "What an invite link is for (no sign-in: the link is the secret)",
        public=True,
        tags=["invites"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/invites/{invite_id}/redeem",
        redeem_invite,
        "Create my own account from an invite link, and sign in",
        body=obj(
            ["name", "login", "password"],
            name=_NAME,
            login=_LOGIN,
            password=_PASSWORD,
            child_id=string(64, 1),
        ),
        public=True,
        tags=["invites"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/invites/{invite_id}/accept",
        accept_invite,
        "Use an invite link with my existing account (another class, another child)",
        body=obj(child_id=string(64, 1)),
        tags=["invites"],
        guessable=True,
    ),
    Operation(
        "POST",
        "/api/me/password",
        change_password,
        "Change my password",
        body=obj(["old", "new"], old=string(1024), new=_PASSWORD),
        tags=["auth"],
    ),
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
            title=string(200, 1),
            class_id=string(64, 1),
            guest_id=string(64, 1),
            scheduled_at={"type": "number", "minimum": 0},
            performers=PERFORMERS,
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
    Operation(
        "GET",
        "/api/sessions/{session_id}/attendance.csv",
        attendance_csv,
        "Attendance as CSV: name, joined, left, minutes, stays",
        produces="text/csv",
        tags=["attendance"],
    ),
]


def add_routes(app: web.Application) -> None:
    # These modules read OPERATIONS or use this module's handlers: imported once it is whole.
    from .admin_routes import ADMIN_OPERATIONS
    from .auth_routes import AUTH_OPERATIONS
    from .erasure_routes import ERASURE_OPERATIONS
    from .event_routes import EVENT_OPERATIONS
    from .hls_routes import HLS_OPERATIONS
    from .openapi import document
    from .recording_routes import RECORDING_OPERATIONS

    operations = (
        OPERATIONS
        + AUTH_OPERATIONS
        + RECORDING_OPERATIONS
        + EVENT_OPERATIONS
        + HLS_OPERATIONS
        + ADMIN_OPERATIONS
        + ERASURE_OPERATIONS
    )
    spec = document(operations)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/openapi.json", openapi)
    for operation in operations:
        app.router.add_route(operation.method, operation.path, _wrap(operation))
