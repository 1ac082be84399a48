"""One-time links that set a person's password: a reset by an admin or a teacher, or the first
password of an account made by the operator or by a class list import.

The link's URL holds a random secret; only its SHA-256 is kept, so a copy of the database
opens no account. A person has at most one live link: a newer one replaces the older, and
using one deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

RESET_TTL = 24 * 3600
"""A reset link: the person asked for it and uses it today."""
WELCOME_TTL = 7 * 24 * 3600
"""A new account's first link: handed out on paper in class, used over the week."""


@dataclass(frozen=True)
class PasswordLink:
    secret_hash: str
    """SHA-256 (hex) of the secret in the URL. 192 random bits need no slow hash."""
    user_id: str
    created_by: str | None
    """Who made it; None for the operator's command."""
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class IssuedLink:
    """A link just made: its secret (to put in the URL, once) and what is stored."""

    secret: str
    link: PasswordLink


def issue(user_id: str, created_by: str | None, now: float, ttl: int) -> IssuedLink:
    secret = secrets.token_urlsafe(24)
    return IssuedLink(
        secret, PasswordLink(hash_secret(secret), user_id, created_by, now, now + ttl)
    )


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
