"""Access tokens for bots, signed with the server's secret as docs/protocol.md describes them.

The server lets one identity be in a room once (a newer connection replaces the older), so
every bot needs its own token; a bench that starts the server with ``SECRET`` set mints them.
"""

import time

import jwt

ROLE_GRANTS = {
    "teacher": {"publish": True, "subscribe": True, "moderate": True},
    "pupil": {"publish": True, "subscribe": True, "moderate": False},
    "parent": {"publish": True, "subscribe": True, "moderate": False},
    "guest": {"publish": False, "subscribe": True, "moderate": False},
}


def mint_token(
    secret: str,
    identity: str,
    room: str,
    *,
    role: str = "pupil",
    name: str | None = None,
    grants: dict[str, bool] | None = None,
    ttl: int = 3600,
    now: float | None = None,
    extra: dict[str, object] | None = None,
) -> str:
    """An HS256 JWT admitting ``identity`` to ``room`` with ``role``'s usual grants; ``extra``
    claims on top (an event's ``music``, ``hls``)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": identity,
        "name": name or identity,
        "room": room,
        "role": role,
        "grants": grants if grants is not None else ROLE_GRANTS.get(role, ROLE_GRANTS["guest"]),
        "iat": issued,
        "exp": issued + ttl,
        **(extra or {}),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
