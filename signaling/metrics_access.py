"""Who may read /metrics: Prometheus with METRICS_TOKEN, or a scrape from this machine.

The numbers say how many lessons run and how many people are in them: not for the open
internet. Without a token, a scrape is answered only when it comes from a loopback address
and no reverse proxy forwarded it (nginx and Caddy add X-Forwarded-For), so the same server
behind a proxy on the same machine does not hand it to anyone who asks.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from aiohttp import web

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _from_this_machine(request: web.Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def metrics_refusal(request: web.Request, token: str, beside_pages: bool) -> web.Response | None:
    """None when the scrape may be answered, else the refusal to send. On a listener of its
    own (not `beside_pages`) the address the operator chose is the guard, and the token if
    one is set."""
    if token:
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, f"Bearer {token}".encode()):
            return None
        return web.Response(
            status=401,
            text="metrics: send Authorization: Bearer <METRICS_TOKEN>\n",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if not beside_pages or _from_this_machine(request):
        return None
    return web.Response(
        status=403,
        text="metrics: only scrapes from this machine, unless METRICS_TOKEN is set\n",
    )
