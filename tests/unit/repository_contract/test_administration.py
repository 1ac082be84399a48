"""Running a school: a school founded with its admin and their link, one-time password links
(one a person, used once), and a class list imported whole or not at all."""

from __future__ import annotations

import pytest

from classroom.models import School, SchoolClass, User
from classroom.roles import Role
from classroom.store import Conflict
from tests.unit.repository_contract.records import Store, link


async def _school_with_class(store: Store) -> SchoolClass:
    await store.add_school(School("s1", "School"))
    await store.add_user(User("t1", "s1", Role.TEACHER, "Teacher", login="teacher"))
    school_class = SchoolClass("c1", "s1", "5B", teachers=["t1"])
    await store.add_class(school_class)
    return school_class


async def test_a_school_is_founded_with_its_admin_and_their_link_in_one_go(store: Store) -> None:
    admin = User("a1", "s1", Role.ADMIN, "Admin", login="anna", verified=True)
    founded = School("s1", "Школа №5", time_zone="Asia/Novosibirsk")
    await store.found_school(founded, admin, link("a1", "h1"))
    assert await store.schools() == [founded]
    assert await store.user_by_login("anna") == admin
    assert await store.password_link("h1") == link("a1", "h1")


async def test_a_taken_admin_login_founds_no_school(store: Store) -> None:
    first = User("a1", "s1", Role.ADMIN, "A", login="anna")
    await store.found_school(School("s1", "First"), first, None)
    clash = User("a2", "s2", Role.ADMIN, "B", login="anna")
    with pytest.raises(Conflict) as raised:
        await store.found_school(School("s2", "Second"), clash, link("a2", "h2"))
    assert str(raised.value) == "login 'anna' is taken"
    assert [s.id for s in await store.schools()] == ["s1"]
    assert await store.password_link("h2") is None


async def test_a_reused_school_id_founds_nothing(store: Store) -> None:
    await store.found_school(School("s1", "First"), User("a1", "s1", Role.ADMIN, "A"), None)
    with pytest.raises(Conflict) as raised:
        await store.found_school(
            School("s1", "Again"), User("a2", "s1", Role.ADMIN, "B", login="boris"), None
        )
    assert str(raised.value) == "school id 's1' is taken"
    assert await store.schools() == [School("s1", "First")]
    assert await store.user("a2") is None


async def test_a_newer_link_voids_the_older_one(store: Store) -> None:
    await _school_with_class(store)
    await store.put_password_link(link("t1", "old"))
    await store.put_password_link(link("t1", "new", expires_at=300.0))
    assert await store.password_link("old") is None
    assert await store.password_link("new") == link("t1", "new", expires_at=300.0)


async def test_a_link_is_used_once_with_the_new_password(store: Store) -> None:
    await _school_with_class(store)
    await store.put_password_link(link("t1", "h1"))
    teacher = await store.user("t1")
    assert teacher is not None
    teacher.password_hash = "scrypt$new"
    await store.use_password_link(link("t1", "h1"), teacher)
    assert await store.password_link("h1") is None
    assert await store.user("t1") == teacher
    teacher.password_hash = "scrypt$again"
    with pytest.raises(KeyError) as raised:
        await store.use_password_link(link("t1", "h1"), teacher)
    assert raised.value.args == ("no password link for 't1'",)
    kept = await store.user("t1")
    assert kept is not None and kept.password_hash == "scrypt$new"


async def test_using_a_link_leaves_other_peoples_links(store: Store) -> None:
    await _school_with_class(store)
    await store.add_user(User("p1", "s1", Role.PUPIL, "Pupil"))
    await store.put_password_link(link("t1", "h1"))
    await store.put_password_link(link("p1", "h2"))
    teacher = await store.user("t1")
    assert teacher is not None
    await store.use_password_link(link("t1", "h1"), teacher)
    assert await store.password_link("h2") == link("p1", "h2")


async def test_a_link_whose_account_update_fails_stays_usable(store: Store) -> None:
    await _school_with_class(store)
    await store.add_user(User("t2", "s1", Role.TEACHER, "Other", login="other"))
    await store.put_password_link(link("t1", "h1"))
    taking = User("t1", "s1", Role.TEACHER, "Teacher", login="other", password_hash="x")
    with pytest.raises(Conflict) as raised:
        await store.use_password_link(link("t1", "h1"), taking)
    assert str(raised.value) == "login 'other' is taken"
    assert await store.password_link("h1") == link("t1", "h1")
    assert await store.user("t1") == User("t1", "s1", Role.TEACHER, "Teacher", login="teacher")


async def test_a_class_list_is_imported_whole(store: Store) -> None:
    school_class = await _school_with_class(store)
    pupil = User("p1", "s1", Role.PUPIL, "Петя", login="petya")
    parent = User("m1", "s1", Role.PARENT, "Мама", login="mama", children=["p1"])
    grown = SchoolClass("c1", "s1", "5B", teachers=["t1"], pupils=["p1"])
    await store.import_people([pupil, parent], grown, [link("p1", "h1"), link("m1", "h2")])
    assert await store.school_class("c1") == grown
    assert await store.users("s1") == [
        User("t1", "s1", Role.TEACHER, "Teacher", login="teacher"),
        pupil,
        parent,
    ]
    assert await store.password_link("h1") == link("p1", "h1")
    assert await store.password_link("h2") == link("m1", "h2")
    assert school_class.pupils == []


async def test_one_taken_login_imports_nothing(store: Store) -> None:
    await _school_with_class(store)
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


async def test_an_import_into_an_unknown_class_imports_nothing(store: Store) -> None:
    await _school_with_class(store)
    pupil = User("p1", "s1", Role.PUPIL, "Петя", login="petya")
    gone = SchoolClass("c9", "s1", "Gone", pupils=["p1"])
    with pytest.raises(KeyError) as raised:
        await store.import_people([pupil], gone, [link("p1", "h1")])
    assert raised.value.args == ("no class 'c9'",)
    assert await store.user("p1") is None
    assert await store.password_link("h1") is None
