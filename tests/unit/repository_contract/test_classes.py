"""Classes and invites: members in their order, rewrites in place, Conflicts that write
nothing; an invite redeemed or accepted in one transaction, all of it or none."""

from __future__ import annotations

import pytest

from classroom.models import Invite, SchoolClass, User
from classroom.roles import Role
from classroom.store import Conflict
from tests.unit.repository_contract.records import (
    Store,
    invite,
    parent,
    pupil,
    school,
    teacher,
    with_class,
)


async def test_a_class_reads_back_with_its_members_in_their_order(store: Store) -> None:
    await store.add_school(school())
    for user_id in ("t2", "t1"):
        await store.add_user(teacher(user_id))
    for user_id in ("p3", "p1", "p2"):
        await store.add_user(pupil(user_id))
    written = SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t2", "t1"], pupils=["p2", "p3", "p1"]
    )
    await store.add_class(written)
    await store.add_class(SchoolClass(id="c0", school_id="s1", name="Empty"))
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t2", "t1"], pupils=["p2", "p3", "p1"]
    )
    assert await store.school_class("c0") == SchoolClass(
        id="c0", school_id="s1", name="Empty", teachers=[], pupils=[]
    )
    assert await store.school_class("nope") is None
    assert await store.classes("s1") == [
        written,
        SchoolClass(id="c0", school_id="s1", name="Empty"),
    ]
    assert await store.classes("s2") == []


async def test_updating_a_class_rewrites_its_members(store: Store) -> None:
    written = await with_class(store, "p1", "p2")
    await store.add_user(teacher("t2"))
    await store.add_user(pupil("p3"))
    changed = SchoolClass(id="c1", school_id="s1", name="6B", teachers=["t2"], pupils=["p3", "p1"])
    await store.update_class(changed)
    assert await store.school_class("c1") == changed
    assert await store.classes("s1") == [changed]
    assert written.pupils == ["p1", "p2"]  # the caller's object was not touched


async def test_a_reused_class_id_is_a_conflict(store: Store) -> None:
    await with_class(store, "p1")
    with pytest.raises(Conflict) as raised:
        await store.add_class(SchoolClass(id="c1", school_id="s1", name="Other"))
    assert str(raised.value) == "class id 'c1' is taken"
    assert [each.name for each in await store.classes("s1")] == ["5B"]


async def test_a_pupil_listed_twice_is_a_conflict_and_the_class_keeps_its_members(
    store: Store,
) -> None:
    written = await with_class(store, "p1", "p2")
    twice = SchoolClass(id="c1", school_id="s1", name="5B", teachers=[], pupils=["p2", "p2"])
    with pytest.raises(Conflict) as raised:
        await store.update_class(twice)
    assert str(raised.value) == "user 'p2' is listed twice among the pupils of 'c1'"
    assert await store.school_class("c1") == written


async def test_a_new_class_with_a_teacher_listed_twice_is_not_made(store: Store) -> None:
    await with_class(store)
    twice = SchoolClass(id="c2", school_id="s1", name="6A", teachers=["t1", "t1"])
    with pytest.raises(Conflict) as raised:
        await store.add_class(twice)
    assert str(raised.value) == "user 't1' is listed twice among the teachers of 'c2'"
    assert await store.school_class("c2") is None


async def test_updating_an_unknown_class_is_a_key_error(store: Store) -> None:
    await store.add_school(school())
    with pytest.raises(KeyError) as raised:
        await store.update_class(SchoolClass(id="c9", school_id="s1", name="X"))
    assert raised.value.args == ("no class 'c9'",)


async def test_reads_return_fresh_objects_the_caller_may_change(store: Store) -> None:
    await with_class(store, "p1")
    read = await store.school_class("c1")
    assert read is not None
    read.pupils.append("p9")
    read.name = "changed"
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1"]
    )


# invites


async def test_invites_read_back_equal_ordered_by_creation_time(store: Store) -> None:
    await with_class(store, "p1")
    late = invite("i-late", created_at=300.5)
    parents = invite(
        "i-parent",
        created_at=100.25,
        role=Role.PARENT,
        max_uses=1,
        uses=1,
        revoked=True,
        child_id="p1",
    )
    same_time = invite("i-same", created_at=300.5)
    for each in (late, parents, same_time):
        await store.add_invite(each)
    read = await store.invite("i-parent")
    assert read == Invite(
        id="i-parent",
        school_id="s1",
        class_id="c1",
        role=Role.PARENT,
        created_by="t1",
        created_at=100.25,
        expires_at=86500.25,
        max_uses=1,
        uses=1,
        revoked=True,
        child_id="p1",
    )
    assert read is not None and read.role is Role.PARENT
    assert await store.invite("i-late") == late
    assert late.child_id is None and late.revoked is False
    assert await store.invite("nope") is None
    assert await store.invites("c1") == [parents, late, same_time]
    assert await store.invites("c2") == []


