"""The sign-ins table of the embedded store (`SqliteDatabase.sign_ins`): one row per signed-in
browser or API client, looked up on every authenticated request (by primary key)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from .models import SignIn

Transaction = Callable[[], AbstractContextManager[None]]


class SqliteSignIns:
    """`store.SignInRepository` on the store's own connection and transactions."""

    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self._db = db
        self._transaction = transaction

    def add(self, sign_in: SignIn) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO sign_ins (id, user_id, created_at, expires_at, revoked_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    sign_in.id,
                    sign_in.user_id,
                    sign_in.created_at,
                    sign_in.expires_at,
                    sign_in.revoked_at,
                ),
            )

    def get(self, sign_in_id: str) -> SignIn | None:
        row = self._db.execute("SELECT * FROM sign_ins WHERE id = ?", (sign_in_id,)).fetchone()
        return None if row is None else _sign_in(row)

    def revoke(self, sign_in_id: str, at: float) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE sign_ins SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (at, sign_in_id),
            )

    def revoke_user(self, user_id: str, at: float, keep: str | None = None) -> list[str]:
        with self._transaction():
            ids = [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM sign_ins WHERE user_id = ? AND revoked_at IS NULL"
                    " AND expires_at > ? AND id IS NOT ?",
                    (user_id, at, keep),
                )
            ]
            self._db.executemany(
                "UPDATE sign_ins SET revoked_at = ? WHERE id = ?", [(at, i) for i in ids]
            )
        return ids

    def purge(self, before: float) -> int:
        with self._transaction():
            cursor = self._db.execute("DELETE FROM sign_ins WHERE expires_at < ?", (before,))
        return cursor.rowcount


def _sign_in(row: sqlite3.Row) -> SignIn:
    return SignIn(
        id=row["id"],
        user_id=row["user_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )
