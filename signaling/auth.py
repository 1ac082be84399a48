"""Access tokens: signed JWTs carrying a participant's room, identity, role and grants."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from classroom.roles import Grants, Role

from .errors import BAD_TOKEN, TOKEN_EXPIRED, ProtocolError

ALGORITHM = "HS256"
API_TOKEN = "api"


@dataclass(frozen=True)
class Claims:
    identity: str
    name: str
    room: str
    role: Role
    grants: Grants
    expires: int
    lobby: bool = False
    """Waits in the lobby until a host admits them (parents at a parent meeting)."""
    music: bool = False
    """Publishes in music mode (an event's performer)."""


class TokenIssuer:
    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 32 characters (RFC 7518 3.2)")
        self._secret = secret

    def issue(
        self,
        identity: str,
        name: str,
        room: str,
        role: Role,
        grants: Grants,
        ttl: int,
        now: float | None = None,
        lobby: bool = False,
        title: str | None = None,
        kind: str | None = None,
        music: bool = False,
        hls: str | None = None,
    ) -> str:
        """`title` and `kind` are for the join page to say what it opens ("Event «Concert»"),
        `hls` for an event's audience page (its live HLS, when WebRTC has no room); the
        server never reads them back."""
        issued = int(time.time() if now is None else now)
        payload: dict[str, object] = {
            "sub": identity,
            "name": name,
            "room": room,
            "role": role.value,
            "grants": grants.to_dict(),
            "iat": issued,
            "exp": issued + ttl,
        }
        if lobby:
            payload["lobby"] = True
        if music:
            payload["music"] = True
        if title:
            payload["title"] = title
        if hls:
            payload["hls"] = hls
        if kind:
            payload["kind"] = kind
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def issue_api(self, user_id: str, ttl: int, now: float | None = None) -> str:
        """A bearer token for the REST API: the account only; grants are looked up per call,
        so a revoked role or a disabled account takes effect at once."""
        issued = int(time.time() if now is None else now)
        payload = {"sub": user_id, "typ": API_TOKEN, "iat": issued, "exp": issued + ttl}
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify_api(self, token: str) -> str:
        """The user id of a valid API token, or ProtocolError bad_token / token_expired."""
        try:
            payload = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise ProtocolError(TOKEN_EXPIRED, "the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise ProtocolError(BAD_TOKEN, f"the access token is not valid: {exc}") from exc
        # A room token (no "typ") must not open the API, nor an API token a room.
        if payload.get("typ") != API_TOKEN or not isinstance(payload["sub"], str):
            raise ProtocolError(BAD_TOKEN, "this is not an API access token")
        return payload["sub"]

    def verify(self, token: object) -> Claims:
        """The token's claims, or ProtocolError bad_token / token_expired."""
        if not isinstance(token, str) or not token:
            raise ProtocolError(BAD_TOKEN, "token must be a non-empty string")
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "room"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ProtocolError(TOKEN_EXPIRED, "the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise ProtocolError(BAD_TOKEN, f"the access token is not valid: {exc}") from exc
        if "typ" in payload:
            raise ProtocolError(BAD_TOKEN, "an API token cannot join a room")
        try:
            role = Role(payload.get("role", "guest"))
            grants = Grants.from_dict(payload.get("grants", {}))
            identity, room = payload["sub"], payload["room"]
            name = payload.get("name", identity)
            if not all(isinstance(v, str) and v for v in (identity, room, name)):
                raise ValueError("sub, room and name must be non-empty strings")
        except (ValueError, KeyError) as exc:
            raise ProtocolError(BAD_TOKEN, f"the access token's claims are invalid: {exc}") from exc
        lobby = payload.get("lobby", False) is True
        music = payload.get("music", False) is True
        return Claims(identity, name, room, role, grants, int(payload["exp"]), lobby, music)