async def test_updating_an_invite_stores_its_new_state(store: Store) -> None:
    await with_class(store)
    await store.add_invite(invite())
    await store.update_invite(invite(uses=3, revoked=True, max_uses=5))
    assert await store.invite("i1") == invite(uses=3, revoked=True, max_uses=5)
    with pytest.raises(KeyError) as raised:
        await store.update_invite(invite("i9"))
    assert raised.value.args == ("no invite 'i9'",)


async def test_a_reused_invite_id_is_a_conflict(store: Store) -> None:
    await with_class(store)
    await store.add_invite(invite())
    with pytest.raises(Conflict) as raised:
        await store.add_invite(invite(max_uses=1))
    assert str(raised.value) == "invite id 'i1' is taken"
    assert await store.invites("c1") == [invite()]


# redeeming: a new account


async def test_redeeming_a_pupil_invite_counts_the_use_and_adds_the_pupil(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite())
    used = invite(uses=1)
    newcomer = pupil("p2", login="vera")
    school_class.pupils.append("p2")
    await store.redeem_invite(used, newcomer, school_class)
    assert await store.invite("i1") == used
    assert await store.user_by_login("vera") == newcomer
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1", "p2"]
    )


async def test_redeeming_a_parent_invite_links_the_child(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite(role=Role.PARENT, max_uses=1, child_id="p1"))
    used = invite(role=Role.PARENT, max_uses=1, child_id="p1", uses=1, revoked=True)
    newcomer = User(
        id="u1", school_id="s1", role=Role.PARENT, name="Olga", login="olga", children=["p1"]
    )
    await store.redeem_invite(used, newcomer, school_class)
    assert await store.invite("i1") == used
    assert await store.user("u1") == newcomer
    assert await store.school_class("c1") == school_class


async def test_a_taken_login_leaves_the_invite_unused(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_user(User(id="u1", school_id="s1", role=Role.ADMIN, name="Olga", login="olga"))
    await store.add_invite(invite())
    school_class.pupils.append("p2")
    with pytest.raises(Conflict) as raised:
        await store.redeem_invite(
            invite(uses=1, revoked=True), pupil("p2", login="olga"), school_class
        )
    assert str(raised.value) == "login 'olga' is taken"
    assert await store.invite("i1") == invite(uses=0, revoked=False)
    assert await store.user("p2") is None
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1"]
    )


async def test_redeeming_an_unknown_invite_writes_nothing(store: Store) -> None:
    school_class = await with_class(store, "p1")
    school_class.pupils.append("p2")
    with pytest.raises(KeyError) as raised:
        await store.redeem_invite(invite("gone", uses=1), pupil("p2", login="vera"), school_class)
    assert raised.value.args == ("no invite 'gone'",)
    assert await store.user("p2") is None
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1"]
    )


async def test_redeeming_into_an_unknown_class_writes_nothing(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_invite(invite())
    gone = SchoolClass(id="c9", school_id="s1", name="Gone", pupils=["p2"])
    with pytest.raises(KeyError) as raised:
        await store.redeem_invite(invite(uses=1), pupil("p2", login="vera"), gone)
    assert raised.value.args == ("no class 'c9'",)
    assert await store.invite("i1") == invite(uses=0)
    assert await store.user("p2") is None


# accepting: an existing account


async def test_accepting_a_pupil_invite_counts_the_use_and_adds_the_pupil(store: Store) -> None:
    school_class = await with_class(store, "p1")
    await store.add_user(pupil("p2", login="vera"))
    await store.add_invite(invite())
    school_class.pupils.append("p2")
    await store.accept_invite(invite(uses=1), pupil("p2", login="vera"), school_class)
    assert await store.invite("i1") == invite(uses=1)
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1", "p2"]
    )
    assert await store.user("p2") == pupil("p2", login="vera")


async def test_accepting_a_parent_invite_links_another_child(store: Store) -> None:
    school_class = await with_class(store, "p1", "p2")
    await store.add_user(parent("m1", "p1", login="mama"))
    await store.add_invite(invite(role=Role.PARENT, max_uses=1, child_id="p2"))
    used = invite(role=Role.PARENT, max_uses=1, child_id="p2", uses=1)
    await store.accept_invite(used, parent("m1", "p1", "p2", login="mama"), school_class)
    assert await store.invite("i1") == used
    assert await store.user("m1") == parent("m1", "p1", "p2", login="mama")
    assert await store.school_class("c1") == school_class


async def test_accepting_into_an_unknown_class_writes_nothing(store: Store) -> None:
    await with_class(store, "p1", "p2")
    await store.add_user(parent("m1", "p1", login="mama"))
    await store.add_invite(invite(role=Role.PARENT, child_id="p2"))
    gone = SchoolClass(id="c9", school_id="s1", name="Gone", pupils=["p1", "p2"])
    with pytest.raises(KeyError) as raised:
        await store.accept_invite(
            invite(role=Role.PARENT, child_id="p2", uses=1),
            parent("m1", "p1", "p2", login="mama"),
            gone,
        )
    assert raised.value.args == ("no class 'c9'",)
    assert await store.invite("i1") == invite(role=Role.PARENT, child_id="p2", uses=0)
    assert await store.user("m1") == parent("m1", "p1", login="mama")
