"""The SQLite repository: records come back as written, writes are all or nothing."""

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from classroom import sqlite_store
from classroom.models import (
    Attendance,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SessionState,
    User,
)
from classroom.roles import Role
from classroom.sqlite_store import MIGRATIONS, SqliteStore
from classroom.store import Conflict, Repository


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    yield opened
    await opened.close()


def school(school_id: str = "s1") -> School:
    return School(id=school_id, name=f"School {school_id}")


def teacher(user_id: str = "t1", school_id: str = "s1", login: str | None = None) -> User:
    return User(
        id=user_id, school_id=school_id, role=Role.TEACHER, name=f"Teacher {user_id}", login=login
    )


def pupil(user_id: str, login: str | None = None) -> User:
    return User(id=user_id, school_id="s1", role=Role.PUPIL, name=f"Pupil {user_id}", login=login)


def invite(invite_id: str = "i1", created_at: float = 100.0, **changes: Any) -> Invite:
    base = Invite(
        id=invite_id,
        school_id="s1",
        class_id="c1",
        role=Role.PUPIL,
        created_by="t1",
        created_at=created_at,
        expires_at=created_at + 86400.0,
        max_uses=30,
    )
    return replace(base, **changes)


async def with_class(store: SqliteStore, *pupils: str) -> SchoolClass:
    """School s1, teacher t1, the given pupils, and class c1 of them all."""
    await store.add_school(school())
    await store.add_user(teacher())
    for pupil_id in pupils:
        await store.add_user(pupil(pupil_id))
    school_class = SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=list(pupils)
    )
    await store.add_class(school_class)
    return school_class


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        db.close()


# the protocol


async def test_the_store_satisfies_the_repository_protocol(store: SqliteStore) -> None:
    repository: Repository = store
    assert await repository.schools() == []


# schools


async def test_schools_read_back_equal_and_in_insertion_order(store: SqliteStore) -> None:
    written = [
        School(id="s-z", name="Zebra School", parents_see_recordings=True),
        School(id="s-a", name="Acorn School", parents_see_recordings=False),
    ]
    for each in written:
        await store.add_school(each)
    assert await store.school("s-z") == School(
        id="s-z", name="Zebra School", parents_see_recordings=True
    )
    assert await store.school("s-a") == School(
        id="s-a", name="Acorn School", parents_see_recordings=False
    )
    assert await store.school("nope") is None
    assert await store.schools() == written


# people


