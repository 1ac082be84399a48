"""The embedded store's schools and their people: schools, accounts (with a parent's
children), and what founding a school and password links write.

Separate from classes and sessions: a part of `SqliteDatabase` of its own (a mixin on the
store's one connection), so each aggregate's statements read as a whole. The statements
that write an account (`_insert_user`, `_update_user`, `_write_children`) are here too: the
store's transactions across aggregates (an invite redeemed, a class list imported) use them,
and `_link_children` (an invite accepted).
"""

from __future__ import annotations

from . import sqlite_password_links
from .models import School, User
from .password_links import PasswordLink
from .sqlite_connection import SqliteConnection, conflicts, found, grouped
from .sqlite_rows import school_from_row, school_values, user_from_row, user_values


class SqlitePeople(SqliteConnection):
    """Schools, accounts and password links, for `SqliteDatabase`."""

    # schools

    def add_school(self, school: School) -> None:
        with self._transaction(), conflicts({"schools.id": f"school id {school.id!r} is taken"}):
            self._db.execute(
                "INSERT INTO schools (id, name, parents_see_recordings, recordings_kept_days,"
                " time_zone) VALUES (:id, :name, :parents_see_recordings,"
                " :recordings_kept_days, :time_zone)",
                school_values(school),
            )

    def update_school(self, school: School) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE schools SET name = :name, parents_see_recordings ="
                " :parents_see_recordings, recordings_kept_days = :recordings_kept_days,"
                " time_zone = :time_zone WHERE id = :id",
                school_values(school),
            )
            found(cursor, "school", school.id)

    def school(self, school_id: str) -> School | None:
        row = self._db.execute("SELECT * FROM schools WHERE id = ?", (school_id,)).fetchone()
        return None if row is None else school_from_row(row)

    def schools(self) -> list[School]:
        return [
            school_from_row(row) for row in self._db.execute("SELECT * FROM schools ORDER BY seq")
        ]

    # people

    def add_user(self, user: User) -> None:
        with self._transaction():
            self._insert_user(user)

    def update_user(self, user: User) -> None:
        with self._transaction():
            self._update_user(user)

    def user(self, user_id: str) -> User | None:
        return self._one_user("id", user_id)

    def user_by_login(self, login: str) -> User | None:
        return self._one_user("login", login)

    def users(self, school_id: str) -> list[User]:
        with self._transaction("BEGIN"):  # one snapshot for the rows and their children
            rows = self._db.execute(
                "SELECT * FROM users WHERE school_id = ? ORDER BY seq", (school_id,)
            ).fetchall()
            children = grouped(
                self._db.execute(
                    "SELECT parent_id, child_id FROM parent_children WHERE parent_id IN"
                    " (SELECT id FROM users WHERE school_id = ?) ORDER BY seq",
                    (school_id,),
                )
            )
        return [user_from_row(row, children.get(row["id"], [])) for row in rows]

    def _one_user(self, column: str, value: str) -> User | None:
        with self._transaction("BEGIN"):
            row = self._db.execute(f"SELECT * FROM users WHERE {column} = ?", (value,)).fetchone()
            if row is None:
                return None
            children = self._column(
                "SELECT child_id FROM parent_children WHERE parent_id = ? ORDER BY seq", row["id"]
            )
        return user_from_row(row, children)

    # running a school: its founding, password links (a class list: `SqliteDatabase.import_people`)

    def found_school(self, school: School, admin: User, link: PasswordLink | None) -> None:
        """The school, its first admin and their password link, as one transaction: a taken
        login leaves no school without an admin behind."""
        with self._transaction():
            with conflicts({"schools.id": f"school id {school.id!r} is taken"}):
                self._db.execute(
                    "INSERT INTO schools (id, name, parents_see_recordings, time_zone)"
                    " VALUES (:id, :name, :parents_see_recordings, :time_zone)",
                    school_values(school),
                )
            self._insert_user(admin)
            if link is not None:
                sqlite_password_links.put(self._db, link)

    def put_password_link(self, link: PasswordLink) -> None:
        """Store `link`, voiding the person's older one."""
        with self._transaction():
            sqlite_password_links.put(self._db, link)

    def password_link(self, secret_hash: str) -> PasswordLink | None:
        return sqlite_password_links.find(self._db, secret_hash)

    def use_password_link(self, link: PasswordLink, user: User) -> None:
        """Delete the link and save the account (its new password) as one transaction;
        KeyError, and nothing written, when the link is gone (used or replaced meanwhile)."""
        with self._transaction():
            if not sqlite_password_links.take(self._db, link.secret_hash):
                raise KeyError(f"no password link for {link.user_id!r}")
            self._update_user(user)

    # statements, inside the caller's transaction

    def _insert_user(self, user: User) -> None:
        clashes = {"users.id": f"user id {user.id!r} is taken"}
        if user.login is not None:
            clashes["users.login"] = f"login {user.login!r} is taken"
        with conflicts(clashes):
            self._db.execute(
                "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
                " disabled) VALUES (:id, :school_id, :role, :name, :login, :password_hash,"
                " :verified, :disabled)",
                user_values(user),
            )
        self._write_children(user)

    def _update_user(self, user: User) -> None:
        with conflicts({"users.login": f"login {user.login!r} is taken"}):
            cursor = self._db.execute(
                "UPDATE users SET school_id = :school_id, role = :role, name = :name,"
                " login = :login, password_hash = :password_hash, verified = :verified,"
                " disabled = :disabled WHERE id = :id",
                user_values(user),
            )
        found(cursor, "user", user.id)
        self._write_children(user)

    def _write_children(self, user: User) -> None:
        self._db.execute("DELETE FROM parent_children WHERE parent_id = ?", (user.id,))
        for child_id in user.children:
            clash = f"child {child_id!r} is listed twice for parent {user.id!r}"
            with conflicts({"parent_children.parent_id, parent_children.child_id": clash}):
                self._db.execute(
                    "INSERT INTO parent_children (parent_id, child_id) VALUES (?, ?)",
                    (user.id, child_id),
                )

    def _link_children(self, user: User) -> None:
        """Link the parent to those of `user.children` it is not linked to yet, leaving its
        other links alone: the caller's copy (read before the request's awaits) may miss a
        child another invite linked meanwhile. KeyError when there is no such account."""
        if self._db.execute("SELECT 1 FROM users WHERE id = ?", (user.id,)).fetchone() is None:
            raise KeyError(f"no user {user.id!r}")
        for child_id in user.children:
            self._db.execute(
                "INSERT OR IGNORE INTO parent_children (parent_id, child_id) VALUES (?, ?)",
                (user.id, child_id),
            )
