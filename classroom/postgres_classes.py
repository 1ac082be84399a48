"""The PostgreSQL store's classes and invite links: a class with its teachers and pupils (in
their order), and the invites into it.

The counterpart of `sqlite_classes`: a part of `PostgresStore` of its own (a mixin on the
store's pool). `count_use` and `join` run inside the store's transactions across
aggregates (an invite redeemed or accepted, a class list imported).
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Invite, SchoolClass
from .postgres_connection import Connection, PostgresConnection, conflicts, found
from .sqlite_rows import class_values, invite_from_row, invite_values, school_class_from_row
from .store import Conflict

# A class with its members in one statement, so in one snapshot (see `postgres_people`).
_CLASSES = (
    "SELECT classes.*,"
    " ARRAY(SELECT user_id FROM class_teachers WHERE class_id = classes.id ORDER BY seq)"
    " AS teachers,"
    " ARRAY(SELECT user_id FROM class_pupils WHERE class_id = classes.id ORDER BY seq)"
    " AS pupils FROM classes"
)

_INVITE_COLUMNS = (
    "school_id = %(school_id)s, class_id = %(class_id)s, role = %(role)s,"
    " created_by = %(created_by)s, created_at = %(created_at)s, expires_at = %(expires_at)s,"
    " max_uses = %(max_uses)s, revoked = %(revoked)s, child_id = %(child_id)s"
)
"""Every column of an invite but `uses`, as SET assignments."""


class PostgresClasses(PostgresConnection):
    """Classes and invites, for `PostgresStore`."""

    # classes

    async def add_class(self, school_class: SchoolClass) -> None:
        async with self._transaction() as conn:
            with conflicts({"classes_id_key": f"class id {school_class.id!r} is taken"}):
                await conn.execute(
                    "INSERT INTO classes (id, school_id, name)"
                    " VALUES (%(id)s, %(school_id)s, %(name)s)",
                    class_values(school_class),
                )
            await _write_members(conn, school_class)

    async def update_class(self, school_class: SchoolClass) -> None:
        async with self._transaction() as conn:
            # The UPDATE locks the class's row first: two rewrites of its members take turns,
            # and the second's DELETEs (fresh snapshots) see the first's rows, so the class
            # ends with one list or the other, never a mix of both.
            cursor = await conn.execute(
                "UPDATE classes SET school_id = %(school_id)s, name = %(name)s WHERE id = %(id)s",
                class_values(school_class),
            )
            found(cursor, "class", school_class.id)
            await _write_members(conn, school_class)

    async def school_class(self, class_id: str) -> SchoolClass | None:
        row = await self._one(f"{_CLASSES} WHERE id = %s", class_id)
        return None if row is None else school_class_from_row(row, row["teachers"], row["pupils"])

    async def classes(self, school_id: str) -> list[SchoolClass]:
        rows = await self._all(f"{_CLASSES} WHERE school_id = %s ORDER BY seq", school_id)
        return [school_class_from_row(row, row["teachers"], row["pupils"]) for row in rows]

    # invites

    async def add_invite(self, invite: Invite) -> None:
        async with self._pool.connection() as conn:
            with conflicts({"invites_id_key": f"invite id {invite.id!r} is taken"}):
                await conn.execute(
                    "INSERT INTO invites (id, school_id, class_id, role, created_by, created_at,"
                    " expires_at, max_uses, uses, revoked, child_id) VALUES (%(id)s,"
                    " %(school_id)s, %(class_id)s, %(role)s, %(created_by)s, %(created_at)s,"
                    " %(expires_at)s, %(max_uses)s, %(uses)s, %(revoked)s, %(child_id)s)",
                    invite_values(invite),
                )

    async def update_invite(self, invite: Invite) -> None:
        # The caller's `uses` too: a revocation written over a use counted meanwhile loses
        # that count, on an invite nobody can use any more.
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"UPDATE invites SET {_INVITE_COLUMNS}, uses = %(uses)s WHERE id = %(id)s",
                invite_values(invite),
            )
            found(cursor, "invite", invite.id)

    async def invite(self, invite_id: str) -> Invite | None:
        row = await self._one("SELECT * FROM invites WHERE id = %s", invite_id)
        return None if row is None else invite_from_row(row)

    async def invites(self, class_id: str) -> list[Invite]:
        rows = await self._all(
            "SELECT * FROM invites WHERE class_id = %s ORDER BY created_at, seq", class_id
        )
        return [invite_from_row(row) for row in rows]


# statements, inside the caller's transaction


async def _write_members(conn: Connection, school_class: SchoolClass) -> None:
    """Replace the class's teachers and pupils with the object's lists, in their order."""
    for table, members, what in (
        ("class_teachers", school_class.teachers, "teachers"),
        ("class_pupils", school_class.pupils, "pupils"),
    ):
        await conn.execute(f"DELETE FROM {table} WHERE class_id = %s", (school_class.id,))
        for user_id in members:
            clash = f"user {user_id!r} is listed twice among the {what} of {school_class.id!r}"
            with conflicts({f"{table}_class_id_user_id_key": clash}):
                await conn.execute(
                    f"INSERT INTO {table} (class_id, user_id) VALUES (%s, %s)",
                    (school_class.id, user_id),
                )


async def count_use(conn: Connection, invite: Invite) -> None:
    """Count one use of the invite, writing the caller's other columns with it.

    The count is the database's, not the caller's copy: `invite` was read before the
    request's awaits (a password hash among them), and two people redeeming one link at
    once hold the same copy. Writing `uses` from it would count them once and let a link of
    N uses make any number of accounts. `uses = uses + 1` guarded by `uses < max_uses AND NOT
    revoked` makes the second wait for the first's row lock and then re-check the guard on
    the row as the first left it. Conflict when the guard fails (used up or revoked
    meanwhile), KeyError when there is no such invite; either way the caller's transaction
    rolls back whatever it wrote before."""
    cursor = await conn.execute(
        f"UPDATE invites SET {_INVITE_COLUMNS}, uses = uses + 1"
        " WHERE id = %(id)s AND uses < max_uses AND NOT revoked",
        invite_values(invite),
    )
    if cursor.rowcount == 1:
        return
    exists = await conn.execute("SELECT 1 FROM invites WHERE id = %s", (invite.id,))
    if await exists.fetchone() is None:
        raise KeyError(f"no invite {invite.id!r}")
    raise Conflict(f"invite {invite.id!r} is used up or revoked")


async def join(conn: Connection, school_class: SchoolClass, pupils: Iterable[str]) -> None:
    """Add those of `pupils` that the caller's copy of the class lists as its pupils to the
    class as it is now, after its other pupils; the rest of the copy is not written.

    The copy was read before the request's awaits: written back whole, as `update_class`
    does, it would drop a pupil another invite brought in meanwhile, or bring back one a
    teacher took out. Locking the class's row first makes this wait for an `update_class`
    of the same class, and it for this. KeyError when there is no such class."""
    cursor = await conn.execute(
        "SELECT 1 FROM classes WHERE id = %s FOR UPDATE", (school_class.id,)
    )
    if await cursor.fetchone() is None:
        raise KeyError(f"no class {school_class.id!r}")
    for user_id in pupils:
        if user_id in school_class.pupils:
            await conn.execute(
                "INSERT INTO class_pupils (class_id, user_id) VALUES (%s, %s)"
                " ON CONFLICT (class_id, user_id) DO NOTHING",
                (school_class.id, user_id),
            )
