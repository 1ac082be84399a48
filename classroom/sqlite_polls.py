"""The embedded store's polls: each poll a session's room asked, and each person's latest
answer (a changed answer replaces the row), kept after the room is gone.

A part of `SqliteDatabase` of its own (a mixin on the store's one connection); options and
choices are JSON lists, as an event's performers are.
"""

from __future__ import annotations

import json

from .poll_records import PollAnswer, PollRecord
from .sqlite_connection import SqliteConnection, conflicts, found
from .sqlite_rows import Row


class SqlitePolls(SqliteConnection):
    """Polls and their answers, for `SqliteDatabase`."""

    def add_poll(self, poll: PollRecord) -> None:
        with self._transaction(), conflicts({"polls.id": f"poll id {poll.id!r} is taken"}):
            self._db.execute(
                "INSERT INTO polls (id, session_id, question, options, multiple, asked_by,"
                " asked_at, correct, closed_at, show_results)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    poll.id,
                    poll.session_id,
                    poll.question,
                    json.dumps(list(poll.options), ensure_ascii=False),
                    poll.multiple,
                    poll.asked_by,
                    poll.asked_at,
                    poll.correct,
                    poll.closed_at,
                    poll.show_results,
                ),
            )

    def close_poll(self, poll_id: str, closed_at: float) -> None:
        with self._transaction():
            # A poll closed twice (a host's close, then the session's end) keeps its first time.
            cursor = self._db.execute(
                "UPDATE polls SET closed_at = COALESCE(closed_at, ?) WHERE id = ?",
                (closed_at, poll_id),
            )
            found(cursor, "poll", poll_id)

    def put_poll_answer(self, answer: PollAnswer) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO poll_answers (poll_id, user_id, name, choices, answered_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (poll_id, user_id) DO UPDATE SET"
                " name = excluded.name, choices = excluded.choices,"
                " answered_at = excluded.answered_at",
                (
                    answer.poll_id,
                    answer.user_id,
                    answer.name,
                    json.dumps(list(answer.choices)),
                    answer.answered_at,
                ),
            )

    def polls(self, session_id: str) -> list[PollRecord]:
        rows = self._db.execute(
            "SELECT * FROM polls WHERE session_id = ? ORDER BY asked_at, seq", (session_id,)
        )
        return [poll_from_row(row) for row in rows]

    def poll_answers(self, session_id: str) -> list[PollAnswer]:
        rows = self._db.execute(
            "SELECT a.* FROM poll_answers a JOIN polls p ON p.id = a.poll_id"
            " WHERE p.session_id = ? ORDER BY p.asked_at, p.seq, a.answered_at, a.seq",
            (session_id,),
        )
        return [answer_from_row(row) for row in rows]


def _list(column: str | list[object]) -> list[object]:
    """A list from SQLite's JSON text or PostgreSQL's array."""
    return json.loads(column) if isinstance(column, str) else list(column)


def poll_from_row(row: Row) -> PollRecord:
    return PollRecord(
        id=row["id"],
        session_id=row["session_id"],
        question=row["question"],
        options=tuple(str(o) for o in _list(row["options"])),
        multiple=bool(row["multiple"]),
        asked_by=row["asked_by"],
        asked_at=row["asked_at"],
        correct=row["correct"],
        closed_at=row["closed_at"],
        show_results=bool(row["show_results"]),
    )


def answer_from_row(row: Row) -> PollAnswer:
    return PollAnswer(
        poll_id=row["poll_id"],
        user_id=row["user_id"],
        name=row["name"],
        choices=tuple(int(str(c)) for c in _list(row["choices"])),
        answered_at=row["answered_at"],
    )
