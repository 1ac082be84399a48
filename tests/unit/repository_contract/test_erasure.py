"""Erasing a person in one transaction: every row naming them goes or is emptied, the others'
rows stay exactly as they were, and a failure half-way writes nothing."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import psycopg
import pytest

from classroom.erasure import ERASED_ID, ERASED_NAME
from classroom.models import (
    Attendance,
    ChatLine,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SignIn,
    User,
)
from classroom.poll_records import PollAnswer, PollRecord
from classroom.roles import Role
from classroom.store import ErasedRows
from tests.unit.repository_contract.records import Store

ADMIN = User("a1", "s1", Role.ADMIN, "Анна Админ", login="anna", verified=True)
TEACHER = User("t1", "s1", Role.TEACHER, "Ольга Ивановна", login="olga", verified=True)
PETYA = User("p1", "s1", Role.PUPIL, "Петя Иванов", login="petya")
MASHA = User("p2", "s1", Role.PUPIL, "Маша Петрова", login="masha")
PARENT = User("m1", "s1", Role.PARENT, "Ирина Иванова", login="irina", children=["p1", "p2"])


def _invite(invite_id: str, created_by: str, child_id: str | None = None) -> Invite:
    role = Role.PARENT if child_id else Role.PUPIL
    return Invite(invite_id, "s1", "c1", role, created_by, 10.0, 9e9, 5, child_id=child_id)


@pytest.fixture
async def school(store: Store) -> Store:
    """A class 5A with a teacher, two pupils and a parent of both; a lesson, a consultation
    with Petya and an event he performs at, where each has spoken and come."""
    await store.add_school(School("s1", "Школа"))
    for user in (ADMIN, TEACHER, PETYA, MASHA, PARENT):
        await store.add_user(user)
    await store.add_class(SchoolClass("c1", "s1", "5A", teachers=["t1"], pupils=["p1", "p2"]))
    await store.add_invite(_invite("i-teacher", "t1"))
    await store.add_invite(_invite("i-petya", "t1", child_id="p1"))
    await store.add_invite(_invite("i-masha", "a1", child_id="p2"))
    await store.add_session(
        Session("l1", "s1", SessionKind.LESSON, "Дроби", "t1", 1.0, class_id="c1")
    )
    await store.add_session(
        Session("k1", "s1", SessionKind.CONSULTATION, "Разговор", "t1", 2.0, "c1", guest_id="p1")
    )
    await store.add_session(
        Session("e1", "s1", SessionKind.EVENT, "Концерт", "a1", 3.0, performers=("p1", "p2"))
    )
    for user in (TEACHER, PETYA, MASHA):
        await store.add_attendance(Attendance("l1", user.id, user.name, joined_at=5.0, left_at=9.0))
        await store.add_chat(ChatLine("l1", user.id, user.name, f"hello from {user.login}", 6.0))
    await store.add_removal("l1", "p1")
    await store.add_removal("l1", "p2")
    await store.add_poll(PollRecord("q1", "l1", "2 + 2?", ("3", "4"), False, "t1", 6.5, 1))
    for user in (PETYA, MASHA):
        await store.put_poll_answer(PollAnswer("q1", user.id, user.name, (1,), 7.0))
    await store.sign_ins.add(SignIn("si-petya-1", "p1", 1.0, 9e9))
    await store.sign_ins.add(SignIn("si-petya-2", "p1", 2.0, 9e9, revoked_at=3.0))
    await store.sign_ins.add(SignIn("si-masha", "p2", 1.0, 9e9))
    await store.sign_ins.add(SignIn("si-olga", "t1", 1.0, 9e9))
    return store


async def _everything(store: Store) -> dict[str, object]:
    """Every row of the school, for comparing before and after."""
    return {
        "users": await store.users("s1"),
        "classes": await store.classes("s1"),
        "invites": await store.invites("c1"),
        "sessions": await store.sessions("s1"),
        "attendance": await store.attendance("l1"),
        "chat": await store.chat("l1", 100),
        "removed": [await store.is_removed("l1", u) for u in ("p1", "p2")],
        "polls": await store.polls("l1"),
        "poll_answers": await store.poll_answers("l1"),
        "sign_ins": [
            await store.sign_ins.get(i) for i in ("si-petya-1", "si-petya-2", "si-masha", "si-olga")
        ],
    }


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
    before = await _everything(store)
    # Handing the teacher's links to an account that does not exist breaks a foreign key in
    # the middle: after their membership, before their sessions, chat and account.
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.ForeignKeyViolation)):
        await store.erase_user("t1", "nobody", ERASED_NAME, ERASED_ID)

    assert await _everything(store) == before
    assert await store.user("t1") == TEACHER


async def test_erasing_an_unknown_account_is_a_key_error_and_writes_nothing(
    school: Store,
) -> None:
    store = school
    before = await _everything(store)
    with pytest.raises(KeyError) as raised:
        await store.erase_user("nobody", "a1", ERASED_NAME, ERASED_ID)
    assert raised.value.args == ("no user 'nobody'",)
    assert await _everything(store) == before
