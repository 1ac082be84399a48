"""The REST API under /api: sign-in, classes, people, invite links, sessions, attendance.

Each operation is declared once, in a table with its schema; the same tables register the
aiohttp routes and write /api/openapi.json. Errors are `{"error": {"code", "message"}}` with
the domain's stable codes; a refused request writes nothing.

The parts: `api_plumbing.py` (the app's keys, `Operation`, and serving one), `api_views.py`
(the JSON of a person, a class, an invite, a session, a school), and the tables with their
handlers: `account_routes.py` (signing in, my account), `school_routes.py` (the school and its
people), `class_routes.py` (classes and invite links), `session_routes.py` (sessions, their
chat and attendance), then `auth_routes.py`, `recording_routes.py`, `event_routes.py`,
`hls_routes.py`, `admin_routes.py`, `erasure_routes.py` and `material_routes.py`. This
module assembles `OPERATIONS` and routes every table; the app and the tests take the keys
from here.
"""

from __future__ import annotations

from aiohttp import web

from .account_routes import PASSWORD_OPERATIONS, SIGN_IN_OPERATIONS, signed_in, signed_out
from .api_plumbing import (
    BAD_JSON,
    BODY,
    BROADCASTS,
    CLASSROOM,
    COMPOSITIONS,
    ISSUER,
    RECORDING_SWITCH,
    RECORDINGS,
    ROOM_STATUS,
    SESSION_ENDED,
    SESSION_STARTED,
    SETTINGS,
    SIGN_IN,
    SIGN_INS,
    SIGNED_OUT,
    STREAM_KEYS,
    THROTTLE,
    UNAUTHORIZED,
    USER,
    ApiSettings,
    Handler,
    Operation,
    RecordingSwitch,
    RoomStatus,
    SessionEnded,
    SignedOut,
    _wrap,
)
from .api_views import class_view, invite_view, school_view, session_view, user_view
from .class_routes import CLASS_OPERATIONS
from .schedule_routes import SCHEDULE_OPERATIONS
from .school_routes import SCHOOL_OPERATIONS
from .session_routes import PERFORMERS, SESSION_OPERATIONS, hls_path

__all__ = [
    "BAD_JSON",
    "BODY",
    "BROADCASTS",
    "CLASSROOM",
    "COMPOSITIONS",
    "ISSUER",
    "OPERATIONS",
    "PERFORMERS",
    "RECORDINGS",
    "RECORDING_SWITCH",
    "ROOM_STATUS",
    "SESSION_ENDED",
    "SESSION_STARTED",
    "SETTINGS",
    "SIGNED_OUT",
    "SIGN_IN",
    "SIGN_INS",
    "STREAM_KEYS",
    "THROTTLE",
    "UNAUTHORIZED",
    "USER",
    "ApiSettings",
    "Handler",
    "Operation",
    "RecordingSwitch",
    "RoomStatus",
    "SessionEnded",
    "SignedOut",
    "add_routes",
    "class_view",
    "hls_path",
    "invite_view",
    "school_view",
    "session_view",
    "signed_in",
    "signed_out",
    "user_view",
]

# In the order /api/openapi.json lists them (a path where its first operation is): changing
# it changes the published document.
OPERATIONS = (
    SIGN_IN_OPERATIONS
    + SCHOOL_OPERATIONS
    + CLASS_OPERATIONS
    + PASSWORD_OPERATIONS
    + SCHEDULE_OPERATIONS
    + SESSION_OPERATIONS
)


def add_routes(app: web.Application) -> None:
    # Imported here, not at the top: a route module may take its names from this module
    # (they are re-exported above), which must be whole first.
    from .admin_routes import ADMIN_OPERATIONS
    from .auth_routes import AUTH_OPERATIONS
    from .district_routes import DISTRICT_OPERATIONS
    from .erasure_routes import ERASURE_OPERATIONS
    from .event_routes import EVENT_OPERATIONS
    from .hls_routes import HLS_OPERATIONS
    from .lesson_record_routes import LESSON_RECORD_OPERATIONS
    from .material_routes import MATERIAL_OPERATIONS
    from .openapi import document
    from .recording_routes import RECORDING_OPERATIONS

    operations = (
        OPERATIONS
        + AUTH_OPERATIONS
        + RECORDING_OPERATIONS
        + EVENT_OPERATIONS
        + HLS_OPERATIONS
        + ADMIN_OPERATIONS
        + DISTRICT_OPERATIONS
        + ERASURE_OPERATIONS
        + LESSON_RECORD_OPERATIONS
        + MATERIAL_OPERATIONS
    )
    spec = document(operations)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/openapi.json", openapi)
    for operation in operations:
        app.router.add_route(operation.method, operation.path, _wrap(operation))
