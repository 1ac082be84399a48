"""The SQLite repository's part in running a school: the protocol, and the migration that adds
password links (the all-or-nothing writes are the contract suite's: repository_contract/)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from classroom.administration import AdminRepository
from classroom.password_links import PasswordLink
from classroom.sqlite_store import MIGRATIONS, SqliteStore


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    yield opened
    await opened.close()


def link(user_id: str, secret_hash: str, expires_at: float = 200.0) -> PasswordLink:
    return PasswordLink(secret_hash, user_id, "a1", 100.0, expires_at)


def test_the_store_satisfies_the_administration_protocol(store: SqliteStore) -> None:
    repository: AdminRepository = store
    assert repository is store


async def test_a_database_of_the_previous_schema_gains_password_links_keeping_its_people(
    tmp_path: Path,
) -> None:
    path = tmp_path / "classroom.db"
    db = sqlite3.connect(path)
    before = len(MIGRATIONS) - 1
    db.executescript(
        "BEGIN;\n" + "\n".join(MIGRATIONS[:before]) + f"\nPRAGMA user_version = {before};\nCOMMIT;"
    )
    db.execute("INSERT INTO schools (id, name, parents_see_recordings) VALUES ('s1', 'S', 0)")
    db.execute(
        "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
        " disabled) VALUES ('u1', 's1', 'pupil', 'Петя', 'petya', NULL, 0, 1)"
    )
    db.commit()
    db.close()
    store = await SqliteStore.open(path)
    try:
        user = await store.user("u1")
        assert user is not None and (user.login, user.disabled) == ("petya", True)
        await store.put_password_link(link("u1", "h1"))
        assert await store.password_link("h1") == link("u1", "h1")
    finally:
        await store.close()
