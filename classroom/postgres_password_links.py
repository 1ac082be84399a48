"""The SQL of one-time password links (`password_links.PasswordLink`), for `PostgresStore`.

Statements only: the store's methods hold the transactions they run in.
"""

from __future__ import annotations

from .password_links import PasswordLink
from .postgres_connection import Connection


async def put(conn: Connection, link: PasswordLink) -> None:
    """Store `link`, voiding the person's older one. One upsert, where SQLite deletes and
    then inserts: two links made for one person at once would both find no older row to
    delete, and the second INSERT would break UNIQUE (user_id) instead of replacing."""
    await conn.execute(
        "INSERT INTO password_links (secret_hash, user_id, created_by, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET"
        " secret_hash = excluded.secret_hash, created_by = excluded.created_by,"
        " created_at = excluded.created_at, expires_at = excluded.expires_at",
        (link.secret_hash, link.user_id, link.created_by, link.created_at, link.expires_at),
    )


async def find(conn: Connection, secret_hash: str) -> PasswordLink | None:
    cursor = await conn.execute(
        "SELECT * FROM password_links WHERE secret_hash = %s", (secret_hash,)
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return PasswordLink(
        secret_hash=row["secret_hash"],
        user_id=row["user_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


async def take(conn: Connection, secret_hash: str) -> bool:
    """Delete the link; False if it was gone already (used, or replaced, meanwhile). Two
    uses at once: the second DELETE waits for the first's row lock, then finds no row."""
    cursor = await conn.execute("DELETE FROM password_links WHERE secret_hash = %s", (secret_hash,))
    return cursor.rowcount == 1
