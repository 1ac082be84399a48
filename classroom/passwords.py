"""Password hashing with scrypt, a memory-hard KDF from the standard library.

Parameters are stored with each hash, so they can be raised later without invalidating
existing accounts (`needs_rehash`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
"""16 MiB of memory and ~50 ms per hash here: costly to guess in bulk, cheap to sign in."""
SALT_BYTES = 16
KEY_BYTES = 32
MAX_PASSWORD = 1024
"""Longer input is refused before hashing: scrypt's cost must not be the attacker's to choose."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches; a missing or malformed hash never matches."""
    if stored is None or len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def burn_time(password: str) -> None:
    """Spend what a real check costs, so an unknown login answers as slowly as a known one."""
    _scrypt(password[:MAX_PASSWORD], b"\0" * SALT_BYTES, N, R, P)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=KEY_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
