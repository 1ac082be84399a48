"""The browser's sign-in cookie: the API token where page scripts cannot read it.

HttpOnly keeps it from any script (an injected one included); SameSite=Strict keeps other
sites' pages from sending it, so a cross-site form or fetch arrives signed out; Secure
whenever the server is reached over HTTPS (itself, or through a proxy its PUBLIC_URL names).
Bearer tokens still work for API clients (bots, scripts), which hold their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

AUTH_COOKIE = "classroom_auth"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _secure(request: web.Request, base_url: str) -> bool:
    return request.secure or base_url.startswith("https://")


def set_auth_cookie(
    response: web.StreamResponse, request: web.Request, token: str, ttl: int, base_url: str
) -> None:
    response.set_cookie(
        AUTH_COOKIE,
        token,
        max_age=ttl,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_secure(request, base_url),
    )


def clear_auth_cookie(response: web.StreamResponse, request: web.Request, base_url: str) -> None:
    response.del_cookie(
        AUTH_COOKIE, path="/", httponly=True, samesite="Strict", secure=_secure(request, base_url)
    )


def cross_site(request: web.Request) -> bool:
    """Whether a cookie-carrying request that changes something came from another site's
    page. SameSite=Strict already keeps the cookie off those in today's browsers; this also
    refuses them where the browser says where a request came from (Sec-Fetch-Site, Origin)."""
    if request.method not in UNSAFE_METHODS:
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    # The host only: behind a TLS proxy the scheme we see is not the one the browser used.
    return urlsplit(origin).netloc != request.host
