"""The PostgreSQL store's connections: the pool its parts share, where their transactions
begin and end, and the helpers every table's statements share (a clash as `store.Conflict`,
a missing row as KeyError).

Connections are in autocommit mode: a lone statement is its own transaction, and a method
of several statements says where its one transaction begins and ends (`_transaction`), as
the SQLite store does. Isolation is PostgreSQL's default, READ COMMITTED: every statement
sees what was committed when it began, and a write waits for the row locks of another
transaction, then re-reads the row. Each part's methods say which races that leaves and how
they are closed (a guarded UPDATE, a row lock taken first, one statement instead of two).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

from psycopg import AsyncConnection, AsyncCursor, errors
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from .store import Conflict

Connection = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Connection]


class PostgresConnection:
    """The pool the store's parts share, and its transactions."""

    _pool: Pool
    """Opened by `PostgresStore.open`; every connection in autocommit mode with dict rows."""

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        """A connection with one transaction around the block: committed if it returns,
        rolled back if it raises."""
        async with self._pool.connection() as conn, conn.transaction():
            yield conn

    async def _one(self, sql: str, *params: object) -> DictRow | None:
        """The first row `sql` selects (one statement, its own snapshot)."""
        async with self._pool.connection() as conn:
            return await (await conn.execute(sql, params)).fetchone()

    async def _all(self, sql: str, *params: object) -> list[DictRow]:
        async with self._pool.connection() as conn:
            return await (await conn.execute(sql, params)).fetchall()


@contextmanager
def conflicts(clashes: Mapping[str, str]) -> Iterator[None]:
    """Turn a unique violation of one of `clashes` (the constraint's name, PostgreSQL's
    `<table>_<columns>_key`) into Conflict with the matching text; any other integrity error
    (a missing school, say) is a caller's bug and propagates as it is. The failed statement
    has aborted the transaction: the Conflict must leave it, and it does."""
    try:
        yield
    except errors.UniqueViolation as error:
        clash = clashes.get(error.diag.constraint_name or "")
        if clash is None:
            raise
        raise Conflict(clash) from error


def found(cursor: AsyncCursor[DictRow], what: str, key: str | int) -> None:
    """An update of a row that does not exist is a caller's bug, not a silent no-op."""
    if cursor.rowcount == 0:
        raise KeyError(f"no {what} {key!r}")
