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
    sign_in: str | None = None
    """The account's sign-in the token was made from (`classroom.sign_ins`): when it ends,
    the token stops opening the room. None for tokens made without one (demo and guest
    links, the bench)."""


@dataclass(frozen=True)
class ApiIdentity:
    """Who an API token speaks for, and through which sign-in."""

    user_id: str
    sign_in: str


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
        sign_in: str | None = None,
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
        if sign_in:
            payload["sid"] = sign_in
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def issue_api(self, user_id: str, sign_in: str, ttl: int, now: float | None = None) -> str:
        """A bearer token for the REST API: the account and its sign-in only; grants and the
        sign-in are looked up per call, so a revoked role, a disabled account or a sign-out
        takes effect at once."""
        issued = int(time.time() if now is None else now)
        payload = {
            "sub": user_id,
            "sid": sign_in,
            "typ": API_TOKEN,
            "iat": issued,
            "exp": issued + ttl,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify_api(self, token: str) -> ApiIdentity:
        """Whom a valid API token speaks for, or ProtocolError bad_token / token_expired."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "sid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ProtocolError(TOKEN_EXPIRED, "the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise ProtocolError(BAD_TOKEN, f"the access token is not valid: {exc}") from exc
        # A room token (no "typ") must not open the API, nor an API token a room.
        user_id, sign_in = payload["sub"], payload["sid"]
        if payload.get("typ") != API_TOKEN or not isinstance(user_id, str):
            raise ProtocolError(BAD_TOKEN, "this is not an API access token")
        if not isinstance(sign_in, str) or not sign_in:
            raise ProtocolError(BAD_TOKEN, "the access token names no sign-in")
        return ApiIdentity(user_id, sign_in)

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
        sign_in = payload.get("sid")
        if sign_in is not None and (not isinstance(sign_in, str) or not sign_in):
            raise ProtocolError(BAD_TOKEN, "the access token's sid must be a non-empty string")
        return Claims(
            identity, name, room, role, grants, int(payload["exp"]), lobby, music, sign_in
        )
