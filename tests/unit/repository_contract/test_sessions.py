"""Sessions and what their rooms leave: sessions in insertion order, events found by their
link, attendance ordered by joining, chat's last lines oldest first, removals kept once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from classroom.models import Attendance, ChatLine, Session, SessionKind, SessionState
from classroom.store import Conflict
from tests.unit.repository_contract.records import Store, lesson, with_class


async def test_sessions_read_back_equal_in_insertion_order(store: Store) -> None:
    await with_class(store, "p1")
    algebra = lesson(
        "z-lesson",
        title="Algebra",
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
    for each in (algebra, consultation, instant):
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
        performers=(),
        link=None,
        hls_only=False,
    )
    assert read is not None
    assert read.kind is SessionKind.STAFF_MEETING and read.state is SessionState.SCHEDULED
    assert await store.session("z-lesson") == algebra
    assert await store.session("a-consultation") == consultation
    assert await store.session("nope") is None
    assert await store.sessions("s1") == [algebra, consultation, instant]
    assert await store.sessions("s2") == []


@pytest.mark.parametrize("kind", list(SessionKind))
@pytest.mark.parametrize("state", list(SessionState))
async def test_every_session_kind_and_state_round_trips(
    store: Store, kind: SessionKind, state: SessionState
) -> None:
    await with_class(store)
    written = lesson(kind=kind, title="T", state=state)
    await store.add_session(written)
    read = await store.session("x")
    assert read == written
    assert read is not None and read.kind is kind and read.state is state


async def test_updating_a_session_stores_its_new_state(store: Store) -> None:
    await with_class(store)
    scheduled = lesson(kind=SessionKind.EVENT, title="Concert", scheduled_at=50.0)
    await store.add_session(scheduled)
    live = replace(scheduled, title="Concert!", state=SessionState.LIVE, started_at=51.5)
    await store.update_session(live)
    assert await store.session("x") == live
    with pytest.raises(KeyError) as raised:
        await store.update_session(lesson("y"))
    assert raised.value.args == ("no session 'y'",)


async def test_a_reused_session_id_is_a_conflict(store: Store) -> None:
    await with_class(store)
    first = lesson()
    await store.add_session(first)
    with pytest.raises(Conflict) as raised:
        await store.add_session(lesson(kind=SessionKind.EVENT, title="B", created_at=2.0))
    assert str(raised.value) == "session id 'x' is taken"
    assert await store.sessions("s1") == [first]


async def test_an_event_keeps_its_performers_and_is_found_by_its_link(store: Store) -> None:
    await with_class(store)
    event = lesson(
        "e", kind=SessionKind.EVENT, title="Concert", performers=("p2", "p1"), link="secret"
    )
    await store.add_session(event)
    assert await store.session("e") == event
    assert await store.session_by_link("secret") == event
    assert await store.session_by_link("other") is None
    await store.update_session(replace(event, performers=(), hls_only=True))
    assert await store.session_by_link("secret") == replace(event, performers=(), hls_only=True)
    with pytest.raises(Conflict) as raised:  # two events never share a link
        await store.add_session(replace(event, id="f"))
    assert str(raised.value) == "another session has this link"
    assert [s.id for s in await store.sessions("s1")] == ["e"]


# attendance


async def test_attendance_is_ordered_by_join_time_then_by_id(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_session(lesson())
    late = Attendance(session_id="x", user_id="p1", name="Pupil p1", joined_at=30.5)
    early = Attendance(
        session_id="x", user_id="t1", name="Teacher t1", joined_at=10.0, left_at=20.0
    )
    tie = Attendance(session_id="x", user_id="guest-7", name="Visitor", joined_at=30.5)
    ids = [await store.add_attendance(each) for each in (late, early, tie)]
    assert ids == [1, 2, 3]
    assert await store.attendance("x") == [early, late, tie]
    assert await store.attendance("y") == []


async def test_closing_a_stay_sets_when_it_was_left(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_session(lesson())
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


# chat


async def test_chat_gives_the_last_lines_oldest_first(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_session(lesson())
    await store.add_session(lesson("y"))
    # Written out of time order: the order of writing is the chat's order.
    lines = [
        ChatLine("x", "t1", "Teacher t1", "one", 10.0),
        ChatLine("x", "p1", "Pupil p1", "two", 9.5),
        ChatLine("y", "t1", "Teacher t1", "elsewhere", 11.0),
        ChatLine("x", "t1", "Teacher t1", "three", 12.25),
        ChatLine("x", "p1", "Pupil p1", "четыре", 12.25),
    ]
    for line in lines:
        await store.add_chat(line)
    assert await store.chat("x", 100) == [lines[0], lines[1], lines[3], lines[4]]
    assert await store.chat("x", 2) == [lines[3], lines[4]]
    assert await store.chat("x", 0) == []
    assert await store.chat("y", 5) == [lines[2]]
    assert await store.chat("z", 5) == []


# removals


async def test_a_removal_is_kept_per_session_and_person_and_may_be_repeated(store: Store) -> None:
    await with_class(store, "p1")
    await store.add_session(lesson())
    await store.add_session(lesson("y"))
    assert await store.is_removed("x", "p1") is False
    await store.add_removal("x", "p1")
    await store.add_removal("x", "p1")  # a second removal of the same person is no error
    await store.add_removal("x", "guest-3")  # nor one of someone without an account
    assert await store.is_removed("x", "p1") is True
    assert await store.is_removed("x", "guest-3") is True
    assert await store.is_removed("y", "p1") is False
    assert await store.is_removed("x", "t1") is False
