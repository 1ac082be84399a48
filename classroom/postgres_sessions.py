"""The PostgreSQL store's sessions and what their rooms leave behind: attendance stays, chat
lines and removals.

The counterpart of `sqlite_sessions`: a part of `PostgresStore` of its own (a mixin on the
store's pool). A live room writes here often (a chat line, a stay), and each write is one
statement, so its own transaction.
"""

from __future__ import annotations

from .models import Attendance, ChatLine, Session
from .postgres_connection import PostgresConnection, conflicts, found
from .sqlite_rows import Value, attendance_from_row, session_from_row, session_values


def _values(session: Session) -> dict[str, Value | list[str]]:
    """SQLite's values, but the performers as a list: psycopg binds it as `text[]`."""
    return {**session_values(session), "performers": list(session.performers)}


class PostgresSessions(PostgresConnection):
    """Sessions, attendance, chat and removals, for `PostgresStore`."""

    # sessions

    async def add_session(self, session: Session) -> None:
        clashes = {
            "sessions_id_key": f"session id {session.id!r} is taken",
            "sessions_link_key": "another session has this link",
        }
        async with self._pool.connection() as conn:
            with conflicts(clashes):
                await conn.execute(
                    "INSERT INTO sessions (id, school_id, kind, title, created_by, created_at,"
                    " class_id, guest_id, scheduled_at, state, started_at, ended_at,"
                    " performers, link, hls_only, duration_minutes, cancelled) VALUES (%(id)s,"
                    " %(school_id)s, %(kind)s, %(title)s, %(created_by)s, %(created_at)s,"
                    " %(class_id)s, %(guest_id)s, %(scheduled_at)s, %(state)s, %(started_at)s,"
                    " %(ended_at)s, %(performers)s, %(link)s, %(hls_only)s,"
                    " %(duration_minutes)s, %(cancelled)s)",
                    _values(session),
                )

    async def update_session(self, session: Session) -> None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE sessions SET school_id = %(school_id)s, kind = %(kind)s,"
                " title = %(title)s, created_by = %(created_by)s, created_at = %(created_at)s,"
                " class_id = %(class_id)s, guest_id = %(guest_id)s,"
                " scheduled_at = %(scheduled_at)s, state = %(state)s,"
                " started_at = %(started_at)s, ended_at = %(ended_at)s,"
                " performers = %(performers)s, link = %(link)s, hls_only = %(hls_only)s,"
                " duration_minutes = %(duration_minutes)s, cancelled = %(cancelled)s"
                " WHERE id = %(id)s",
                _values(session),
            )
            found(cursor, "session", session.id)

    async def session(self, session_id: str) -> Session | None:
        row = await self._one("SELECT * FROM sessions WHERE id = %s", session_id)
        return None if row is None else session_from_row(row)

    async def session_by_link(self, link: str) -> Session | None:
        row = await self._one("SELECT * FROM sessions WHERE link = %s", link)
        return None if row is None else session_from_row(row)

    async def sessions(self, school_id: str) -> list[Session]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE school_id = %s ORDER BY seq", school_id
        )
        return [session_from_row(row) for row in rows]

    # the schedule (issue 18)

    async def upcoming_sessions(self, school_id: str, since: float) -> list[Session]:
        rows = await self._all(
            "SELECT * FROM sessions WHERE school_id = %s AND (state = 'live'"
            " OR (state = 'scheduled' AND scheduled_at >= %s))"
            " ORDER BY COALESCE(scheduled_at, started_at), seq",
            school_id,
            since,
        )
        return [session_from_row(row) for row in rows]

    # attendance

    async def add_attendance(self, stay: Attendance) -> int:
        row = await self._one(
            "INSERT INTO attendance (session_id, user_id, name, joined_at, left_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            stay.session_id,
            stay.user_id,
            stay.name,
            stay.joined_at,
            stay.left_at,
        )
        assert row is not None  # RETURNING gives the one row inserted
        stay_id: int = row["id"]
        return stay_id

    async def close_attendance(self, stay_id: int, left_at: float) -> None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE attendance SET left_at = %s WHERE id = %s", (left_at, stay_id)
            )
            found(cursor, "attendance stay", stay_id)

    async def attendance(self, session_id: str) -> list[Attendance]:
        rows = await self._all(
            "SELECT * FROM attendance WHERE session_id = %s ORDER BY joined_at, id", session_id
        )
        return [attendance_from_row(row) for row in rows]

    # chat

    async def add_chat(self, line: ChatLine) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO chat (session_id, user_id, name, text, ts)"
                " VALUES (%s, %s, %s, %s, %s)",
                (line.session_id, line.user_id, line.name, line.text, line.ts),
            )

    async def chat(self, session_id: str, limit: int) -> list[ChatLine]:
        # By id, the order the lines were written in: the identity is taken at INSERT, and
        # two lines of one room come from one task, one after the other.
        rows = await self._all(
            "SELECT * FROM (SELECT * FROM chat WHERE session_id = %s ORDER BY id DESC LIMIT %s)"
            " AS last ORDER BY id",
            session_id,
            limit,
        )
        return [
            ChatLine(row["session_id"], row["user_id"], row["name"], row["text"], row["ts"])
            for row in rows
        ]

    # removals

    async def add_removal(self, session_id: str, user_id: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO removals (session_id, user_id) VALUES (%s, %s)"
                " ON CONFLICT (session_id, user_id) DO NOTHING",
                (session_id, user_id),
            )

    async def is_removed(self, session_id: str, user_id: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM removals WHERE session_id = %s AND user_id = %s", session_id, user_id
        )
        return row is not None
