"""The SQLite repository's own: its schema and migrations, its file and its thread's end.

What every repository must do (records back as written, all-or-nothing writes) is the
contract suite's, run against SQLite and PostgreSQL alike: tests/unit/repository_contract/.
"""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from classroom import sqlite_store
from classroom.models import (
    School,
    User,
)
from classroom.roles import Role
from classroom.sqlite_store import MIGRATIONS, SqliteStore
from classroom.store import Repository


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    yield opened
    await opened.close()


def school(school_id: str = "s1") -> School:
    return School(id=school_id, name=f"School {school_id}")


def teacher(user_id: str = "t1", school_id: str = "s1", login: str | None = None) -> User:
    return User(
        id=user_id, school_id=school_id, role=Role.TEACHER, name=f"Teacher {user_id}", login=login
    )


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        db.close()


# the protocol


async def test_the_store_satisfies_the_repository_protocol(store: SqliteStore) -> None:
    repository: Repository = store
    assert await repository.schools() == []


# schools


# people


# classes


# invites


# sessions


# attendance


# fresh objects


async def test_a_database_of_schema_1_gains_events_keeping_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    db.execute("INSERT INTO schools (id, name, parents_see_recordings) VALUES ('s1', 'School', 0)")
    db.execute(
        "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
        " disabled) VALUES ('t1', 's1', 'teacher', 'T', 't1', 'x', 1, 0)"
    )
    db.execute(
        "INSERT INTO sessions (id, school_id, kind, title, created_by, created_at, state)"
        " VALUES ('x', 's1', 'staff_meeting', 'Old', 't1', 5.0, 'ended')"
    )
    db.commit()
    db.close()
    store = await SqliteStore.open(path)
    try:
        old = await store.session("x")
        assert old is not None
        assert (old.title, old.performers, old.link, old.hls_only) == ("Old", (), None, False)
    finally:
        await store.close()
    assert user_version(path) == len(MIGRATIONS)


# the file, its schema and its lifetime


async def test_a_file_database_reopens_with_its_data_and_no_migration_rerun(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "classroom.db"
    first = await SqliteStore.open(path)
    await first.add_school(school())
    await first.add_user(teacher(login="anna"))
    await first.close()
    assert user_version(path) == len(MIGRATIONS)
    # Migration 1 has plain CREATE TABLEs: were it run again, this open would fail.
    again = await SqliteStore.open(str(path))
    try:
        assert await again.schools() == [school()]
        assert await again.user_by_login("anna") == teacher(login="anna")
    finally:
        await again.close()
    assert user_version(path) == len(MIGRATIONS)


async def test_a_file_database_uses_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        db.close()


async def test_a_migration_added_later_is_applied_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    # An ALTER run twice fails ("duplicate column"), so the second open proves it ran once.
    monkeypatch.setattr(
        sqlite_store, "MIGRATIONS", [*MIGRATIONS, "ALTER TABLE schools ADD COLUMN motto TEXT;"]
    )
    await (await SqliteStore.open(path)).close()
    assert user_version(path) == len(MIGRATIONS) + 1
    reopened = await SqliteStore.open(path)
    await reopened.add_school(school())
    assert await reopened.schools() == [school()]
    await reopened.close()
    assert user_version(path) == len(MIGRATIONS) + 1


async def test_a_failing_migration_is_rolled_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    broken = "CREATE TABLE extra (x TEXT);\nCREATE TABLE extra (y TEXT);"
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError) as raised:
        await SqliteStore.open(path)
    assert str(raised.value) == "table extra already exists"
    assert user_version(path) == len(MIGRATIONS)
    db = sqlite3.connect(path)
    try:
        tables = db.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()
    finally:
        db.close()
    assert tables == []


async def test_a_database_from_a_newer_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    db = sqlite3.connect(path)
    newer = len(MIGRATIONS) + 3
    db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    with pytest.raises(RuntimeError) as raised:
        await SqliteStore.open(path)
    assert str(raised.value) == (
        f"{path}: database schema version {newer} is newer than this server"
        f" (knows {len(MIGRATIONS)})"
    )
    assert user_version(path) == newer


async def test_closing_twice_is_harmless() -> None:
    opened = await SqliteStore.open(":memory:")
    await opened.close()
    await opened.close()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        await opened.schools()