async def test_a_user_with_every_field_set_reads_back_equal(store: SqliteStore) -> None:
    await with_class(store, "p1", "p2")
    parent = User(
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
    await store.add_user(parent)
    read = await store.user("u1")
    assert read == parent
    assert read is not None and read.role is Role.PARENT
    assert await store.user_by_login("olga") == parent


async def test_a_user_with_defaults_reads_back_with_none_and_empty_lists(
    store: SqliteStore,
) -> None:
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


async def test_unknown_users_read_as_none(store: SqliteStore) -> None:
    await store.add_school(school())
    await store.add_user(teacher(login="anna"))
    assert await store.user("nope") is None
    assert await store.user_by_login("nope") is None
    assert await store.user_by_login("Anna") is None  # logins compare exactly


async def test_users_of_a_school_come_back_in_insertion_order(store: SqliteStore) -> None:
    await store.add_school(school("s1"))
    await store.add_school(school("s2"))
    await store.add_user(teacher("t-z"))
    await store.add_user(teacher("t-other", school_id="s2"))
    await store.add_user(teacher("t-a"))
    await store.add_user(
        User(id="u-m", school_id="s1", role=Role.PARENT, name="Parent", children=["t-z"])
    )
    assert await store.users("s1") == [
        teacher("t-z"),
        teacher("t-a"),
        User(id="u-m", school_id="s1", role=Role.PARENT, name="Parent", children=["t-z"]),
    ]
    assert await store.users("s2") == [teacher("t-other", school_id="s2")]
    assert await store.users("s3") == []


async def test_many_users_may_still_be_without_a_login(store: SqliteStore) -> None:
    await store.add_school(school())
    await store.add_user(teacher("t1"))
    await store.add_user(teacher("t2"))
    assert [user.login for user in await store.users("s1")] == [None, None]


async def test_a_taken_login_is_a_conflict_and_writes_nothing(store: SqliteStore) -> None:
    await with_class(store, "p1")
    await store.add_user(User(id="u1", school_id="s1", role=Role.ADMIN, name="Olga", login="olga"))
    parent = User(
        id="u2", school_id="s1", role=Role.PARENT, name="Other Olga", login="olga", children=["p1"]
    )
    with pytest.raises(Conflict) as raised:
        await store.add_user(parent)
    assert str(raised.value) == "login 'olga' is taken"
    assert await store.user("u2") is None
    assert [user.id for user in await store.users("s1")] == ["t1", "p1", "u1"]
    # Its children rows did not outlive it: the id is free and the next try starts clean.
    parent.login = "olga2"
    await store.add_user(parent)
    assert await store.user("u2") == parent


async def test_a_reused_user_id_is_a_conflict_and_writes_nothing(store: SqliteStore) -> None:
    await store.add_school(school())
    await store.add_user(teacher("t1", login="anna"))
    with pytest.raises(Conflict) as raised:
        await store.add_user(teacher("t1", login="boris"))
    assert str(raised.value) == "user id 't1' is taken"
    assert await store.user_by_login("boris") is None
    assert await store.user("t1") == teacher("t1", login="anna")


async def test_a_child_listed_twice_is_a_conflict(store: SqliteStore) -> None:
    await with_class(store, "p1")
    parent = User(id="u1", school_id="s1", role=Role.PARENT, name="P", children=["p1", "p1"])
    with pytest.raises(Conflict) as raised:
        await store.add_user(parent)
    assert str(raised.value) == "child 'p1' is listed twice for parent 'u1'"
    assert await store.user("u1") is None


async def test_updating_a_user_rewrites_it_and_its_children_in_place(store: SqliteStore) -> None:
    await with_class(store, "p1", "p2", "p3")
    parent = User(id="u1", school_id="s1", role=Role.PARENT, name="P", children=["p1", "p2"])
    await store.add_user(parent)
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
    store: SqliteStore,
) -> None:
    await with_class(store, "p1")
    await store.add_user(teacher("t2", login="anna"))
    parent = User(id="u1", school_id="s1", role=Role.PARENT, name="P", login="pat")
    await store.add_user(parent)
    taking = User(
        id="u1", school_id="s1", role=Role.PARENT, name="Renamed", login="anna", children=["p1"]
    )
    with pytest.raises(Conflict) as raised:
        await store.update_user(taking)
    assert str(raised.value) == "login 'anna' is taken"
    assert await store.user("u1") == parent


async def test_updating_an_unknown_user_is_a_key_error(store: SqliteStore) -> None:
    await store.add_school(school())
    with pytest.raises(KeyError) as raised:
        await store.update_user(teacher("ghost"))
    assert raised.value.args == ("no user 'ghost'",)
    assert await store.users("s1") == []


async def test_a_user_of_an_unknown_school_is_refused(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError) as raised:
        await store.add_user(teacher("t1", school_id="nowhere"))
    assert str(raised.value) == "FOREIGN KEY constraint failed"
    assert await store.user("t1") is None


# classes


async def test_a_class_reads_back_with_its_members_in_their_order(store: SqliteStore) -> None:
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


async def test_updating_a_class_rewrites_its_members(store: SqliteStore) -> None:
    written = await with_class(store, "p1", "p2")
    await store.add_user(teacher("t2"))
    await store.add_user(pupil("p3"))
    changed = SchoolClass(id="c1", school_id="s1", name="6B", teachers=["t2"], pupils=["p3", "p1"])
    await store.update_class(changed)
    assert await store.school_class("c1") == changed
    assert await store.classes("s1") == [changed]
    assert written.pupils == ["p1", "p2"]  # the caller's object was not touched


async def test_a_reused_class_id_is_a_conflict(store: SqliteStore) -> None:
    await with_class(store, "p1")
    with pytest.raises(Conflict) as raised:
        await store.add_class(SchoolClass(id="c1", school_id="s1", name="Other"))
    assert str(raised.value) == "class id 'c1' is taken"
    assert [each.name for each in await store.classes("s1")] == ["5B"]


async def test_a_pupil_listed_twice_is_a_conflict_and_the_class_keeps_its_members(
    store: SqliteStore,
) -> None:
    written = await with_class(store, "p1", "p2")
    twice = SchoolClass(id="c1", school_id="s1", name="5B", teachers=[], pupils=["p2", "p2"])
    with pytest.raises(Conflict) as raised:
        await store.update_class(twice)
    assert str(raised.value) == "user 'p2' is listed twice among the pupils of 'c1'"
    assert await store.school_class("c1") == written


