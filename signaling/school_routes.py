"""The REST API of the school and its people: the school's settings (its name, whether
parents watch their class's recordings, how long recordings are kept), and, for its admins,
the list of its people, new teacher accounts and verifying a teacher.

Deactivating people and password links are in `signaling/admin_routes.py`, erasing a person
in `signaling/erasure_routes.py`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from classroom.retention import MAX_KEPT_DAYS

from .api_plumbing import BODY, CLASSROOM, LOGIN, NAME, PASSWORD, Operation, _me
from .api_views import school_view, user_view
from .body import obj


async def get_school(request: web.Request) -> dict[str, Any]:
    return school_view(await request.app[CLASSROOM].school(_me(request)))


async def update_school(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    # null keeps recordings until deleted by hand, as 0 does; absent leaves the setting.
    kept = (body["recordings_kept_days"] or 0) if "recordings_kept_days" in body else None
    school = await request.app[CLASSROOM].update_school(
        _me(request),
        body.get("name"),
        body.get("parents_see_recordings"),
        kept,
        body.get("time_zone"),
    )
    return school_view(school)


async def list_users(request: web.Request) -> dict[str, Any]:
    return {"users": [user_view(u) for u in await request.app[CLASSROOM].people(_me(request))]}


async def create_teacher(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    teacher = await request.app[CLASSROOM].create_teacher(
        _me(request), body["name"], body["login"], body["password"]
    )
    return user_view(teacher)


async def verify_teacher(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    return user_view(await classroom.verify_teacher(_me(request), request.match_info["user_id"]))


SCHOOL_OPERATIONS = [
    Operation("GET", "/api/school", get_school, "My school", tags=["schools"]),
    Operation(
        "PATCH",
        "/api/school",
        update_school,
        "Rename the school, let parents watch their class's recordings, or set how many days"
        " recordings are kept (0 or null: until deleted by hand), or its time zone (admins)",
        body=obj(
            name=NAME,
            parents_see_recordings={"type": "boolean"},
            recordings_kept_days={
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_KEPT_DAYS,
                "description": "days after a recording stopped; 0 or null: kept until deleted",
            },
            time_zone={
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "an IANA zone, e.g. Europe/Moscow (unknown_time_zone otherwise):"
                " attendance shows times in it",
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
        body=obj(["name", "login", "password"], name=NAME, login=LOGIN, password=PASSWORD),
        tags=["people"],
    ),
    Operation(
        "POST",
        "/api/users/{user_id}/verify",
        verify_teacher,
        "Verify a teacher (admins)",
        tags=["people"],
    ),
]
