"""The contract suite's stores: every test runs on each repository, SQLite and PostgreSQL,
each time on a store of its own over an empty database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import psycopg
import pytest
from psycopg import sql

from classroom.postgres_store import PostgresStore
from classroom.sqlite_store import SqliteStore
from tests.postgres import Postgres
from tests.unit.repository_contract.records import Store

DATABASE = "contract"
"""The PostgreSQL tests' database: its schema made once, its rows deleted before each test."""


async def open_sqlite() -> Store:
    """The async SQLite store (the other half of issue 17): its one constructor call, to be
    spelled here as that store spells it."""
    return await SqliteStore.open(":memory:")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite (in memory); for PostgreSQL the URL of a fresh database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
async def store(database: str | None) -> AsyncIterator[Store]:
    opened = await (open_sqlite() if database is None else PostgresStore.open(database))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def postgres_contract_database(postgres_server: Postgres) -> str:
    """The URL of the database the PostgreSQL tests share, its schema made by the store."""
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = postgres_server.url(DATABASE)
    _run_in_thread(_make_schema(url))
    return url


@pytest.fixture
def postgres_database(postgres_contract_database: str) -> str:
    """That database emptied for one test (a few milliseconds, where a copy of a template
    database takes a quarter of a second): every row deleted and every identity restarted,
    so the first stay of a test is number 1 again."""
    with psycopg.connect(postgres_contract_database, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'schema_version'"
        ).fetchall()
        sequences = conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
        with conn.transaction():
            # Foreign keys are triggers, off for this transaction: the tables empty in any
            # order, and a table a later migration adds is emptied without being named here.
            conn.execute("SET LOCAL session_replication_role = replica")
            for (table,) in tables:
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            for (sequence,) in sequences:
                conn.execute("SELECT setval(%s, 1, false)", (sequence,))
    return postgres_contract_database


async def _make_schema(url: str) -> None:
    # Opening migrates.
    store = await PostgresStore.open(url)
    await store.close()


def _run_in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` to its end on a loop of its own: a session fixture may be set up while
    a test's loop is running in this thread."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