async def test_updating_an_unknown_class_is_a_key_error(store: SqliteStore) -> None:
    await store.add_school(school())
    with pytest.raises(KeyError) as raised:
        await store.update_class(SchoolClass(id="c9", school_id="s1", name="X"))
    assert raised.value.args == ("no class 'c9'",)


# invites


async def test_invites_read_back_equal_ordered_by_creation_time(store: SqliteStore) -> None:
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


async def test_updating_an_invite_stores_its_new_state(store: SqliteStore) -> None:
    await with_class(store)
    await store.add_invite(invite())
    await store.update_invite(invite(uses=3, revoked=True, max_uses=5))
    assert await store.invite("i1") == invite(uses=3, revoked=True, max_uses=5)


async def test_a_reused_invite_id_is_a_conflict(store: SqliteStore) -> None:
    await with_class(store)
    await store.add_invite(invite())
    with pytest.raises(Conflict) as raised:
        await store.add_invite(invite(max_uses=1))
    assert str(raised.value) == "invite id 'i1' is taken"
    assert await store.invites("c1") == [invite()]


async def test_redeeming_a_pupil_invite_counts_the_use_and_adds_the_pupil(
    store: SqliteStore,
) -> None:
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


async def test_redeeming_a_parent_invite_links_the_child(store: SqliteStore) -> None:
    school_class = await with_class(store, "p1")
    await store.add_invite(invite(role=Role.PARENT, max_uses=1, child_id="p1"))
    used = invite(role=Role.PARENT, max_uses=1, child_id="p1", uses=1, revoked=True)
    parent = User(
        id="u1", school_id="s1", role=Role.PARENT, name="Olga", login="olga", children=["p1"]
    )
    await store.redeem_invite(used, parent, school_class)
    assert await store.invite("i1") == used
    assert await store.user("u1") == parent
    assert await store.school_class("c1") == school_class


async def test_a_taken_login_leaves_the_invite_unused(store: SqliteStore) -> None:
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


async def test_redeeming_an_unknown_invite_writes_nothing(store: SqliteStore) -> None:
    school_class = await with_class(store, "p1")
    school_class.pupils.append("p2")
    with pytest.raises(KeyError) as raised:
        await store.redeem_invite(invite("gone", uses=1), pupil("p2", login="vera"), school_class)
    assert raised.value.args == ("no invite 'gone'",)
    assert await store.user("p2") is None
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1"]
    )


# sessions


async def test_sessions_read_back_equal_in_insertion_order(store: SqliteStore) -> None:
    await with_class(store, "p1")
    lesson = Session(
        id="z-lesson",
        school_id="s1",
        kind=SessionKind.LESSON,
        title="Algebra",
        created_by="t1",
        created_at=10.5,
        class_id="c1",
        scheduled_at=20.0,
        state=SessionState.ENDED,
        started_at=20.25,
        ended_at=2720.75,
    )
    consultation = Session(
        id="a-consultation",
        school_id="s1",
        kind=SessionKind.CONSULTATION,
        title="Homework",
        created_by="t1",
        created_at=11.0,
        guest_id="p1",
        state=SessionState.LIVE,
        started_at=11.0,
    )
    instant = Session(
        id="m-staff",
        school_id="s1",
        kind=SessionKind.STAFF_MEETING,
        title="Staff",
        created_by="t1",
        created_at=12.0,
    )
    for each in (lesson, consultation, instant):
        await store.add_session(each)
    read = await store.session("m-staff")
    assert read == Session(
        id="m-staff",
        school_id="s1",
        kind=SessionKind.STAFF_MEETING,
        title="Staff",
        created_by="t1",
        created_at=12.0,
        class_id=None,
        guest_id=None,
        scheduled_at=None,
        state=SessionState.SCHEDULED,
        started_at=None,
        ended_at=None,
    )
    assert read is not None
    assert read.kind is SessionKind.STAFF_MEETING and read.state is SessionState.SCHEDULED
    assert await store.session("z-lesson") == lesson
    assert await store.session("a-consultation") == consultation
    assert await store.session("nope") is None
    assert await store.sessions("s1") == [lesson, consultation, instant]
    assert await store.sessions("s2") == []


