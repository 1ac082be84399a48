"""Security headers on every response: what the pages may load and who may frame them.

The pages are static files with module scripts and stylesheets of their own; nothing inline,
nothing from another origin. So the Content-Security-Policy allows only this origin, which is
what keeps an injected `<script>` (a name typed by a pupil, shown somewhere unescaped) from
running. `blob:` is for hls.js (its worker and the media source of a broadcast); `data:` for
the empty favicon. No page may be framed (a lesson inside someone else's page could be
clickjacked into sharing a screen), and no address leaks to other sites as a Referer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

ResponseHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The lesson page asks for the camera, the microphone and the screen; nothing else does.
    "Permissions-Policy": (
        "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(),"
        " usb=()"
    ),
}

HSTS = "max-age=31536000"
"""Browsers that saw HTTPS here keep to it for a year (only sent over HTTPS)."""


def security_headers(https: bool) -> ResponseHook:
    """An `on_response_prepare` handler adding the headers (HSTS when served over HTTPS,
    itself or through a proxy its PUBLIC_URL names); a handler's own values are kept."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if https or request.secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)

    return add
