"""The embedded repository's statements, synchronous: one SQLite file (or ":memory:"),
stdlib `sqlite3` only. `sqlite_store.SqliteStore` is the `store.Repository` over it and runs
every call of it on a thread of its own, so the connection is used from that thread only.

Each write method is one `BEGIN IMMEDIATE` … `COMMIT`, so it writes everything or nothing; a
uniqueness clash comes out as `store.Conflict` naming what clashed. The schema is versioned
with `PRAGMA user_version` and grows only by appending to `MIGRATIONS`.

The database is put together from one part per aggregate, each a mixin on the one connection:
`sqlite_people` (schools, accounts, password links), `sqlite_classes` (classes, invites) and
`sqlite_sessions` (sessions, attendance, chat, removals), `sqlite_polls` (a session's polls
and answers); `sqlite_sign_ins` is its own object.
What is left here opens the connection and holds the transactions that span aggregates (an
invite redeemed or accepted, a class list imported, a person erased). The schema is in
`sqlite_schema`, the row ↔ model conversions in `sqlite_rows`, the connection's transactions
and helpers in `sqlite_connection`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import sqlite_password_links
from .models import Invite, SchoolClass, User
from .password_links import PasswordLink
from .sqlite_classes import SqliteClasses
from .sqlite_connection import open_database
from .sqlite_erasure import erase_user
from .sqlite_materials import SqliteMaterials
from .sqlite_people import SqlitePeople
from .sqlite_polls import SqlitePolls
from .sqlite_sessions import SqliteSessions
from .sqlite_sign_ins import SqliteSignIns
from .store import ErasedRows


class SqliteDatabase(SqlitePeople, SqliteClasses, SqliteSessions, SqlitePolls):
    """The repository's statements on one SQLite connection, used from one thread."""

    def __init__(self, path: str | Path, migrations: Sequence[str]) -> None:
        self._db = open_database(path, migrations)
        self.sign_ins = SqliteSignIns(self._db, self._transaction)
        self.materials = SqliteMaterials(self._db, self._transaction)

    def close(self) -> None:
        self._db.close()  # closing a closed sqlite3 connection is a no-op

    # across aggregates: one transaction over people and classes

    def import_people(
        self, people: list[User], school_class: SchoolClass, links: list[PasswordLink]
    ) -> None:
        """New accounts (pupils before the parents naming them), the new pupils added to
        the class as it is now (`_join`), and each account's password link, as one
        transaction: all or nothing."""
        with self._transaction():
            for user in people:
                self._insert_user(user)
            self._join(school_class, [user.id for user in people])
            for link in links:
                sqlite_password_links.put(self._db, link)

    def redeem_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """The use counted (`_count_use`), the account created and, for a pupil, added to
        the class as it is now (`_join`), as one transaction: a taken login raises Conflict
        and leaves the invite's uses, the class and the accounts as they were."""
        with self._transaction():
            self._count_use(invite)
            # The account before the class: its new pupil must exist before the class names it.
            self._insert_user(user)
            self._join(school_class, [user.id])

    def accept_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """An existing account uses an invite: the use counted, and the account added to the
        class (a pupil) or the child to the parent's children (`_link_children`), as one
        transaction."""
        with self._transaction():
            self._count_use(invite)
            self._link_children(user)
            self._join(school_class, [user.id])

    # erasure

    def erase_user(
        self, user_id: str, reassign_to: str, erased_name: str, erased_id: str
    ) -> ErasedRows:
        with self._transaction():
            return erase_user(self._db, user_id, reassign_to, erased_name, erased_id)