@pytest.mark.parametrize("kind", list(SessionKind))
@pytest.mark.parametrize("state", list(SessionState))
async def test_every_session_kind_and_state_round_trips(
    store: SqliteStore, kind: SessionKind, state: SessionState
) -> None:
    await with_class(store)
    written = Session(
        id="x", school_id="s1", kind=kind, title="T", created_by="t1", created_at=1.0, state=state
    )
    await store.add_session(written)
    read = await store.session("x")
    assert read == written
    assert read is not None and read.kind is kind and read.state is state


async def test_updating_a_session_stores_its_new_state(store: SqliteStore) -> None:
    await with_class(store)
    scheduled = Session(
        id="x",
        school_id="s1",
        kind=SessionKind.EVENT,
        title="Concert",
        created_by="t1",
        created_at=1.0,
        scheduled_at=50.0,
    )
    await store.add_session(scheduled)
    live = Session(
        id="x",
        school_id="s1",
        kind=SessionKind.EVENT,
        title="Concert!",
        created_by="t1",
        created_at=1.0,
        scheduled_at=50.0,
        state=SessionState.LIVE,
        started_at=51.5,
    )
    await store.update_session(live)
    assert await store.session("x") == live
    with pytest.raises(KeyError) as raised:
        await store.update_session(
            Session(
                id="y",
                school_id="s1",
                kind=SessionKind.EVENT,
                title="",
                created_by="t1",
                created_at=0.0,
            )
        )
    assert raised.value.args == ("no session 'y'",)


async def test_a_reused_session_id_is_a_conflict(store: SqliteStore) -> None:
    await with_class(store)
    first = Session(
        id="x", school_id="s1", kind=SessionKind.LESSON, title="A", created_by="t1", created_at=1.0
    )
    await store.add_session(first)
    with pytest.raises(Conflict) as raised:
        await store.add_session(
            Session(
                id="x",
                school_id="s1",
                kind=SessionKind.EVENT,
                title="B",
                created_by="t1",
                created_at=2.0,
            )
        )
    assert str(raised.value) == "session id 'x' is taken"
    assert await store.sessions("s1") == [first]


async def test_a_reused_school_id_is_a_conflict(store: SqliteStore) -> None:
    await store.add_school(School(id="s1", name="First"))
    with pytest.raises(Conflict) as raised:
        await store.add_school(School(id="s1", name="Second"))
    assert str(raised.value) == "school id 's1' is taken"
    assert await store.schools() == [School(id="s1", name="First")]


# attendance


async def test_attendance_is_ordered_by_join_time_then_by_id(store: SqliteStore) -> None:
    await with_class(store, "p1")
    await store.add_session(
        Session(
            id="x",
            school_id="s1",
            kind=SessionKind.LESSON,
            title="A",
            created_by="t1",
            created_at=1.0,
        )
    )
    late = Attendance(session_id="x", user_id="p1", name="Pupil p1", joined_at=30.5)
    early = Attendance(
        session_id="x", user_id="t1", name="Teacher t1", joined_at=10.0, left_at=20.0
    )
    tie = Attendance(session_id="x", user_id="guest-7", name="Visitor", joined_at=30.5)
    ids = [await store.add_attendance(each) for each in (late, early, tie)]
    assert ids == [1, 2, 3]
    assert await store.attendance("x") == [early, late, tie]
    assert await store.attendance("y") == []


async def test_closing_a_stay_sets_when_it_was_left(store: SqliteStore) -> None:
    await with_class(store, "p1")
    await store.add_session(
        Session(
            id="x",
            school_id="s1",
            kind=SessionKind.LESSON,
            title="A",
            created_by="t1",
            created_at=1.0,
        )
    )
    stay_id = await store.add_attendance(
        Attendance(session_id="x", user_id="p1", name="Pupil p1", joined_at=30.5)
    )
    other = await store.add_attendance(
        Attendance(session_id="x", user_id="t1", name="Teacher t1", joined_at=31.0)
    )
    await store.close_attendance(stay_id, 95.25)
    assert await store.attendance("x") == [
        Attendance(session_id="x", user_id="p1", name="Pupil p1", joined_at=30.5, left_at=95.25),
        Attendance(session_id="x", user_id="t1", name="Teacher t1", joined_at=31.0, left_at=None),
    ]
    assert other == stay_id + 1
    with pytest.raises(KeyError) as raised:
        await store.close_attendance(99, 1.0)
    assert raised.value.args == ("no attendance stay 99",)


# fresh objects


