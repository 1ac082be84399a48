"""What a person types in for an account: a name, a login, a password; each checked (and a new
password hashed) the same way wherever an account is made or changed.

Separate from the use cases: `service.Classroom` and `administration.Administration` both
check these, and neither should reach into the other for them.
"""

from __future__ import annotations

import asyncio
import re

from .errors import InvalidInput
from .passwords import MAX_PASSWORD, hash_password
from .store import Conflict

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8
MAX_NAME = 100


def checked_name(value: str, what: str, limit: int = MAX_NAME, field: str = "name") -> str:
    """`value` with its runs of whitespace made single spaces; InvalidInput naming `field`
    when it is empty or longer than `limit`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must not be empty", field)
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(f"{what} must be at most {limit} characters", field)
    return value


def checked_login(value: str) -> str:
    """`value` trimmed and lowercased; InvalidInput unless it matches `LOGIN`."""
    value = value.strip().lower() if isinstance(value, str) else ""
    if not LOGIN.match(value):
        raise InvalidInput(
            "login must be 3-64 characters: latin letters, digits, dot, dash or underscore",
            "login",
        )
    return value


def checked_password(value: str) -> str:
    """`value` as it is; InvalidInput unless it is `MIN_PASSWORD` to `MAX_PASSWORD` long."""
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", "password"
        )
    return value


async def hash_new_password(password: str) -> str:
    """scrypt in a worker thread: 50 ms of it must not stall the event loop (signalling, and
    the SFU itself when it runs in-process)."""
    return await asyncio.to_thread(hash_password, checked_password(password))


def clash_field(exc: Conflict) -> str | None:
    """The input field a repository's Conflict is about: the login, or none in particular."""
    return "login" if str(exc).startswith("login ") else None
