"""Sign-ins: alive until signed out, signed out everywhere, or expired; for their own account
only; long-expired ones are forgotten."""

from __future__ import annotations

from collections.abc import Iterator

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
def store() -> Iterator[SqliteStore]:
    opened = SqliteStore(":memory:")
    opened.add_school(School("s1", "Школа"))
    for user_id in ("u1", "u2"):
        opened.add_user(User(user_id, "s1", Role.TEACHER, user_id, login=user_id))
    try:
        yield opened
    finally:
        opened.close()


def test_a_sign_in_lives_until_it_expires_and_only_for_its_account(store: SqliteStore) -> None:
    clock = Clock()
    ids = iter(["a", "b"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    made = sign_ins.open("u1", ttl=3600)
    assert (made.id, made.user_id, made.created_at, made.expires_at) == (
        "a",
        "u1",
        1_000_000.0,
        1_003_600.0,
    )
    assert sign_ins.alive("a", "u1") is True
    assert sign_ins.alive("a", "u2") is False  # someone else's token naming it
    assert sign_ins.alive("nope", "u1") is False
    clock.now += 3600
    assert sign_ins.alive("a", "u1") is False
    with pytest.raises(ClassroomError) as refused:
        sign_ins.check("a", "u1")
    assert (refused.value.code, refused.value.message) == (
        "signed_out",
        "this sign-in has ended: sign in again",
    )


def test_signing_out_ends_one_and_everywhere_ends_all_but_the_kept(store: SqliteStore) -> None:
    clock = Clock()
    ids = iter(["a", "b", "c", "d"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    for user_id in ("u1", "u1", "u1", "u2"):
        sign_ins.open(user_id, ttl=3600)
    sign_ins.sign_out("a")
    assert [sign_ins.alive(i, "u1") for i in "abc"] == [False, True, True]
    assert sign_ins.sign_out_everywhere("u1", keep="c") == ["b"]
    assert [sign_ins.alive(i, "u1") for i in "abc"] == [False, False, True]
    assert sign_ins.sign_out_everywhere("u1") == ["c"]
    assert sign_ins.alive("c", "u1") is False
    assert sign_ins.alive("d", "u2") is True  # another account's sign-in is untouched
    assert store.sign_ins.get("b") is not None and store.sign_ins.get("b").revoked_at == clock.now


def test_long_expired_sign_ins_are_forgotten_at_the_next_sign_in(store: SqliteStore) -> None:
    clock = Clock()
    ids = iter(["old", "new"])
    sign_ins = SignIns(store.sign_ins, clock, lambda: next(ids))
    sign_ins.open("u1", ttl=60)
    clock.now += 60 + PURGE_AFTER - 1
    assert store.sign_ins.get("old") is not None  # expired, kept a day: it still says so
    clock.now += 2
    sign_ins.open("u1", ttl=60)
    assert store.sign_ins.get("old") is None
    assert store.sign_ins.get("new") is not None


def test_a_deleted_account_takes_its_sign_ins_with_it(store: SqliteStore) -> None:
    sign_ins = SignIns(store.sign_ins, Clock(), lambda: "x")
    sign_ins.open("u2", ttl=60)
    store._db.execute("DELETE FROM users WHERE id = 'u2'")
    assert store.sign_ins.get("x") is None
