"""The PostgreSQL store's schools and their people: schools, accounts (with a parent's
children), and what founding a school and password links write.

The counterpart of `sqlite_people`: a part of `PostgresStore` of its own (a mixin on the
store's pool). The statements that write an account (`_insert_user`, `_update_user`,
`_add_children`) take the caller's connection: the store's transactions across aggregates
(an invite redeemed, a class list imported) use them.
"""

from __future__ import annotations

from . import postgres_password_links
from .models import School, User
from .password_links import PasswordLink
from .postgres_connection import Connection, PostgresConnection, conflicts, found
from .sqlite_rows import school_from_row, school_values, user_from_row, user_values

# A user with their children in one statement, so in one snapshot: two SELECTs under READ
# COMMITTED could see the account before and its children after another transaction's
# commit.
_USERS = (
    "SELECT users.*, ARRAY(SELECT child_id FROM parent_children"
    " WHERE parent_id = users.id ORDER BY seq) AS children FROM users"
)


class PostgresPeople(PostgresConnection):
    """Schools, accounts and password links, for `PostgresStore`."""

    # schools

    async def add_school(self, school: School) -> None:
        async with self._pool.connection() as conn:
            await _insert_school(conn, school)

    async def update_school(self, school: School) -> None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE schools SET name = %(name)s, parents_see_recordings ="
                " %(parents_see_recordings)s, recordings_kept_days = %(recordings_kept_days)s,"
                " time_zone = %(time_zone)s WHERE id = %(id)s",
                school_values(school),
            )
            found(cursor, "school", school.id)

    async def school(self, school_id: str) -> School | None:
        row = await self._one("SELECT * FROM schools WHERE id = %s", school_id)
        return None if row is None else school_from_row(row)

    async def schools(self) -> list[School]:
        return [
            school_from_row(row) for row in await self._all("SELECT * FROM schools ORDER BY seq")
        ]

    # people

    async def add_user(self, user: User) -> None:
        async with self._transaction() as conn:
            await self._insert_user(conn, user)

    async def update_user(self, user: User) -> None:
        async with self._transaction() as conn:
            await self._update_user(conn, user)

    async def user(self, user_id: str) -> User | None:
        row = await self._one(f"{_USERS} WHERE id = %s", user_id)
        return None if row is None else user_from_row(row, row["children"])

    async def user_by_login(self, login: str) -> User | None:
        row = await self._one(f"{_USERS} WHERE login = %s", login)
        return None if row is None else user_from_row(row, row["children"])

    async def users(self, school_id: str) -> list[User]:
        rows = await self._all(f"{_USERS} WHERE school_id = %s ORDER BY seq", school_id)
        return [user_from_row(row, row["children"]) for row in rows]

    # running a school: its founding, password links (a class list: `PostgresStore.import_people`)

    async def found_school(self, school: School, admin: User, link: PasswordLink | None) -> None:
        """The school, its first admin and their password link, as one transaction: a taken
        login leaves no school without an admin behind."""
        async with self._transaction() as conn:
            await _insert_school(conn, school)
            await self._insert_user(conn, admin)
            if link is not None:
                await postgres_password_links.put(conn, link)

    async def put_password_link(self, link: PasswordLink) -> None:
        """Store `link`, voiding the person's older one."""
        async with self._pool.connection() as conn:
            await postgres_password_links.put(conn, link)

    async def password_link(self, secret_hash: str) -> PasswordLink | None:
        async with self._pool.connection() as conn:
            return await postgres_password_links.find(conn, secret_hash)

    async def use_password_link(self, link: PasswordLink, user: User) -> None:
        """Delete the link and save the account (its new password) as one transaction;
        KeyError, and nothing written, when the link is gone (used or replaced meanwhile)."""
        async with self._transaction() as conn:
            if not await postgres_password_links.take(conn, link.secret_hash):
                raise KeyError(f"no password link for {link.user_id!r}")
            await self._update_user(conn, user)

    # statements, inside the caller's transaction

    async def _insert_user(self, conn: Connection, user: User) -> None:
        clashes = {"users_id_key": f"user id {user.id!r} is taken"}
        if user.login is not None:
            clashes["users_login_key"] = f"login {user.login!r} is taken"
        with conflicts(clashes):
            await conn.execute(
                "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
                " disabled) VALUES (%(id)s, %(school_id)s, %(role)s, %(name)s, %(login)s,"
                " %(password_hash)s, %(verified)s, %(disabled)s)",
                user_values(user),
            )
        await self._add_children(conn, user)

    async def _update_user(self, conn: Connection, user: User) -> None:
        # The UPDATE locks the account's row first: two rewrites of its children take turns,
        # and the second DELETE (a statement of its own, a fresh snapshot) sees the first's
        # rows, so the account ends with one list or the other, never a mix of both.
        with conflicts({"users_login_key": f"login {user.login!r} is taken"}):
            cursor = await conn.execute(
                "UPDATE users SET school_id = %(school_id)s, role = %(role)s, name = %(name)s,"
                " login = %(login)s, password_hash = %(password_hash)s,"
                " verified = %(verified)s, disabled = %(disabled)s WHERE id = %(id)s",
                user_values(user),
            )
        found(cursor, "user", user.id)
        await conn.execute("DELETE FROM parent_children WHERE parent_id = %s", (user.id,))
        await self._add_children(conn, user)

    async def _add_children(self, conn: Connection, user: User) -> None:
        """Link the parent to each of `user.children`, in order; one listed twice clashes."""
        for child_id in user.children:
            clash = f"child {child_id!r} is listed twice for parent {user.id!r}"
            with conflicts({"parent_children_parent_id_child_id_key": clash}):
                await conn.execute(
                    "INSERT INTO parent_children (parent_id, child_id) VALUES (%s, %s)",
                    (user.id, child_id),
                )

    async def _link_children(self, conn: Connection, user: User) -> None:
        """Link the parent to those of `user.children` it is not linked to yet, leaving its
        other links alone. For an invite accepted: `user` was read before the request's
        awaits, and its copy of the children may miss a link another invite added since;
        written back whole, that link would be lost. The account's row is locked first, so
        this waits for an `_update_user` of the same account, and it for this."""
        cursor = await conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user.id,))
        if await cursor.fetchone() is None:
            raise KeyError(f"no user {user.id!r}")
        for child_id in user.children:
            await conn.execute(
                "INSERT INTO parent_children (parent_id, child_id) VALUES (%s, %s)"
                " ON CONFLICT (parent_id, child_id) DO NOTHING",
                (user.id, child_id),
            )


async def _insert_school(conn: Connection, school: School) -> None:
    with conflicts({"schools_id_key": f"school id {school.id!r} is taken"}):
        await conn.execute(
            "INSERT INTO schools (id, name, parents_see_recordings, recordings_kept_days,"
            " time_zone) VALUES (%(id)s, %(name)s, %(parents_see_recordings)s,"
            " %(recordings_kept_days)s, %(time_zone)s)",
            school_values(school),
        )
