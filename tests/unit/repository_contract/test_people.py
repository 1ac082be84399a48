"""Schools and people: read back equal and in insertion order, a taken login or a reused id
is a Conflict that writes nothing, an unknown record is None or a KeyError."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from classroom.models import School, User
from classroom.roles import Role
from classroom.store import Conflict
from tests.unit.repository_contract.records import Store, parent, school, teacher, with_class


async def test_schools_read_back_equal_and_in_insertion_order(store: Store) -> None:
    written = [
        School(id="s-z", name="Zebra School", parents_see_recordings=True),
        School(id="s-a", name="Acorn School", parents_see_recordings=False),
        School(id="s-m", name="Школа №5", recordings_kept_days=30),
        School(id="s-k", name="Школа №1", time_zone="Asia/Yekaterinburg"),
    ]
    for each in written:
        await store.add_school(each)
    assert await store.school("s-z") == School(
        id="s-z", name="Zebra School", parents_see_recordings=True
    )
    assert await store.school("s-m") == School(
        id="s-m",
        name="Школа №5",
        parents_see_recordings=False,
        recordings_kept_days=30,
        time_zone="Europe/Moscow",
    )
    assert (await store.school("s-k")) == written[3]
    assert await store.school("nope") is None
    assert await store.schools() == written


async def test_updating_a_school_rewrites_it(store: Store) -> None:
    await store.add_school(school("s1"))
    await store.add_school(school("s2"))
    changed = School(
        id="s1",
        name="Renamed",
        parents_see_recordings=True,
        recordings_kept_days=7,
        time_zone="Asia/Vladivostok",
    )
    await store.update_school(changed)
    assert await store.schools() == [changed, school("s2")]
    await store.update_school(School(id="s1", name="Renamed"))
    assert await store.school("s1") == School(id="s1", name="Renamed")
    with pytest.raises(KeyError) as raised:
        await store.update_school(school("s9"))
    assert raised.value.args == ("no school 's9'",)


async def test_a_reused_school_id_is_a_conflict(store: Store) -> None:
    await store.add_school(School(id="s1", name="First"))
    with pytest.raises(Conflict) as raised:
        await store.add_school(School(id="s1", name="Second"))
    assert str(raised.value) == "school id 's1' is taken"
    assert await store.schools() == [School(id="s1", name="First")]


async def test_a_user_with_every_field_set_reads_back_equal(store: Store) -> None:
    await with_class(store, "p1", "p2")
    written = User(
        id="u1",
        school_id="s1",
        role=Role.PARENT,
        name="Olga Petrova",
        login="olga",
        password_hash="scrypt$abc",
        verified=True,
        children=["p2", "p1"],
        disabled=True,
    )
    await store.add_user(written)
    read = await store.user("u1")
    assert read == written
    assert read is not None and read.role is Role.PARENT
    assert await store.user_by_login("olga") == written


async def test_a_user_with_defaults_reads_back_with_none_and_empty_lists(store: Store) -> None:
    await store.add_school(school())
    await store.add_user(User(id="u1", school_id="s1", role=Role.GUEST, name="Visitor"))
    assert await store.user("u1") == User(
        id="u1",
        school_id="s1",
        role=Role.GUEST,
        name="Visitor",
        login=None,
        password_hash=None,
        verified=False,
        children=[],
        disabled=False,
    )


async def test_unknown_users_read_as_none(store: Store) -> None:
    await store.add_school(school())
    await store.add_user(teacher(login="anna"))
    assert await store.user("nope") is None
    assert await store.user_by_login("nope") is None
    assert await store.user_by_login("Anna") is None  # logins compare exactly


async def test_users_of_a_school_come_back_in_insertion_order(store: Store) -> None:
    await store.add_school(school("s1"))
    await store.add_school(school("s2"))
    await store.add_user(teacher("t-z"))
    await store.add_user(teacher("t-other", school_id="s2"))
    await store.add_user(teacher("t-a"))
    await store.add_user(parent("u-m", "t-z"))
    assert await store.users("s1") == [teacher("t-z"), teacher("t-a"), parent("u-m", "t-z")]
    assert await store.users("s2") == [teacher("t-other", school_id="s2")]
    assert await store.users("s3") == []


async def test_many_users_may_still_be_without_a_login(store: Store) -> None:
    await store.add_school(school())
    await store.add_user(teacher("t1"))
    await store.add_user(teacher("t2"))
    assert [user.login for user in await store.users("s1")] == [None, None]


async def test_a_taken_login_is_a_conflict_and_writes_nothing(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_user(User(id="u1", school_id="s1", role=Role.ADMIN, name="Olga", login="olga"))
    clash = parent("u2", "p1", login="olga")
    with pytest.raises(Conflict) as raised:
        await store.add_user(clash)
    assert str(raised.value) == "login 'olga' is taken"
    assert await store.user("u2") is None
    assert [user.id for user in await store.users("s1")] == ["t1", "p1", "u1"]
    # Its children rows did not outlive it: the id is free and the next try starts clean.
    clash.login = "olga2"
    await store.add_user(clash)
    assert await store.user("u2") == clash


async def test_a_reused_user_id_is_a_conflict_and_writes_nothing(store: Store) -> None:
    await store.add_school(school())
    await store.add_user(teacher("t1", login="anna"))
    with pytest.raises(Conflict) as raised:
        await store.add_user(teacher("t1", login="boris"))
    assert str(raised.value) == "user id 't1' is taken"
    assert await store.user_by_login("boris") is None
    assert await store.user("t1") == teacher("t1", login="anna")


async def test_a_child_listed_twice_is_a_conflict(store: Store) -> None:
    await with_class(store, "p1")
    with pytest.raises(Conflict) as raised:
        await store.add_user(parent("u1", "p1", "p1"))
    assert str(raised.value) == "child 'p1' is listed twice for parent 'u1'"
    assert await store.user("u1") is None


async def test_updating_a_user_rewrites_it_and_its_children_in_place(store: Store) -> None:
    await with_class(store, "p1", "p2", "p3")
    await store.add_user(parent("u1", "p1", "p2"))
    await store.add_user(teacher("t2"))
    changed = User(
        id="u1",
        school_id="s1",
        role=Role.PARENT,
        name="Pat",
        login="pat",
        password_hash="h",
        verified=True,
        children=["p3", "p1"],
        disabled=True,
    )
    await store.update_user(changed)
    assert await store.user("u1") == changed
    assert [user.id for user in await store.users("s1")] == ["t1", "p1", "p2", "p3", "u1", "t2"]
    changed.children = []
    await store.update_user(changed)
    assert await store.user("u1") == changed


async def test_changing_a_login_to_a_taken_one_is_a_conflict_and_changes_nothing(
    store: Store,
) -> None:
    await with_class(store, "p1")
    await store.add_user(teacher("t2", login="anna"))
    before = parent("u1", login="pat")
    await store.add_user(before)
    taking = User(
        id="u1", school_id="s1", role=Role.PARENT, name="Renamed", login="anna", children=["p1"]
    )
    with pytest.raises(Conflict) as raised:
        await store.update_user(taking)
    assert str(raised.value) == "login 'anna' is taken"
    assert await store.user("u1") == before


async def test_updating_an_unknown_user_is_a_key_error(store: Store) -> None:
    await store.add_school(school())
    with pytest.raises(KeyError) as raised:
        await store.update_user(teacher("ghost"))
    assert raised.value.args == ("no user 'ghost'",)
    assert await store.users("s1") == []


async def test_a_user_of_an_unknown_school_is_refused(store: Store) -> None:
    # Not a Conflict: a caller's bug, the database's own integrity error.
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.ForeignKeyViolation)):
        await store.add_user(teacher("t1", school_id="nowhere"))
    assert await store.user("t1") is None


async def test_reads_return_fresh_objects_the_caller_may_change(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_user(parent("u1", "p1"))
    read = await store.user("u1")
    assert read is not None
    read.children.append("t1")
    read.name = "changed"
    assert await store.user("u1") == parent("u1", "p1")
    assert await store.user("u1") is not await store.user("u1")
