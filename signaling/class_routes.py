"""The REST API of classes and their invite links.

A class: the classes one may see, one with its members, a new one, its teachers. Its invite
links: making, listing and revoking them, and using one: what it is for (no sign-in: the
link is the secret), an account of one's own made from it, or an existing account joining
with it (another class, another child).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from classroom.roles import Role
from classroom.service import (
    INVITE_TTL_DEFAULT,
    INVITE_TTL_MAX,
    INVITE_USES_DEFAULT,
    INVITE_USES_MAX,
)

from .account_routes import signed_in
from .api_plumbing import BODY, CLASSROOM, LOGIN, NAME, PASSWORD, SETTINGS, Operation, _me
from .api_views import class_view, invite_view, user_view
from .body import obj, string


async def list_classes(request: web.Request) -> dict[str, Any]:
    return {"classes": [class_view(c) for c in await request.app[CLASSROOM].classes(_me(request))]}


async def create_class(request: web.Request) -> dict[str, Any]:
    return class_view(
        await request.app[CLASSROOM].create_class(_me(request), request[BODY]["name"])
    )


async def get_class(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    user = _me(request)
    school_class = await classroom.school_class(user, request.match_info["class_id"])
    people = {u.id: u for u in await classroom.members(user, school_class)}
    return class_view(school_class, people)


async def assign_teacher(request: web.Request) -> dict[str, Any]:
    school_class = await request.app[CLASSROOM].assign_teacher(
        _me(request), request.match_info["class_id"], request[BODY]["teacher_id"]
    )
    return class_view(school_class)


async def list_invites(request: web.Request) -> dict[str, Any]:
    base = request.app[SETTINGS].base_url
    invites = await request.app[CLASSROOM].invites(_me(request), request.match_info["class_id"])
    return {"invites": [invite_view(i, base) for i in invites]}


async def create_invite(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    invite = await request.app[CLASSROOM].create_invite(
        _me(request),
        request.match_info["class_id"],
        Role(body["role"]),
        ttl=body.get("ttl") or INVITE_TTL_DEFAULT,
        max_uses=body.get("max_uses") or INVITE_USES_DEFAULT,
        child_id=body.get("child_id"),
    )
    return invite_view(invite, request.app[SETTINGS].base_url)


async def revoke_invite(request: web.Request) -> dict[str, Any]:
    invite = await request.app[CLASSROOM].revoke_invite(
        _me(request), request.match_info["invite_id"]
    )
    return invite_view(invite, request.app[SETTINGS].base_url)


async def open_invite(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    invite, school, school_class = await classroom.open_invite(request.match_info["invite_id"])
    view: dict[str, Any] = {
        "school": school.name,
        "class": school_class.name,
        "role": invite.role.value,
        "expires_at": invite.expires_at,
    }
    if invite.role is Role.PARENT and invite.child_id is None:
        # A parent picks their child: first names only, shown to the link's holder alone.
        view["children"] = await classroom.pupils_for_invite(invite)
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
    return await signed_in(request, user)


async def accept_invite(request: web.Request) -> dict[str, Any]:
    user = await request.app[CLASSROOM].accept_invite(
        _me(request), request.match_info["invite_id"], request[BODY].get("child_id")
    )
    return user_view(user)


CLASS_OPERATIONS = [
    Operation("GET", "/api/classes", list_classes, "The classes I may see", tags=["classes"]),
    Operation(
        "POST",
        "/api/classes",
        create_class,
        "Create a class (admins)",
        body=obj(["name"], name=NAME),
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
            name=NAME,
            login=LOGIN,
            password=PASSWORD,
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
]
