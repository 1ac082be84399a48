"""Erasing a person: every row that names them goes (or is emptied) in one transaction, the
others' rows stay exactly as they were, a failure half-way writes nothing, and each refusal
of `Erasure` comes before anything is written."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from classroom.erasure import ERASED_ID, ERASED_NAME, Erasure
from classroom.errors import ClassroomError
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
from classroom.roles import Role
from classroom.sqlite_store import SqliteStore


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    await _a_school(opened)
    yield opened
    await opened.close()


ADMIN = User("a1", "s1", Role.ADMIN, "Анна Админ", login="anna", verified=True)
TEACHER = User("t1", "s1", Role.TEACHER, "Ольга Ивановна", login="olga", verified=True)
PETYA = User("p1", "s1", Role.PUPIL, "Петя Иванов", login="petya")
MASHA = User("p2", "s1", Role.PUPIL, "Маша Петрова", login="masha")
PARENT = User("m1", "s1", Role.PARENT, "Ирина Иванова", login="irina", children=["p1", "p2"])


def _invite(invite_id: str, created_by: str, child_id: str | None = None) -> Invite:
    role = Role.PARENT if child_id else Role.PUPIL
    return Invite(invite_id, "s1", "c1", role, created_by, 10.0, 9e9, 5, child_id=child_id)


async def _a_school(store: SqliteStore) -> None:
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
    await store.sign_ins.add(SignIn("si-petya-1", "p1", 1.0, 9e9))
    await store.sign_ins.add(SignIn("si-petya-2", "p1", 2.0, 9e9, revoked_at=3.0))
    await store.sign_ins.add(SignIn("si-masha", "p2", 1.0, 9e9))


async def _everything(store: SqliteStore) -> dict[str, object]:
    """Every row of the school, for comparing before and after."""
    return {
        "users": await store.users("s1"),
        "classes": await store.classes("s1"),
        "invites": await store.invites("c1"),
        "sessions": await store.sessions("s1"),
        "attendance": await store.attendance("l1"),
        "chat": await store.chat("l1", 100),
        "removed": [await store.is_removed("l1", u) for u in ("p1", "p2")],
        "sign_ins": [await store.sign_ins.get(i) for i in ("si-petya-1", "si-petya-2", "si-masha")],
    }


async def test_a_failure_at_the_last_step_leaves_everything_as_it_was(store: SqliteStore) -> None:
    # A table this code does not know (another feature's) still names the account, with no
    # ON DELETE CASCADE: the account's own DELETE, the last statement, fails.
    # The store's own connection, on its own thread: the same transaction rules.
    execute = functools.partial(store._worker.run, store._database._db.execute)
    await execute("CREATE TABLE later_feature (user_id TEXT NOT NULL REFERENCES users (id))")
    await execute("INSERT INTO later_feature VALUES ('p1')")
    before = await _everything(store)

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY constraint failed"):
        await store.erase_user("p1", "a1", ERASED_NAME, ERASED_ID)

    assert await _everything(store) == before
    assert await store.user("p1") == PETYA


# --- the use case's refusals -------------------------------------------------------------


async def _refusal(
    store: SqliteStore, by: User, user_id: str, confirm: str
) -> tuple[str, str | None]:
    before = await _everything(store)
    with pytest.raises(ClassroomError) as caught:
        await Erasure(store).erase(by, user_id, confirm)
    assert await _everything(store) == before  # refused: nothing written
    return caught.value.code, caught.value.field


async def test_only_an_admin_erases(store: SqliteStore) -> None:
    for by in (TEACHER, MASHA, PARENT):
        assert await _refusal(store, by, "p1", PETYA.name) == ("forbidden", None)


async def test_nobody_erases_themselves(store: SqliteStore) -> None:
    assert await _refusal(store, ADMIN, "a1", ADMIN.name) == ("erase_self", None)
    assert await _refusal(store, PETYA, "p1", PETYA.name) == ("forbidden", None)


async def test_another_schools_person_is_not_found(store: SqliteStore) -> None:
    await store.add_school(School("s2", "Другая"))
    await store.add_user(User("x1", "s2", Role.PUPIL, "Вася"))
    assert await _refusal(store, ADMIN, "x1", "Вася") == ("not_found", None)
    assert await _refusal(store, ADMIN, "", "Вася") == ("not_found", None)


async def test_the_confirmation_is_the_persons_name(store: SqliteStore) -> None:
    for wrong in ("Петя", "Маша Петрова", "petya"):
        assert await _refusal(store, ADMIN, "p1", wrong) == ("confirmation_mismatch", "confirm")


async def test_the_confirmation_ignores_case_and_extra_spaces(store: SqliteStore) -> None:
    erased = await Erasure(store).erase(ADMIN, "p1", "  петя   ИВАНОВ ")
    assert (erased.person, erased.rows.class_memberships) == (PETYA, 1)
    assert [s.id for s in erased.sessions] == ["l1", "k1", "e1"]


async def test_the_schools_last_active_admin_is_not_erased(store: SqliteStore) -> None:
    # Two admins, and the one asking was deactivated meanwhile: erasing the other would leave
    # the school with no active admin.
    second = User("a2", "s1", Role.ADMIN, "Борис Завуч", login="boris", verified=True)
    await store.add_user(second)
    await store.update_user(replace(ADMIN, disabled=True))
    assert await _refusal(store, ADMIN, "a2", second.name) == ("last_admin", None)
    await store.update_user(ADMIN)
    assert (await Erasure(store).erase(ADMIN, "a2", second.name)).person == second
