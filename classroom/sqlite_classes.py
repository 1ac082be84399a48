"""The embedded store's classes and invite links: a class with its teachers and pupils (in
their order), and the invites into it.

Separate from schools and people, and from sessions: a part of `SqliteDatabase` of its own (a
mixin on the store's one connection). `_count_use` and `_join` run inside the store's
transactions across aggregates (an invite redeemed or accepted, a class list).
"""

from __future__ import annotations

from .models import Invite, SchoolClass
from .sqlite_connection import SqliteConnection, conflicts, found, grouped
from .sqlite_rows import class_values, invite_from_row, invite_values, school_class_from_row
from .store import Conflict


class SqliteClasses(SqliteConnection):
    """Classes and invites, for `SqliteDatabase`."""

    # classes

    def add_class(self, school_class: SchoolClass) -> None:
        with self._transaction():
            with conflicts({"classes.id": f"class id {school_class.id!r} is taken"}):
                self._db.execute(
                    "INSERT INTO classes (id, school_id, name) VALUES (:id, :school_id, :name)",
                    class_values(school_class),
                )
            self._write_members(school_class)

    def update_class(self, school_class: SchoolClass) -> None:
        with self._transaction():
            self._update_class(school_class)

    def school_class(self, class_id: str) -> SchoolClass | None:
        with self._transaction("BEGIN"):
            row = self._db.execute("SELECT * FROM classes WHERE id = ?", (class_id,)).fetchone()
            if row is None:
                return None
            teachers = self._column(
                "SELECT user_id FROM class_teachers WHERE class_id = ? ORDER BY seq", class_id
            )
            pupils = self._column(
                "SELECT user_id FROM class_pupils WHERE class_id = ? ORDER BY seq", class_id
            )
        return school_class_from_row(row, teachers, pupils)

    def classes(self, school_id: str) -> list[SchoolClass]:
        with self._transaction("BEGIN"):
            rows = self._db.execute(
                "SELECT * FROM classes WHERE school_id = ? ORDER BY seq", (school_id,)
            ).fetchall()
            members = {
                table: grouped(
                    self._db.execute(
                        f"SELECT class_id, user_id FROM {table} WHERE class_id IN"
                        " (SELECT id FROM classes WHERE school_id = ?) ORDER BY seq",
                        (school_id,),
                    )
                )
                for table in ("class_teachers", "class_pupils")
            }
        return [
            school_class_from_row(
                row,
                members["class_teachers"].get(row["id"], []),
                members["class_pupils"].get(row["id"], []),
            )
            for row in rows
        ]

    # invites

    def add_invite(self, invite: Invite) -> None:
        with self._transaction(), conflicts({"invites.id": f"invite id {invite.id!r} is taken"}):
            self._db.execute(
                "INSERT INTO invites (id, school_id, class_id, role, created_by, created_at,"
                " expires_at, max_uses, uses, revoked, child_id) VALUES (:id, :school_id,"
                " :class_id, :role, :created_by, :created_at, :expires_at, :max_uses, :uses,"
                " :revoked, :child_id)",
                invite_values(invite),
            )

    def update_invite(self, invite: Invite) -> None:
        with self._transaction():
            self._update_invite(invite)

    def invite(self, invite_id: str) -> Invite | None:
        row = self._db.execute("SELECT * FROM invites WHERE id = ?", (invite_id,)).fetchone()
        return None if row is None else invite_from_row(row)

    def invites(self, class_id: str) -> list[Invite]:
        rows = self._db.execute(
            "SELECT * FROM invites WHERE class_id = ? ORDER BY created_at, seq", (class_id,)
        )
        return [invite_from_row(row) for row in rows]

    # statements, inside the caller's transaction

    def _update_class(self, school_class: SchoolClass) -> None:
        cursor = self._db.execute(
            "UPDATE classes SET school_id = :school_id, name = :name WHERE id = :id",
            class_values(school_class),
        )
        found(cursor, "class", school_class.id)
        self._write_members(school_class)

    def _write_members(self, school_class: SchoolClass) -> None:
        """Replace the class's teachers and pupils with the object's lists, in their order."""
        for table, members, what in (
            ("class_teachers", school_class.teachers, "teachers"),
            ("class_pupils", school_class.pupils, "pupils"),
        ):
            self._db.execute(f"DELETE FROM {table} WHERE class_id = ?", (school_class.id,))
            for user_id in members:
                clash = f"user {user_id!r} is listed twice among the {what} of {school_class.id!r}"
                with conflicts({f"{table}.class_id, {table}.user_id": clash}):
                    self._db.execute(
                        f"INSERT INTO {table} (class_id, user_id) VALUES (?, ?)",
                        (school_class.id, user_id),
                    )

    def _update_invite(self, invite: Invite) -> None:
        cursor = self._db.execute(
            "UPDATE invites SET school_id = :school_id, class_id = :class_id, role = :role,"
            " created_by = :created_by, created_at = :created_at, expires_at = :expires_at,"
            " max_uses = :max_uses, uses = :uses, revoked = :revoked, child_id = :child_id"
            " WHERE id = :id",
            invite_values(invite),
        )
        found(cursor, "invite", invite.id)

    def _count_use(self, invite: Invite) -> None:
        """One more use of the invite, with the caller's other columns. The count is the
        database's: the caller's copy was read before the request's awaits, and people
        redeeming one link at once hold the same copy; written back, it would count them
        once and let a link of N uses make more than N accounts. Conflict when the invite is
        used up or revoked, KeyError when there is none."""
        cursor = self._db.execute(
            "UPDATE invites SET school_id = :school_id, class_id = :class_id, role = :role,"
            " created_by = :created_by, created_at = :created_at, expires_at = :expires_at,"
            " max_uses = :max_uses, revoked = :revoked, child_id = :child_id, uses = uses + 1"
            " WHERE id = :id AND uses < max_uses AND NOT revoked",
            invite_values(invite),
        )
        if cursor.rowcount == 1:
            return
        if self._db.execute("SELECT 1 FROM invites WHERE id = ?", (invite.id,)).fetchone() is None:
            raise KeyError(f"no invite {invite.id!r}")
        raise Conflict(f"invite {invite.id!r} is used up or revoked")

    def _join(self, school_class: SchoolClass, pupils: list[str]) -> None:
        """Add those of `pupils` that the caller's copy of the class lists to the class as
        it is now; the rest of the copy is not written. Written back whole, a copy read
        before the request's awaits would drop a pupil another invite brought in meanwhile,
        or bring back one a teacher took out. KeyError when there is no such class."""
        if (
            self._db.execute("SELECT 1 FROM classes WHERE id = ?", (school_class.id,)).fetchone()
            is None
        ):
            raise KeyError(f"no class {school_class.id!r}")
        for user_id in pupils:
            if user_id in school_class.pupils:
                self._db.execute(
                    "INSERT OR IGNORE INTO class_pupils (class_id, user_id) VALUES (?, ?)",
                    (school_class.id, user_id),
                )
