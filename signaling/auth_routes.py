"""Signing out: this device, or every device of the account at once."""

from __future__ import annotations

from aiohttp import web

from .account_routes import signed_out
from .api_plumbing import SETTINGS, SIGN_IN, SIGN_INS, USER, Operation
from .cookies import clear_auth_cookie


def _signed_out_response(request: web.Request, ended: int) -> web.Response:
    response = web.json_response({"signed_out": ended})
    clear_auth_cookie(response, request, request.app[SETTINGS].base_url)
    return response


async def logout(request: web.Request) -> web.Response:
    """Ends this sign-in: its token (and the room tokens made from it) stop working now."""
    sign_in = request[SIGN_IN]
    await request.app[SIGN_INS].sign_out(sign_in)
    await signed_out(request, request[USER].id, [sign_in])
    return _signed_out_response(request, 1)


async def logout_everywhere(request: web.Request) -> web.Response:
    """Ends every sign-in of the account (a lost phone, a shared computer)."""
    user_id = request[USER].id
    ended = await request.app[SIGN_INS].sign_out_everywhere(user_id)
    await signed_out(request, user_id, ended)
    return _signed_out_response(request, len(ended))


AUTH_OPERATIONS = [
    Operation("POST", "/api/auth/logout", logout, "Sign out on this device", tags=["auth"]),
    Operation(
        "POST",
        "/api/auth/logout-everywhere",
        logout_everywhere,
        "Sign out on every device: every token of the account stops working at once",
        tags=["auth"],
    ),
]
