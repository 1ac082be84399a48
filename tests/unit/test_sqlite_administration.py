"""The SQLite repository's part in running a school: the migration that adds password links,
and the writes that must be all or nothing (a school with its admin, a link used, a class
list imported)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from classroom.administration import AdminRepository
from classroom.models import School, SchoolClass, User
from classroom.password_links import PasswordLink
from classroom.roles import Role
from classroom.sqlite_store import MIGRATIONS, SqliteStore
from classroom.store import Conflict


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    yield opened
    await opened.close()


def link(user_id: str, secret_hash: str, expires_at: float = 200.0) -> PasswordLink:
    return PasswordLink(secret_hash, user_id, "a1", 100.0, expires_at)


async def school_with_class(store: SqliteStore) -> SchoolClass:
    await store.add_school(School("s1", "School"))
    await store.add_user(User("t1", "s1", Role.TEACHER, "Teacher", login="teacher"))
    school_class = SchoolClass("c1", "s1", "5B", teachers=["t1"])
    await store.add_class(school_class)
    return school_class


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


async def test_a_school_is_founded_with_its_admin_and_their_link_in_one_go(
    store: SqliteStore,
) -> None:
    admin = User("a1", "s1", Role.ADMIN, "Admin", login="anna", verified=True)
    await store.found_school(School("s1", "Школа №5"), admin, link("a1", "h1"))
    assert await store.schools() == [School("s1", "Школа №5")]
    assert await store.user_by_login("anna") == admin
    assert await store.password_link("h1") == link("a1", "h1")


async def test_a_taken_admin_login_founds_no_school(store: SqliteStore) -> None:
    await store.found_school(
        School("s1", "First"), User("a1", "s1", Role.ADMIN, "A", login="anna"), None
    )
    clash = User("a2", "s2", Role.ADMIN, "B", login="anna")
    with pytest.raises(Conflict) as raised:
        await store.found_school(School("s2", "Second"), clash, link("a2", "h2"))
    assert str(raised.value) == "login 'anna' is taken"
    assert [s.id for s in await store.schools()] == ["s1"]
    assert await store.password_link("h2") is None


async def test_a_newer_link_voids_the_older_one(store: SqliteStore) -> None:
    await school_with_class(store)
    await store.put_password_link(link("t1", "old"))
    await store.put_password_link(link("t1", "new", expires_at=300.0))
    assert await store.password_link("old") is None
    assert await store.password_link("new") == link("t1", "new", expires_at=300.0)


async def test_a_link_is_used_once_with_the_new_password(store: SqliteStore) -> None:
    await school_with_class(store)
    await store.put_password_link(link("t1", "h1"))
    teacher = await store.user("t1")
    assert teacher is not None
    teacher.password_hash = "scrypt$new"
    await store.use_password_link(link("t1", "h1"), teacher)
    assert await store.password_link("h1") is None
    assert await store.user("t1") == teacher
    teacher.password_hash = "scrypt$again"
    with pytest.raises(KeyError):
        await store.use_password_link(link("t1", "h1"), teacher)
    kept = await store.user("t1")
    assert kept is not None and kept.password_hash == "scrypt$new"


async def test_using_a_link_leaves_other_peoples_links(store: SqliteStore) -> None:
    await school_with_class(store)
    await store.add_user(User("p1", "s1", Role.PUPIL, "Pupil"))
    await store.put_password_link(link("t1", "h1"))
    await store.put_password_link(link("p1", "h2"))
    teacher = await store.user("t1")
    assert teacher is not None
    await store.use_password_link(link("t1", "h1"), teacher)
    assert await store.password_link("h2") == link("p1", "h2")


async def test_a_class_list_is_imported_whole(store: SqliteStore) -> None:
    school_class = await school_with_class(store)
    pupil = User("p1", "s1", Role.PUPIL, "Петя", login="petya")
    parent = User("m1", "s1", Role.PARENT, "Мама", login="mama", children=["p1"])
    grown = SchoolClass("c1", "s1", "5B", teachers=["t1"], pupils=["p1"])
    await store.import_people([pupil, parent], grown, [link("p1", "h1"), link("m1", "h2")])
    assert await store.school_class("c1") == grown
    assert await store.user("m1") == parent
    assert await store.password_link("h2") == link("m1", "h2")
    assert school_class.pupils == []


async def test_one_taken_login_imports_nothing(store: SqliteStore) -> None:
    await school_with_class(store)
    people = [
        User("p1", "s1", Role.PUPIL, "Петя", login="petya"),
        User("p2", "s1", Role.PUPIL, "Учитель-тёзка", login="teacher"),
    ]
    grown = SchoolClass("c1", "s1", "5B", teachers=["t1"], pupils=["p1", "p2"])
    with pytest.raises(Conflict) as raised:
        await store.import_people(people, grown, [link("p1", "h1"), link("p2", "h2")])
    assert str(raised.value) == "login 'teacher' is taken"
    assert await store.user("p1") is None
    assert await store.password_link("h1") is None
    after = await store.school_class("c1")
    assert after is not None and after.pupils == []
