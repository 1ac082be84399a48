"""The SQLite repository's part in running a school: the migration that adds password links,
and the writes that must be all or nothing (a school with its admin, a link used, a class
list imported)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from classroom.administration import AdminRepository
from classroom.models import School, SchoolClass, User
from classroom.password_links import PasswordLink
from classroom.roles import Role
from classroom.sqlite_store import MIGRATIONS, SqliteStore
from classroom.store import Conflict


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    opened = SqliteStore(":memory:")
    yield opened
    opened.close()


def link(user_id: str, secret_hash: str, expires_at: float = 200.0) -> PasswordLink:
    return PasswordLink(secret_hash, user_id, "a1", 100.0, expires_at)


def school_with_class(store: SqliteStore) -> SchoolClass:
    store.add_school(School("s1", "School"))
    store.add_user(User("t1", "s1", Role.TEACHER, "Teacher", login="teacher"))
    school_class = SchoolClass("c1", "s1", "5B", teachers=["t1"])
    store.add_class(school_class)
    return school_class


def test_the_store_satisfies_the_administration_protocol(store: SqliteStore) -> None:
    repository: AdminRepository = store
    assert repository is store


def test_a_database_of_the_previous_schema_gains_password_links_keeping_its_people(
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
    store = SqliteStore(path)
    try:
        user = store.user("u1")
        assert user is not None and (user.login, user.disabled) == ("petya", True)
        store.put_password_link(link("u1", "h1"))
        assert store.password_link("h1") == link("u1", "h1")
    finally:
        store.close()


def test_a_school_is_founded_with_its_admin_and_their_link_in_one_go(store: SqliteStore) -> None:
    admin = User("a1", "s1", Role.ADMIN, "Admin", login="anna", verified=True)
    store.found_school(School("s1", "Школа №5"), admin, link("a1", "h1"))
    assert store.schools() == [School("s1", "Школа №5")]
    assert store.user_by_login("anna") == admin
    assert store.password_link("h1") == link("a1", "h1")


def test_a_taken_admin_login_founds_no_school(store: SqliteStore) -> None:
    store.found_school(School("s1", "First"), User("a1", "s1", Role.ADMIN, "A", login="anna"), None)
    clash = User("a2", "s2", Role.ADMIN, "B", login="anna")
    with pytest.raises(Conflict) as raised:
        store.found_school(School("s2", "Second"), clash, link("a2", "h2"))
    assert str(raised.value) == "login 'anna' is taken"
    assert [s.id for s in store.schools()] == ["s1"]
    assert store.password_link("h2") is None


def test_a_newer_link_voids_the_older_one(store: SqliteStore) -> None:
    school_with_class(store)
    store.put_password_link(link("t1", "old"))
    store.put_password_link(link("t1", "new", expires_at=300.0))
    assert store.password_link("old") is None
    assert store.password_link("new") == link("t1", "new", expires_at=300.0)


def test_a_link_is_used_once_with_the_new_password(store: SqliteStore) -> None:
    school_with_class(store)
    store.put_password_link(link("t1", "h1"))
    teacher = store.user("t1")
    assert teacher is not None
    teacher.password_hash = "scrypt$new"
    store.use_password_link(link("t1", "h1"), teacher)
    assert store.password_link("h1") is None
    assert store.user("t1") == teacher
    teacher.password_hash = "scrypt$again"
    with pytest.raises(KeyError):
        store.use_password_link(link("t1", "h1"), teacher)
    kept = store.user("t1")
    assert kept is not None and kept.password_hash == "scrypt$new"


def test_using_a_link_leaves_other_peoples_links(store: SqliteStore) -> None:
    school_with_class(store)
    store.add_user(User("p1", "s1", Role.PUPIL, "Pupil"))
    store.put_password_link(link("t1", "h1"))
    store.put_password_link(link("p1", "h2"))
    teacher = store.user("t1")
    assert teacher is not None
    store.use_password_link(link("t1", "h1"), teacher)
    assert store.password_link("h2") == link("p1", "h2")


def test_a_class_list_is_imported_whole(store: SqliteStore) -> None:
    school_class = school_with_class(store)
    pupil = User("p1", "s1", Role.PUPIL, "Петя", login="petya")
    parent = User("m1", "s1", Role.PARENT, "Мама", login="mama", children=["p1"])
    grown = SchoolClass("c1", "s1", "5B", teachers=["t1"], pupils=["p1"])
    store.import_people([pupil, parent], grown, [link("p1", "h1"), link("m1", "h2")])
    assert store.school_class("c1") == grown
    assert store.user("m1") == parent
    assert store.password_link("h2") == link("m1", "h2")
    assert school_class.pupils == []


def test_one_taken_login_imports_nothing(store: SqliteStore) -> None:
    school_with_class(store)
    people = [
        User("p1", "s1", Role.PUPIL, "Петя", login="petya"),
        User("p2", "s1", Role.PUPIL, "Учитель-тёзка", login="teacher"),
    ]
    grown = SchoolClass("c1", "s1", "5B", teachers=["t1"], pupils=["p1", "p2"])
    with pytest.raises(Conflict) as raised:
        store.import_people(people, grown, [link("p1", "h1"), link("p2", "h2")])
    assert str(raised.value) == "login 'teacher' is taken"
    assert store.user("p1") is None
    assert store.password_link("h1") is None
    after = store.school_class("c1")
    assert after is not None and after.pupils == []
