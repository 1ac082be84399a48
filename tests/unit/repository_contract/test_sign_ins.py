"""Sign-ins: read back equal, revoked once, revoked for a whole account but the one kept,
and forgotten once long expired."""

from __future__ import annotations

from classroom.models import SignIn
from tests.unit.repository_contract.records import Store, school, teacher


async def _two_teachers(store: Store) -> None:
    await store.add_school(school())
    await store.add_user(teacher("u1", login="u1"))
    await store.add_user(teacher("u2", login="u2"))


async def test_a_sign_in_reads_back_equal(store: Store) -> None:
    await _two_teachers(store)
    await store.sign_ins.add(SignIn("a", "u1", 100.5, 3700.5))
    await store.sign_ins.add(SignIn("b", "u2", 100.0, 200.0, revoked_at=150.25))
    assert await store.sign_ins.get("a") == SignIn("a", "u1", 100.5, 3700.5, revoked_at=None)
    assert await store.sign_ins.get("b") == SignIn("b", "u2", 100.0, 200.0, revoked_at=150.25)
    assert await store.sign_ins.get("nope") is None


async def test_revoking_keeps_the_first_time_it_was_revoked(store: Store) -> None:
    await _two_teachers(store)
    await store.sign_ins.add(SignIn("a", "u1", 100.0, 9000.0))
    await store.sign_ins.revoke("a", 500.0)
    await store.sign_ins.revoke("a", 600.0)
    await store.sign_ins.revoke("nope", 600.0)  # an unknown one: nothing to end
    assert await store.sign_ins.get("a") == SignIn("a", "u1", 100.0, 9000.0, revoked_at=500.0)


async def test_revoking_an_account_ends_its_live_sign_ins_but_the_one_kept(store: Store) -> None:
    await _two_teachers(store)
    for sign_in in (
        SignIn("live-1", "u1", 100.0, 9000.0),
        SignIn("kept", "u1", 110.0, 9000.0),
        SignIn("live-2", "u1", 120.0, 9000.0),
        SignIn("ended", "u1", 90.0, 9000.0, revoked_at=95.0),
        SignIn("expired", "u1", 10.0, 400.0),
        SignIn("other", "u2", 100.0, 9000.0),
    ):
        await store.sign_ins.add(sign_in)
    ended = await store.sign_ins.revoke_user("u1", 500.0, keep="kept")
    assert sorted(ended) == ["live-1", "live-2"]
    assert await store.sign_ins.get("live-1") == SignIn("live-1", "u1", 100.0, 9000.0, 500.0)
    assert await store.sign_ins.get("kept") == SignIn("kept", "u1", 110.0, 9000.0)
    assert await store.sign_ins.get("ended") == SignIn("ended", "u1", 90.0, 9000.0, 95.0)
    assert await store.sign_ins.get("expired") == SignIn("expired", "u1", 10.0, 400.0)
    assert await store.sign_ins.get("other") == SignIn("other", "u2", 100.0, 9000.0)
    assert await store.sign_ins.revoke_user("u1", 600.0) == ["kept"]
    assert await store.sign_ins.revoke_user("u1", 700.0) == []


async def test_purging_forgets_the_sign_ins_expired_before_then(store: Store) -> None:
    await _two_teachers(store)
    for sign_in in (
        SignIn("old", "u1", 10.0, 100.0),
        SignIn("edge", "u1", 10.0, 200.0),
        SignIn("revoked", "u2", 10.0, 150.0, revoked_at=20.0),
        SignIn("live", "u2", 10.0, 9000.0),
    ):
        await store.sign_ins.add(sign_in)
    assert await store.sign_ins.purge(200.0) == 2
    assert [await store.sign_ins.get(i) is None for i in ("old", "edge", "revoked", "live")] == [
        True,
        False,
        True,
        False,
    ]
    assert await store.sign_ins.purge(200.0) == 0
