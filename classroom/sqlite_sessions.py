"""The embedded store's sessions and what their rooms leave behind: attendance stays, chat
lines and removals.

Separate from schools, people and classes: a part of `SqliteDatabase` of its own (a mixin on
the store's one connection). A live room writes here often (a chat line, a stay), so each
write is one short transaction of its own.
"""

from __future__ import annotations

from .models import Attendance, ChatLine, Session
from .sqlite_connection import SqliteConnection, conflicts, found
from .sqlite_rows import attendance_from_row, session_from_row, session_values


class SqliteSessions(SqliteConnection):
    """Sessions, attendance, chat and removals, for `SqliteDatabase`."""

    # sessions

    def add_session(self, session: Session) -> None:
        with (
            self._transaction(),
            conflicts(
                {
                    "sessions.id": f"session id {session.id!r} is taken",
                    "sessions.link": "another session has this link",
                }
            ),
        ):
            self._db.execute(
                "INSERT INTO sessions (id, school_id, kind, title, created_by, created_at,"
                " class_id, guest_id, scheduled_at, state, started_at, ended_at, performers,"
                " link, hls_only, duration_minutes, cancelled) VALUES (:id, :school_id, :kind,"
                " :title, :created_by, :created_at, :class_id, :guest_id, :scheduled_at, :state,"
                " :started_at, :ended_at, :performers, :link, :hls_only, :duration_minutes,"
                " :cancelled)",
                session_values(session),
            )

    def update_session(self, session: Session) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE sessions SET school_id = :school_id, kind = :kind, title = :title,"
                " created_by = :created_by, created_at = :created_at, class_id = :class_id,"
                " guest_id = :guest_id, scheduled_at = :scheduled_at, state = :state,"
                " started_at = :started_at, ended_at = :ended_at, performers = :performers,"
                " link = :link, hls_only = :hls_only, duration_minutes = :duration_minutes,"
                " cancelled = :cancelled WHERE id = :id",
                session_values(session),
            )
            found(cursor, "session", session.id)

    def session(self, session_id: str) -> Session | None:
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else session_from_row(row)

    def session_by_link(self, link: str) -> Session | None:
        row = self._db.execute("SELECT * FROM sessions WHERE link = ?", (link,)).fetchone()
        return None if row is None else session_from_row(row)

    def sessions(self, school_id: str) -> list[Session]:
        rows = self._db.execute(
            "SELECT * FROM sessions WHERE school_id = ? ORDER BY seq", (school_id,)
        )
        return [session_from_row(row) for row in rows]

    # the schedule (issue 18)

    def upcoming_sessions(self, school_id: str, since: float) -> list[Session]:
        rows = self._db.execute(
            "SELECT * FROM sessions WHERE school_id = ? AND (state = 'live'"
            " OR (state = 'scheduled' AND scheduled_at >= ?))"
            " ORDER BY COALESCE(scheduled_at, started_at), seq",
            (school_id, since),
        )
        return [session_from_row(row) for row in rows]

    # attendance

    def add_attendance(self, stay: Attendance) -> int:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO attendance (session_id, user_id, name, joined_at, left_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (stay.session_id, stay.user_id, stay.name, stay.joined_at, stay.left_at),
            )
        stay_id = cursor.lastrowid
        assert stay_id is not None  # set by every successful INSERT
        return stay_id

    def close_attendance(self, stay_id: int, left_at: float) -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE attendance SET left_at = ? WHERE id = ?", (left_at, stay_id)
            )
            found(cursor, "attendance stay", stay_id)

    def attendance(self, session_id: str) -> list[Attendance]:
        rows = self._db.execute(
            "SELECT * FROM attendance WHERE session_id = ? ORDER BY joined_at, id", (session_id,)
        )
        return [attendance_from_row(row) for row in rows]

    # chat

    def add_chat(self, line: ChatLine) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO chat (session_id, user_id, name, text, ts) VALUES (?, ?, ?, ?, ?)",
                (line.session_id, line.user_id, line.name, line.text, line.ts),
            )

    def chat(self, session_id: str, limit: int) -> list[ChatLine]:
        rows = self._db.execute(
            "SELECT * FROM (SELECT * FROM chat WHERE session_id = ? ORDER BY id DESC LIMIT ?)"
            " ORDER BY id",
            (session_id, limit),
        )
        return [
            ChatLine(row["session_id"], row["user_id"], row["name"], row["text"], row["ts"])
            for row in rows
        ]

    # removals

    def add_removal(self, session_id: str, user_id: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO removals (session_id, user_id) VALUES (?, ?)",
                (session_id, user_id),
            )

    def is_removed(self, session_id: str, user_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM removals WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        ).fetchone()
        return row is not None