async def test_reads_return_fresh_objects_the_caller_may_change(store: SqliteStore) -> None:
    await with_class(store, "p1")
    read = await store.school_class("c1")
    assert read is not None
    read.pupils.append("p9")
    read.name = "changed"
    assert await store.school_class("c1") == SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=["p1"]
    )
    assert await store.school_class("c1") is not await store.school_class("c1")


async def test_an_event_keeps_its_performers_and_is_found_by_its_link(store: SqliteStore) -> None:
    await with_class(store)
    event = Session(
        id="e",
        school_id="s1",
        kind=SessionKind.EVENT,
        title="Concert",
        created_by="t1",
        created_at=1.0,
        performers=("p2", "p1"),
        link="secret-link",
    )
    await store.add_session(event)
    assert await store.session("e") == event
    assert await store.session_by_link("secret-link") == event
    assert await store.session_by_link("other") is None
    await store.update_session(replace(event, performers=(), hls_only=True))
    assert await store.session_by_link("secret-link") == replace(
        event, performers=(), hls_only=True
    )
    with pytest.raises(Conflict):  # two events never share a link
        await store.add_session(replace(event, id="f"))


async def test_a_database_of_schema_1_gains_events_keeping_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN;\n{MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    db.execute("INSERT INTO schools (id, name, parents_see_recordings) VALUES ('s1', 'School', 0)")
    db.execute(
        "INSERT INTO users (id, school_id, role, name, login, password_hash, verified,"
        " disabled) VALUES ('t1', 's1', 'teacher', 'T', 't1', 'x', 1, 0)"
    )
    db.execute(
        "INSERT INTO sessions (id, school_id, kind, title, created_by, created_at, state)"
        " VALUES ('x', 's1', 'staff_meeting', 'Old', 't1', 5.0, 'ended')"
    )
    db.commit()
    db.close()
    store = await SqliteStore.open(path)
    try:
        old = await store.session("x")
        assert old is not None
        assert (old.title, old.performers, old.link, old.hls_only) == ("Old", (), None, False)
    finally:
        await store.close()
    assert user_version(path) == len(MIGRATIONS)


# the file, its schema and its lifetime


async def test_a_file_database_reopens_with_its_data_and_no_migration_rerun(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "classroom.db"
    first = await SqliteStore.open(path)
    await first.add_school(school())
    await first.add_user(teacher(login="anna"))
    await first.close()
    assert user_version(path) == len(MIGRATIONS)
    # Migration 1 has plain CREATE TABLEs: were it run again, this open would fail.
    again = await SqliteStore.open(str(path))
    try:
        assert await again.schools() == [school()]
        assert await again.user_by_login("anna") == teacher(login="anna")
    finally:
        await again.close()
    assert user_version(path) == len(MIGRATIONS)


async def test_a_file_database_uses_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        db.close()


async def test_a_migration_added_later_is_applied_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    # An ALTER run twice fails ("duplicate column"), so the second open proves it ran once.
    monkeypatch.setattr(
        sqlite_store, "MIGRATIONS", [*MIGRATIONS, "ALTER TABLE schools ADD COLUMN motto TEXT;"]
    )
    await (await SqliteStore.open(path)).close()
    assert user_version(path) == len(MIGRATIONS) + 1
    reopened = await SqliteStore.open(path)
    await reopened.add_school(school())
    assert await reopened.schools() == [school()]
    await reopened.close()
    assert user_version(path) == len(MIGRATIONS) + 1


async def test_a_failing_migration_is_rolled_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "classroom.db"
    await (await SqliteStore.open(path)).close()
    broken = "CREATE TABLE extra (x TEXT);\nCREATE TABLE extra (y TEXT);"
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError) as raised:
        await SqliteStore.open(path)
    assert str(raised.value) == "table extra already exists"
    assert user_version(path) == len(MIGRATIONS)
    db = sqlite3.connect(path)
    try:
        tables = db.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()
    finally:
        db.close()
    assert tables == []


async def test_a_database_from_a_newer_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "classroom.db"
    db = sqlite3.connect(path)
    newer = len(MIGRATIONS) + 3
    db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    with pytest.raises(RuntimeError) as raised:
        await SqliteStore.open(path)
    assert str(raised.value) == (
        f"{path}: database schema version {newer} is newer than this server"
        f" (knows {len(MIGRATIONS)})"
    )
    assert user_version(path) == newer


async def test_closing_twice_is_harmless() -> None:
    opened = await SqliteStore.open(":memory:")
    await opened.close()
    await opened.close()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        await opened.schools()
