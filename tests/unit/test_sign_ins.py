"""Sign-ins: alive until signed out, signed out everywhere, or expired; for their own account
only; long-expired ones are forgotten."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from classroom.errors import ClassroomError
from classroom.models import School, User
from classroom.roles import Role
from classroom.sign_ins import PURGE_AFTER, SignIns
from classroom.sqlite_store import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    await opened.add_school(School("s1", "Школа"))
    for user_id in ("u1", "u2"):
        await opened.add_user(User(user_id, "s1", Role.TEACHER, user_id, login=user_id))
    try:
        yield opened
    finally:
        await opened.close()


async def test_a_sign_in_lives_until_it_expires_and_only_for_its_account(
    store: SqliteStore,
) -> None:
    clock = Clock()
    ids = iter(["a", "b"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    made = await sign_ins.open("u1", ttl=3600)
    assert (made.id, made.user_id, made.created_at, made.expires_at) == (
        "a",
        "u1",
        1_000_000.0,
        1_003_600.0,
    )
    assert await sign_ins.alive("a", "u1") is True
    assert await sign_ins.alive("a", "u2") is False  # someone else's token naming it
    assert await sign_ins.alive("nope", "u1") is False
    clock.now += 3600
    assert await sign_ins.alive("a", "u1") is False
    with pytest.raises(ClassroomError) as refused:
        await sign_ins.check("a", "u1")
    assert (refused.value.code, refused.value.message) == (
        "signed_out",
        "this sign-in has ended: sign in again",
    )


async def test_signing_out_ends_one_and_everywhere_ends_all_but_the_kept(
    store: SqliteStore,
) -> None:
    clock = Clock()
    ids = iter(["a", "b", "c", "d"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    for user_id in ("u1", "u1", "u1", "u2"):
        await sign_ins.open(user_id, ttl=3600)
    await sign_ins.sign_out("a")
    assert [await sign_ins.alive(i, "u1") for i in "abc"] == [False, True, True]
    assert await sign_ins.sign_out_everywhere("u1", keep="c") == ["b"]
    assert [await sign_ins.alive(i, "u1") for i in "abc"] == [False, False, True]
    assert await sign_ins.sign_out_everywhere("u1") == ["c"]
    assert await sign_ins.alive("c", "u1") is False
    assert await sign_ins.alive("d", "u2") is True  # another account's sign-in is untouched
    assert (
        await store.sign_ins.get("b") is not None
        and (await store.sign_ins.get("b")).revoked_at == clock.now
    )


async def test_long_expired_sign_ins_are_forgotten_at_the_next_sign_in(store: SqliteStore) -> None:
    clock = Clock()
    ids = iter(["old", "new"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    await sign_ins.open("u1", ttl=60)
    clock.now += 60 + PURGE_AFTER - 1
    assert await store.sign_ins.get("old") is not None  # expired, kept a day: it still says so
    clock.now += 2
    await sign_ins.open("u1", ttl=60)
    assert await store.sign_ins.get("old") is None
    assert await store.sign_ins.get("new") is not None


async def test_a_deleted_account_takes_its_sign_ins_with_it(store: SqliteStore) -> None:
    sign_ins = SignIns(store.sign_ins, Clock(), lambda: "x")
    await sign_ins.open("u2", ttl=60)
    # On the store's own connection and thread, as the erasure would.
    await store._worker.run(store._database._db.execute, "DELETE FROM users WHERE id = 'u2'")
    assert await store.sign_ins.get("x") is None
