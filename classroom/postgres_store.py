"""The `Repository` in PostgreSQL (`DATABASE_URL=postgresql://…`), for a school district's
server or several servers sharing one database: psycopg 3 over an `AsyncConnectionPool`,
so no database call waits on the event loop.

Put together like `SqliteStore`, from one part per aggregate on the one pool:
`postgres_people` (schools, accounts, password links), `postgres_classes` (classes,
invites) and `postgres_sessions` (sessions, attendance, chat, removals); `postgres_sign_ins`
is its own object. What is left here opens the pool, brings the schema up to date
(`postgres_schema`) and holds the transactions that span aggregates. Rows become models
through the same functions as SQLite's (`sqlite_rows`).

Several servers, or several requests of one, write at once here, where SQLite had one
writer: the methods that take a copy read earlier (an invite, a class, a parent) count and
add in the database instead of writing the copy back, and say so.
"""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from . import postgres_password_links
from .models import Invite, SchoolClass, User
from .password_links import PasswordLink
from .postgres_classes import PostgresClasses, count_use, join
from .postgres_connection import Pool
from .postgres_erasure import erase_user
from .postgres_materials import PostgresMaterials
from .postgres_people import PostgresPeople
from .postgres_polls import PostgresPolls
from .postgres_schema import MIGRATIONS, migrate
from .postgres_sessions import PostgresSessions
from .postgres_sign_ins import PostgresSignIns
from .store import ErasedRows

__all__ = ["PostgresStore"]

POOL_MIN = 2
"""Connections kept open while idle: a request after a quiet night needs no handshake."""
POOL_MAX = 10
"""Connections at most, per server process. Every method holds one for a few statements:
measured on a 2-core machine with PostgreSQL beside the server, ten carry about 3,000 one-row
reads a second, the Python side the limit. PostgreSQL's default `max_connections` (100)
leaves room for several servers and for the administrator."""
OPEN_TIMEOUT = 10
"""Seconds `open` waits for a connection before failing the start."""


class PostgresStore(PostgresPeople, PostgresClasses, PostgresSessions, PostgresPolls):
    """The `store.Repository` kept in a PostgreSQL database."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.sign_ins = PostgresSignIns(pool)
        self.materials = PostgresMaterials(pool)

    @classmethod
    async def open(
        cls, url: str, min_size: int = POOL_MIN, max_size: int = POOL_MAX
    ) -> PostgresStore:
        """The store on the database at `url` (`postgresql://user:password@host/db`), its
        schema brought up to date. A database that cannot be reached, or refuses the
        password, fails here with PostgreSQL's own reason (`psycopg.OperationalError`)."""
        # The migration's own connection, before the pool: a pool that cannot connect only
        # retries until its timeout, and the reason never reaches the error it raises.
        async with await AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row, connect_timeout=OPEN_TIMEOUT
        ) as conn:
            await migrate(conn, MIGRATIONS)
        pool: Pool = AsyncConnectionPool(
            url,
            connection_class=AsyncConnection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=min_size,
            max_size=max_size,
            # A connection the server dropped (a restart, an idle timeout) is found at
            # checkout and replaced, instead of failing the request it was handed to. It
            # costs a round trip per call (measured: 250 µs of 470 for a one-row read).
            check=AsyncConnectionPool.check_connection,
            open=False,
        )
        await pool.open(wait=True, timeout=OPEN_TIMEOUT)
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()  # closing a closed pool is a no-op

    # across aggregates: one transaction over people and classes

    async def import_people(
        self, people: list[User], school_class: SchoolClass, links: list[PasswordLink]
    ) -> None:
        """New accounts (pupils before the parents naming them), the new pupils added to
        the class (`postgres_classes.join`: the class as it is now, not the caller's copy),
        and each account's password link, as one transaction: all or nothing."""
        async with self._transaction() as conn:
            for user in people:
                await self._insert_user(conn, user)
            await join(conn, school_class, [user.id for user in people])
            for link in links:
                await postgres_password_links.put(conn, link)

    async def redeem_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """The use counted (`postgres_classes.count_use`), the account created and, for a
        pupil, added to the class, as one transaction: a taken login raises Conflict and
        leaves the invite's uses, the class and the accounts as they were. The invite is
        counted first: concurrent redemptions of one link queue on its row, so they never
        wait on each other in another order (no deadlock)."""
        async with self._transaction() as conn:
            await count_use(conn, invite)
            await self._insert_user(conn, user)
            await join(conn, school_class, [user.id])

    async def accept_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """An existing account uses an invite: the use counted, and the account added to the
        class (a pupil) or the child to the parent's children, as one transaction."""
        async with self._transaction() as conn:
            await count_use(conn, invite)
            await self._link_children(conn, user)
            await join(conn, school_class, [user.id])

    # erasure

    async def erase_user(
        self, user_id: str, reassign_to: str, erased_name: str, erased_id: str
    ) -> ErasedRows:
        async with self._transaction() as conn:
            return await erase_user(conn, user_id, reassign_to, erased_name, erased_id)
