"""The SQL of one-time password links (`password_links.PasswordLink`), for `SqliteDatabase`.

Statements only: the store's methods hold the transactions they run in.
"""

from __future__ import annotations

import sqlite3

from .password_links import PasswordLink


def put(db: sqlite3.Connection, link: PasswordLink) -> None:
    """Store `link`, voiding the person's older one."""
    db.execute("DELETE FROM password_links WHERE user_id = ?", (link.user_id,))
    db.execute(
        "INSERT INTO password_links (secret_hash, user_id, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (link.secret_hash, link.user_id, link.created_by, link.created_at, link.expires_at),
    )


def find(db: sqlite3.Connection, secret_hash: str) -> PasswordLink | None:
    row = db.execute(
        "SELECT * FROM password_links WHERE secret_hash = ?", (secret_hash,)
    ).fetchone()
    if row is None:
        return None
    return PasswordLink(
        secret_hash=row["secret_hash"],
        user_id=row["user_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


def take(db: sqlite3.Connection, secret_hash: str) -> bool:
    """Delete the link; False if it was gone already (used, or replaced, meanwhile)."""
    cursor = db.execute("DELETE FROM password_links WHERE secret_hash = ?", (secret_hash,))
    return cursor.rowcount == 1
