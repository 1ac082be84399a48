"""The REST API's plumbing: what every operation under /api shares.

The app's and the request's keys the handlers read, the HTTP status of each error code, the
`Operation` a table declares, the fields several bodies share, and `_wrap`, which serves an
operation: it finds who calls (bearer token, sign-in cookie, or `?token=` where allowed),
checks the body against the operation's schema, keeps the limits on guessing, and answers a
refusal as `{"error": {"code", "message"}}`. The tables are in the `*_routes` modules;
`signaling/api.py` assembles and routes them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from classroom import errors, material_files
from classroom.errors import ClassroomError
from classroom.models import User
from classroom.service import Classroom
from classroom.sign_ins import SignIns

from .auth import TokenIssuer
from .body import BodyError, Schema, check, string
from .broadcasts import Broadcasts
from .compositions import Compositions
from .cookies import AUTH_COOKIE, cross_site
from .errors import ProtocolError
from .stream_keys import StreamKeys
from .throttle import LINK_FAILURES, TOO_MANY_ATTEMPTS, Throttle, TooManyAttempts

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
    "not_a_district": 404,
    "node_unreachable": 503,
    "no_such_node": 404,
    errors.SESSION_ENDED: 409,
    errors.SESSION_NOT_LIVE: 409,
    errors.SESSION_NOT_SCHEDULED: 409,
    errors.ERASE_SELF: 409,
    errors.LAST_ADMIN: 409,
    errors.CONFIRMATION_MISMATCH: 400,
    errors.RECORDING_IN_PROGRESS: 409,
    "not_recording": 409,
    "recording_unavailable": 503,
    UNAUTHORIZED: 401,
    BAD_JSON: 400,
    TOO_MANY_ATTEMPTS: 429,
    # materials (issue 18): an upload refused, nothing of it kept
    material_files.FILE_TOO_LARGE: 413,
    material_files.NOT_A_PDF: 415,
    material_files.CONVERSION_UNAVAILABLE: 415,
    material_files.PDF_DAMAGED: 422,
    material_files.PDF_ENCRYPTED: 422,
    material_files.PDF_EMPTY: 422,
    material_files.PDF_TOO_SLOW: 422,
    material_files.CONVERSION_FAILED: 422,
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
RoomStatus = Callable[[str], Awaitable[dict[str, Any]]]
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
SESSION_STARTED: web.AppKey[Callable[[str], Awaitable[None]]] = web.AppKey("session_started")
"""Called when a session starts, to let in those who came early."""
SESSION_ENDED: web.AppKey[SessionEnded] = web.AppKey("session_ended")
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
    upload: bool = False
    """Its body is multipart/form-data with one file, `file` (a material): the handler reads
    it as it streams in; it is never read as JSON."""


# --- fields several bodies share -------------------------------------------------------


LOGIN: Schema = string(64, 3, pattern="^[a-z0-9][a-z0-9._-]{2,63}$")
"""A new account's login (the pattern is its form once the domain has normalised it)."""
PASSWORD: Schema = string(1024, 8)
"""A new password."""
NAME: Schema = string(100, 1)
"""A person's, a class's or the school's name."""


# --- serving an operation --------------------------------------------------------------


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
                    request[USER] = await classroom.user(identity.user_id)
                    await request.app[SIGN_INS].check(identity.sign_in, identity.user_id)
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
