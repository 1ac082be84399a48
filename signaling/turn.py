"""TURN credentials for the join response: coturn's shared-secret ("REST API") scheme.

coturn runs beside the server with `use-auth-secret` and `static-auth-secret=<TURN_SECRET>`.
Each participant gets a username `<expiry>:<identity>` and, as password, the base64 of the
HMAC-SHA1 of that username under the shared secret. coturn recomputes it, so the server and
coturn never talk, and a leaked credential stops working at its expiry (coturn checks it on
every allocation and refresh, so it must outlive the longest lesson).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TurnConfig:
    secret: str
    urls: list[str] = field(default_factory=list)
    """What clients try, e.g. turn:turn.school.example:3478?transport=udp,
    turn:…:3478?transport=tcp, turns:…:443?transport=tcp (TLS through firewalls that pass only
    HTTPS)."""
    ttl: int = 12 * 3600


def ice_servers(turn: TurnConfig | None, identity: str, now: float) -> list[dict[str, Any]]:
    """The `iceServers` a participant's browser gets in `joined` (empty without TURN)."""
    if turn is None or not turn.urls:
        return []
    username = f"{int(now) + turn.ttl}:{identity}"
    digest = hmac.new(turn.secret.encode(), username.encode(), hashlib.sha1).digest()
    return [
        {
            "urls": list(turn.urls),
            "username": username,
            "credential": base64.b64encode(digest).decode(),
        }
    ]
