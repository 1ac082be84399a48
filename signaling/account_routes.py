"""The REST API of one's own account: signing in with a password, who I am, changing my
password; and what a sign-in's start and end set off (`signed_in`: its token, and the
cookie; `signed_out`: the live room connections its tokens opened close).

Signing out is in `signaling/auth_routes.py`; an invite link makes an account and signs in
too (`signaling/class_routes.py`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError
from classroom.models import User

from .api_plumbing import (
    BODY,
    CLASSROOM,
    ISSUER,
    PASSWORD,
    SETTINGS,
    SIGN_IN,
    SIGN_INS,
    SIGNED_OUT,
    THROTTLE,
    Operation,
    _me,
)
from .api_views import school_view, user_view
from .body import obj, string
from .cookies import set_auth_cookie


async def signed_in(request: web.Request, user: User) -> web.Response:
    """A new sign-in of `user`: its token in the answer (API clients) and in the HttpOnly
    cookie (browsers, whose scripts never keep it)."""
    settings = request.app[SETTINGS]
    sign_in = await request.app[SIGN_INS].open(user.id, settings.token_ttl)
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
    return await signed_in(request, user)


async def me(request: web.Request) -> dict[str, Any]:
    classroom = request.app[CLASSROOM]
    user = _me(request)
    school = await classroom.school(user)
    return {"user": user_view(user), "school": school_view(school)}


async def change_password(request: web.Request) -> dict[str, Any]:
    body = request[BODY]
    me = _me(request)
    await request.app[CLASSROOM].change_password(me, body["old"], body["new"])
    # Whoever knew the old password is out everywhere but on the device that changed it.
    ended = await request.app[SIGN_INS].sign_out_everywhere(me.id, keep=request[SIGN_IN])
    await signed_out(request, me.id, ended)
    return {"changed": True}


async def signed_out(request: web.Request, user_id: str, sign_ins: list[str]) -> None:
    """Sign-ins ended: their live rooms' connections close too."""
    hook = request.app.get(SIGNED_OUT)
    if hook is not None and sign_ins:
        await hook(user_id, sign_ins)


SIGN_IN_OPERATIONS = [
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
]
# A table of its own: the published document lists it after the invite links (`api.OPERATIONS`).
PASSWORD_OPERATIONS = [
    Operation(
        "POST",
        "/api/me/password",
        change_password,
        "Change my password",
        body=obj(["old", "new"], old=string(1024), new=PASSWORD),
        tags=["auth"],
    ),
]
