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
    School,
    User,
)
from classroom.roles import Role
from classroom.sqlite_store import SqliteStore
from tests.unit.erasure_school import ADMIN, MASHA, PARENT, PETYA, TEACHER, everything, fill_school


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    await fill_school(opened)
    yield opened
    await opened.close()


async def test_a_failure_at_the_last_step_leaves_everything_as_it_was(store: SqliteStore) -> None:
    # A table this code does not know (another feature's) still names the account, with no
    # ON DELETE CASCADE: the account's own DELETE, the last statement, fails.
    # The store's own connection, on its own thread: the same transaction rules.
    execute = functools.partial(store._worker.run, store._database._db.execute)
    await execute("CREATE TABLE later_feature (user_id TEXT NOT NULL REFERENCES users (id))")
    await execute("INSERT INTO later_feature VALUES ('p1')")
    before = await everything(store)

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY constraint failed"):
        await store.erase_user("p1", "a1", ERASED_NAME, ERASED_ID)

    assert await everything(store) == before
    assert await store.user("p1") == PETYA


# --- the use case's refusals -------------------------------------------------------------


async def _refusal(
    store: SqliteStore, by: User, user_id: str, confirm: str
) -> tuple[str, str | None]:
    before = await everything(store)
    with pytest.raises(ClassroomError) as caught:
        await Erasure(store).erase(by, user_id, confirm)
    assert await everything(store) == before  # refused: nothing written
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
