"""Erasing a person in one transaction: every row naming them goes or is emptied, the others'
rows stay exactly as they were, and a failure half-way writes nothing."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import psycopg
import pytest

from classroom.erasure import ERASED_ID, ERASED_NAME
from classroom.models import (
    SignIn,
)
from classroom.store import ErasedRows
from tests.unit.erasure_school import PARENT, TEACHER, everything, fill_school
from tests.unit.repository_contract.records import Store


@pytest.fixture
async def school(store: Store) -> Store:
    return await fill_school(store)


async def test_erasing_a_pupil_removes_or_empties_every_row_naming_them(school: Store) -> None:
    store = school
    rows = await store.erase_user("p1", "a1", ERASED_NAME, ERASED_ID)

    assert replace(rows, sign_ins=sorted(rows.sign_ins)) == ErasedRows(
        sign_ins=["si-petya-1", "si-petya-2"],
        class_memberships=1,
        parent_links=1,
        invites_deleted=1,
        invites_reassigned=0,
        sessions_reassigned=0,
        sessions_unlinked=2,
        chat_lines=1,
        attendance=1,
        removals=1,
        poll_answers=1,
    )
    assert await store.user("p1") is None and await store.user_by_login("petya") is None
    assert [u.id for u in await store.users("s1")] == ["a1", "t1", "p2", "m1"]
    assert await store.user("m1") == replace(PARENT, children=["p2"])
    (school_class,) = await store.classes("s1")
    assert (school_class.teachers, school_class.pupils) == (["t1"], ["p2"])
    assert [i.id for i in await store.invites("c1")] == ["i-teacher", "i-masha"]
    consultation, event = await store.session("k1"), await store.session("e1")
    assert consultation is not None and consultation.guest_id is None
    assert event is not None and event.performers == ("p2",)
    assert [(s.user_id, s.name) for s in await store.attendance("l1")] == [
        ("t1", "Ольга Ивановна"),
        ("p2", "Маша Петрова"),
    ]
    assert [(c.user_id, c.name, c.text) for c in await store.chat("l1", 100)] == [
        ("t1", "Ольга Ивановна", "hello from olga"),
        (ERASED_ID, ERASED_NAME, ERASED_NAME),
        ("p2", "Маша Петрова", "hello from masha"),
    ]
    assert (await store.is_removed("l1", "p1"), await store.is_removed("l1", "p2")) == (
        False,
        True,
    )
    assert [a.user_id for a in await store.poll_answers("l1")] == ["p2"]
    assert await store.sign_ins.get("si-petya-1") is None
    assert await store.sign_ins.get("si-masha") == SignIn("si-masha", "p2", 1.0, 9e9)


async def test_erasing_a_teacher_hands_their_sessions_and_links_to_the_admin(
    school: Store,
) -> None:
    store = school
    rows = await store.erase_user("t1", "a1", ERASED_NAME, ERASED_ID)

    assert rows == ErasedRows(
        sign_ins=["si-olga"],
        class_memberships=1,
        parent_links=0,
        invites_deleted=0,
        invites_reassigned=2,
        sessions_reassigned=2,
        sessions_unlinked=0,
        chat_lines=1,
        attendance=1,
        removals=0,
    )
    assert [(i.id, i.created_by) for i in await store.invites("c1")] == [
        ("i-teacher", "a1"),
        ("i-petya", "a1"),
        ("i-masha", "a1"),
    ]
    assert [(s.id, s.created_by) for s in await store.sessions("s1")] == [
        ("l1", "a1"),
        ("k1", "a1"),
        ("e1", "a1"),
    ]
    (school_class,) = await store.classes("s1")
    assert (school_class.teachers, school_class.pupils) == ([], ["p1", "p2"])
    assert [(p.id, p.asked_by) for p in await store.polls("l1")] == [("q1", "a1")]
    assert [a.user_id for a in await store.poll_answers("l1")] == ["p1", "p2"]


async def test_a_failure_half_way_leaves_everything_as_it_was(school: Store) -> None:
    store = school
    before = await everything(store)
    # Handing the teacher's links to an account that does not exist breaks a foreign key in
    # the middle: after their membership, before their sessions, chat and account.
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.ForeignKeyViolation)):
        await store.erase_user("t1", "nobody", ERASED_NAME, ERASED_ID)

    assert await everything(store) == before
    assert await store.user("t1") == TEACHER


async def test_erasing_an_unknown_account_is_a_key_error_and_writes_nothing(
    school: Store,
) -> None:
    store = school
    before = await everything(store)
    with pytest.raises(KeyError) as raised:
        await store.erase_user("nobody", "a1", ERASED_NAME, ERASED_ID)
    assert raised.value.args == ("no user 'nobody'",)
    assert await everything(store) == before
