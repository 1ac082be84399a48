"""What writers at once leave behind, now that a request awaits between reading a record and
writing it back: uses counted by the store, pupils and children added to the records as they
are now, links used once, sign-ins ended once.

The SQLite store had one writer and callers that did not await in between; these hold for
both stores all the same: concurrent calls here run at once on PostgreSQL's pool, and one
after the other on SQLite's one connection, with the same stale copies either way.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from classroom.models import SchoolClass, SignIn
from classroom.roles import Role
from classroom.store import Conflict
from tests.unit.repository_contract.records import (
    Store,
    invite,
    link,
    parent,
    pupil,
    teacher,
    with_class,
)


async def test_concurrent_redemptions_of_an_invite_of_five_uses_make_five_accounts(
    store: Store,
) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite(max_uses=5))
    # Twelve people opened the link together: every one holds the invite with no use yet.
    newcomers = [pupil(f"n{i:02}", login=f"login{i:02}") for i in range(12)]
    outcomes = await asyncio.gather(
        *(
            store.redeem_invite(
                invite(max_uses=5, uses=1),
                newcomer,
                replace(school_class, pupils=[*school_class.pupils, newcomer.id]),
            )
            for newcomer in newcomers
        ),
        return_exceptions=True,
    )
    joined = [n.id for n, outcome in zip(newcomers, outcomes, strict=True) if outcome is None]
    refused = [outcome for outcome in outcomes if outcome is not None]
    assert len(joined) == 5
    assert [(type(e), str(e)) for e in refused] == [
        (Conflict, "invite 'i1' is used up or revoked")
    ] * 7
    assert await store.invite("i1") == invite(max_uses=5, uses=5)
    after = await store.school_class("c1")
    assert after is not None and after.pupils[0] == "p1"
    assert sorted(after.pupils[1:]) == sorted(joined)
    assert sorted(u.id for u in await store.users("s1")) == sorted(["t1", "p1", *joined])


async def test_a_used_up_invite_redeems_nothing(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite(max_uses=2, uses=2))
    with pytest.raises(Conflict) as raised:
        await store.redeem_invite(
            invite(max_uses=2, uses=3),
            pupil("p2", login="vera"),
            replace(school_class, pupils=["p1", "p2"]),
        )
    assert str(raised.value) == "invite 'i1' is used up or revoked"
    assert await store.invite("i1") == invite(max_uses=2, uses=2)
    assert await store.user("p2") is None
    assert await store.school_class("c1") == school_class


async def test_an_invite_revoked_after_it_was_read_redeems_nothing(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite())
    read = await store.invite("i1")
    assert read is not None
    await store.update_invite(replace(read, revoked=True))  # a teacher, meanwhile
    with pytest.raises(Conflict) as raised:
        await store.redeem_invite(
            replace(read, uses=1),
            pupil("p2", login="vera"),
            replace(school_class, pupils=["p1", "p2"]),
        )
    assert str(raised.value) == "invite 'i1' is used up or revoked"
    assert await store.invite("i1") == invite(revoked=True)
    assert await store.user("p2") is None


async def test_a_redemption_adds_its_pupil_to_the_class_as_it_is_now(store: Store) -> None:
    read = await with_class(store, "p1", "p2")
    await store.add_invite(invite())
    await store.add_user(pupil("p3"))
    # Meanwhile a teacher takes p1 out and brings p3 in.
    await store.update_class(replace(read, pupils=["p2", "p3"]))
    await store.redeem_invite(
        invite(uses=1), pupil("p4", login="vera"), replace(read, pupils=["p1", "p2", "p4"])
    )
    assert await store.school_class("c1") == SchoolClass(
        "c1", "s1", "5B", teachers=["t1"], pupils=["p2", "p3", "p4"]
    )


async def test_an_acceptance_adds_its_child_to_the_parent_as_they_are_now(store: Store) -> None:
    school_class = await with_class(store, "p1", "p2", "p3")
    await store.add_user(parent("m1", "p1", login="mama"))
    await store.add_invite(invite("i-2", role=Role.PARENT, child_id="p2"))
    await store.add_invite(invite("i-3", role=Role.PARENT, child_id="p3"))
    # Two links opened in two tabs: each copy of the parent knows one more child.
    await asyncio.gather(
        store.accept_invite(
            invite("i-2", role=Role.PARENT, child_id="p2", uses=1),
            parent("m1", "p1", "p2", login="mama"),
            school_class,
        ),
        store.accept_invite(
            invite("i-3", role=Role.PARENT, child_id="p3", uses=1),
            parent("m1", "p1", "p3", login="mama"),
            school_class,
        ),
    )
    linked = await store.user("m1")
    assert linked is not None and sorted(linked.children) == ["p1", "p2", "p3"]
    assert [i.uses for i in await store.invites("c1")] == [1, 1]


async def test_pupils_accepting_at_once_all_join_the_class(store: Store) -> None:
    read = await with_class(store)
    for user_id in ("p1", "p2", "p3"):
        await store.add_user(pupil(user_id))
    await store.add_invite(invite())
    await asyncio.gather(
        *(
            store.accept_invite(invite(uses=1), pupil(p), replace(read, pupils=[p]))
            for p in ("p1", "p2", "p3")
        )
    )
    after = await store.school_class("c1")
    assert after is not None and sorted(after.pupils) == ["p1", "p2", "p3"]
    assert await store.invite("i1") == invite(uses=3)


async def test_a_password_link_used_twice_at_once_sets_one_password(store: Store) -> None:
    await with_class(store)
    await store.put_password_link(link("t1", "h1"))
    outcomes = await asyncio.gather(
        store.use_password_link(link("t1", "h1"), replace(teacher(), password_hash="first")),
        store.use_password_link(link("t1", "h1"), replace(teacher(), password_hash="second")),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["KeyError", "NoneType"]
    winner = "first" if outcomes[0] is None else "second"
    assert await store.user("t1") == replace(teacher(), password_hash=winner)
    assert await store.password_link("h1") is None


async def test_links_made_for_one_person_at_once_leave_one(store: Store) -> None:
    await with_class(store)
    await asyncio.gather(*(store.put_password_link(link("t1", f"h{i}")) for i in range(6)))
    alive = [h for h in (f"h{i}" for i in range(6)) if await store.password_link(h) is not None]
    assert len(alive) == 1


async def test_signing_out_everywhere_twice_at_once_ends_each_sign_in_once(store: Store) -> None:
    await with_class(store)
    for i in range(8):
        await store.sign_ins.add(SignIn(f"s{i}", "t1", float(i), 9000.0))
    first, second = await asyncio.gather(
        store.sign_ins.revoke_user("t1", 500.0), store.sign_ins.revoke_user("t1", 500.0)
    )
    assert sorted(first + second) == [f"s{i}" for i in range(8)]
    assert set(first).isdisjoint(second)


async def test_an_import_adds_its_pupils_to_the_class_as_it_is_now(store: Store) -> None:
    read = await with_class(store, "p1")
    await store.add_invite(invite())
    # While the teacher looked at the import's preview, a pupil joined through the link.
    await store.redeem_invite(
        invite(uses=1), pupil("p2", login="vera"), replace(read, pupils=["p1", "p2"])
    )
    imported = [pupil("p3", login="petya"), pupil("p4", login="masha")]
    await store.import_people(
        imported,
        replace(read, pupils=["p1", "p3", "p4"]),
        [link("p3", "h3"), link("p4", "h4")],
    )
    assert await store.school_class("c1") == SchoolClass(
        "c1", "s1", "5B", teachers=["t1"], pupils=["p1", "p2", "p3", "p4"]
    )
