"""Keys to an event's HLS files: the event, until when, signed with the server's secret.

The key is the only secret of `/hls/<key>/…` (signaling/hls_routes.py): nothing else is
checked, so a CDN may cache what it opens, and it stops working when it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from classroom import errors
from classroom.errors import ClassroomError


class StreamKeys:
    """Signed, expiring keys to one event's HLS files."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _sign(self, session_id: str, expires: int) -> str:
        message = f"hls:{session_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def key(self, session_id: str, ttl: int, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + ttl)
        return f"{session_id}.{expires}.{self._sign(session_id, expires)}"

    def path(self, session_id: str, ttl: int, name: str = "live.m3u8") -> str:
        return f"/hls/{self.key(session_id, ttl)}/{name}"

    def session_of(self, key: str, now: float | None = None) -> str:
        """The event a key opens; not_found for a forged one, forbidden for an old one."""
        parts = key.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise ClassroomError(errors.NOT_FOUND, "no such stream")
        session_id, expires, signature = parts[0], int(parts[1]), parts[2]
        if not hmac.compare_digest(signature, self._sign(session_id, expires)):
            raise ClassroomError(errors.NOT_FOUND, "no such stream")
        if expires < (time.time() if now is None else now):
            raise ClassroomError(errors.FORBIDDEN, "this stream link has expired")
        return session_id
