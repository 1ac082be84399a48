"""The embedded store's connection: how it is opened, where its transactions begin and end,
and the helpers every table's statements share (a clash as `store.Conflict`, a missing row
as KeyError).

Separate from the store so that each aggregate's statements (`sqlite_people`,
`sqlite_classes`, `sqlite_sessions`) can be a small class of its own on the one connection
`SqliteDatabase` opens: they all inherit `SqliteConnection`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .sqlite_schema import migrate
from .store import Conflict


def open_database(path: str | Path, migrations: Sequence[str]) -> sqlite3.Connection:
    """The connection to `path` (or ":memory:"), its schema brought up to `migrations`."""
    in_memory = str(path) == ":memory:"
    if not in_memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the sqlite3 module opens no transactions behind our back;
    # `_transaction` says exactly where each one begins and ends.
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        # Per connection and off by default; a no-op inside a transaction, so set first.
        db.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            # Readers (a report, a backup) do not block the writer, nor it them.
            db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a chat line
            # or an attendance stay costs no fsync of its own. A power cut may
            # lose the last commits, never corrupt the file.
            db.execute("PRAGMA synchronous = NORMAL")
        migrate(db, str(path), migrations)
    except BaseException:
        db.close()
        raise
    return db


class SqliteConnection:
    """The connection the store's parts share, and its transactions."""

    _db: sqlite3.Connection
    """Opened by `open_database` (in `SqliteDatabase.__init__`), used from the thread that
    opened it."""

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
        """One transaction around the block: committed if it returns, rolled back if it raises.

        IMMEDIATE takes the write lock up front, so a write never fails half-way for want of
        it; a plain BEGIN is for reads of several statements that must see one snapshot.
        """
        self._db.execute(begin)
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            # SQLite ends the transaction itself on a few errors (a full disk, for one).
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _column(self, sql: str, key: str) -> list[str]:
        """The first column of the rows `sql` selects, `key` its one parameter."""
        return [row[0] for row in self._db.execute(sql, (key,))]


@contextmanager
def conflicts(clashes: Mapping[str, str]) -> Iterator[None]:
    """Turn a UNIQUE violation of one of `clashes` ("table.column" as SQLite names it in its
    message) into Conflict with the matching text; any other integrity error (a missing
    school, say) is a caller's bug and propagates as it is."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        prefix = "UNIQUE constraint failed: "
        message = str(error)
        clash = clashes.get(message[len(prefix) :]) if message.startswith(prefix) else None
        if clash is None:
            raise
        raise Conflict(clash) from error


def found(cursor: sqlite3.Cursor, what: str, key: str | int) -> None:
    """An update of a row that does not exist is a caller's bug, not a silent no-op."""
    if cursor.rowcount == 0:
        raise KeyError(f"no {what} {key!r}")


def grouped(rows: Iterable[sqlite3.Row]) -> dict[str, list[str]]:
    """(key, value) rows, in order, as lists of values by key."""
    groups: dict[str, list[str]] = {}
    for key, value in rows:
        groups.setdefault(key, []).append(value)
    return groups
