"""The sign-ins table of the PostgreSQL store (`PostgresStore.sign_ins`): one row per
signed-in browser or API client, looked up on every authenticated request (by primary key).

Every method is one statement, so one transaction, and none needs a lock of its own.
"""

from __future__ import annotations

from psycopg.rows import DictRow

from .models import SignIn
from .postgres_connection import Pool


class PostgresSignIns:
    """`store.SignInRepository` on the store's pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, sign_in: SignIn) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO sign_ins (id, user_id, created_at, expires_at, revoked_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    sign_in.id,
                    sign_in.user_id,
                    sign_in.created_at,
                    sign_in.expires_at,
                    sign_in.revoked_at,
                ),
            )

    async def get(self, sign_in_id: str) -> SignIn | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT * FROM sign_ins WHERE id = %s", (sign_in_id,))
            row = await cursor.fetchone()
        return None if row is None else _sign_in(row)

    async def revoke(self, sign_in_id: str, at: float) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE sign_ins SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
                (at, sign_in_id),
            )

    async def revoke_user(self, user_id: str, at: float, keep: str | None = None) -> list[str]:
        """Ends every live sign-in of the account but `keep`; returns the ids it ended.

        One UPDATE … RETURNING where SQLite selects and then updates: a sign-out everywhere
        and a new password at once each return only the sign-ins they ended themselves (the
        second waits for the first's row locks, then finds those rows revoked), and a
        sign-in made between a SELECT and an UPDATE cannot be ended without being named."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "WITH ended AS (UPDATE sign_ins SET revoked_at = %s WHERE user_id = %s"
                " AND revoked_at IS NULL AND expires_at > %s AND id IS DISTINCT FROM %s"
                " RETURNING id, created_at) SELECT id FROM ended ORDER BY created_at, id",
                (at, user_id, at, keep),
            )
            return [row["id"] for row in await cursor.fetchall()]

    async def purge(self, before: float) -> int:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("DELETE FROM sign_ins WHERE expires_at < %s", (before,))
        return cursor.rowcount


def _sign_in(row: DictRow) -> SignIn:
    return SignIn(
        id=row["id"],
        user_id=row["user_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )
