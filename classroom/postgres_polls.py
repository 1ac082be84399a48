"""The PostgreSQL store's polls: the counterpart of `sqlite_polls` (a mixin on the store's
pool), options a `text[]` and choices an `integer[]`; each write is one statement."""

from __future__ import annotations

from .poll_records import PollAnswer, PollRecord
from .postgres_connection import PostgresConnection, conflicts, found
from .sqlite_polls import answer_from_row, poll_from_row


class PostgresPolls(PostgresConnection):
    """Polls and their answers, for `PostgresStore`."""

    async def add_poll(self, poll: PollRecord) -> None:
        async with self._pool.connection() as conn:
            with conflicts({"polls_id_key": f"poll id {poll.id!r} is taken"}):
                await conn.execute(
                    "INSERT INTO polls (id, session_id, question, options, multiple, asked_by,"
                    " asked_at, correct, closed_at, show_results)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        poll.id,
                        poll.session_id,
                        poll.question,
                        list(poll.options),
                        poll.multiple,
                        poll.asked_by,
                        poll.asked_at,
                        poll.correct,
                        poll.closed_at,
                        poll.show_results,
                    ),
                )

    async def close_poll(self, poll_id: str, closed_at: float) -> None:
        async with self._pool.connection() as conn:
            # A poll closed twice (a host's close, then the session's end) keeps its first time.
            cursor = await conn.execute(
                "UPDATE polls SET closed_at = COALESCE(closed_at, %s) WHERE id = %s",
                (closed_at, poll_id),
            )
            found(cursor, "poll", poll_id)

    async def put_poll_answer(self, answer: PollAnswer) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO poll_answers (poll_id, user_id, name, choices, answered_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (poll_id, user_id) DO UPDATE SET"
                " name = excluded.name, choices = excluded.choices,"
                " answered_at = excluded.answered_at",
                (
                    answer.poll_id,
                    answer.user_id,
                    answer.name,
                    list(answer.choices),
                    answer.answered_at,
                ),
            )

    async def polls(self, session_id: str) -> list[PollRecord]:
        rows = await self._all(
            "SELECT * FROM polls WHERE session_id = %s ORDER BY asked_at, seq", session_id
        )
        return [poll_from_row(row) for row in rows]

    async def poll_answers(self, session_id: str) -> list[PollAnswer]:
        rows = await self._all(
            "SELECT a.* FROM poll_answers a JOIN polls p ON p.id = a.poll_id"
            " WHERE p.session_id = %s ORDER BY p.asked_at, p.seq, a.answered_at, a.seq",
            session_id,
        )
        return [answer_from_row(row) for row in rows]
