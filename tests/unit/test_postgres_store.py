"""The PostgreSQL store's own life: its schema made on an empty database and never again,
servers starting at once, a newer database refused, a connection lost and replaced, and
many connections redeeming one invite at once."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import PoolClosed

from classroom import postgres_store
from classroom.models import School
from classroom.postgres_schema import MIGRATIONS
from classroom.postgres_store import PostgresStore
from classroom.store import Conflict
from tests.postgres import Postgres
from tests.server_process import free_port
from tests.unit.repository_contract.records import invite, pupil, with_class


@pytest.fixture
def database(postgres_server: Postgres) -> Iterator[str]:
    """The URL of an empty database of this test's own."""
    name = f"empty_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def version(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    assert row is not None
    found: int = row[0]
    return found


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
    return [row[0] for row in rows]


async def test_an_empty_database_gets_the_schema_once_and_keeps_its_data(database: str) -> None:
    first = await PostgresStore.open(database)
    await first.add_school(School("s1", "Школа"))
    await first.close()
    assert version(database) == len(MIGRATIONS)
    # The first script has plain CREATE TABLEs: were it run again, this open would fail.
    again = await PostgresStore.open(database)
    try:
        assert await again.schools() == [School("s1", "Школа")]
    finally:
        await again.close()
    assert tables(database) == [
        "attendance",
        "chat",
        "class_pupils",
        "class_teachers",
        "classes",
        "invites",
        "materials",
        "parent_children",
        "password_links",
        "poll_answers",
        "polls",
        "removals",
        "schema_version",
        "schools",
        "sessions",
        "sign_ins",
        "users",
    ]


async def test_servers_starting_at_once_migrate_once(database: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(database) for _ in range(4)))
    for store in stores:
        await store.close()
    assert version(database) == len(MIGRATIONS)


async def test_a_migration_added_later_is_applied_once(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await PostgresStore.open(database)).close()
    # An ALTER run twice fails ("already exists"), so the second open proves it ran once.
    later = [*MIGRATIONS, "ALTER TABLE schools ADD COLUMN motto text;"]
    monkeypatch.setattr(postgres_store, "MIGRATIONS", later)
    await (await PostgresStore.open(database)).close()
    store = await PostgresStore.open(database)
    await store.add_school(School("s1", "S"))
    assert await store.schools() == [School("s1", "S")]
    await store.close()
    assert version(database) == len(MIGRATIONS) + 1


async def test_a_failing_migration_is_rolled_back_whole(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await PostgresStore.open(database)).close()
    broken = "CREATE TABLE extra (x text);\nCREATE TABLE extra (y text);"
    monkeypatch.setattr(postgres_store, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(psycopg.errors.DuplicateTable) as raised:
        await PostgresStore.open(database)
    assert str(raised.value) == 'relation "extra" already exists'
    assert version(database) == len(MIGRATIONS)
    assert "extra" not in tables(database)


async def test_a_database_from_a_newer_server_is_refused(database: str) -> None:
    await (await PostgresStore.open(database)).close()
    newer = len(MIGRATIONS) + 3
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (newer,))
    with pytest.raises(RuntimeError) as raised:
        await PostgresStore.open(database)
    assert str(raised.value) == (
        f"database schema version {newer} is newer than this server (knows {len(MIGRATIONS)})"
    )
    assert version(database) == newer


async def test_a_server_that_is_not_there_fails_the_start_with_its_reason() -> None:
    with pytest.raises(psycopg.OperationalError) as raised:
        await PostgresStore.open(f"postgresql://nobody:x@127.0.0.1:{free_port()}/none")
    assert "Connection refused" in str(raised.value)


async def test_a_wrong_password_fails_the_start_with_its_reason(postgres_server: Postgres) -> None:
    url = postgres_server.url().replace(postgres_server.password, "wrong")
    with pytest.raises(psycopg.OperationalError) as raised:
        await PostgresStore.open(url)
    assert 'password authentication failed for user "postgres"' in str(raised.value)


async def test_closing_twice_is_harmless_and_a_closed_store_refuses_calls(database: str) -> None:
    store = await PostgresStore.open(database)
    await store.close()
    await store.close()
    with pytest.raises(PoolClosed):
        await store.schools()


async def test_connections_the_server_dropped_are_replaced_unseen(database: str) -> None:
    store = await PostgresStore.open(database)
    try:
        await store.add_school(School("s1", "S"))
        # A database restart, or an idle timeout: every connection of the pool is gone.
        with psycopg.connect(database, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t"
            ).fetchone()
        assert ended is not None and ended[0] >= 1
        assert await store.schools() == [School("s1", "S")]
    finally:
        await store.close()


async def test_eight_connections_redeeming_one_invite_make_exactly_its_uses(
    database: str,
) -> None:
    # Eight connections held open: the redemptions really run at once in the database and
    # queue on the invite's row lock.
    store = await PostgresStore.open(database, min_size=8, max_size=8)
    try:
        school_class = await with_class(store, "p1")
        await store.add_invite(invite(max_uses=10))
        newcomers = [pupil(f"n{i:02}", login=f"login{i:02}") for i in range(40)]
        outcomes = await asyncio.gather(
            *(
                store.redeem_invite(
                    invite(max_uses=10, uses=1),
                    newcomer,
                    replace(school_class, pupils=["p1", newcomer.id]),
                )
                for newcomer in newcomers
            ),
            return_exceptions=True,
        )
        assert sum(outcome is None for outcome in outcomes) == 10
        assert all(isinstance(o, Conflict) for o in outcomes if o is not None)
        assert await store.invite("i1") == invite(max_uses=10, uses=10)
        after = await store.school_class("c1")
        assert after is not None and len(after.pupils) == 11
        assert len(await store.users("s1")) == 12
    finally:
        await store.close()
