"""The schedule (issue 18): a session's planned length and its cancellation read back as
written, and the upcoming sessions of a school come live and scheduled, soonest first."""

from __future__ import annotations

from dataclasses import replace

from classroom.models import SessionState
from tests.unit.repository_contract.records import Store, lesson, school, with_class


async def test_a_sessions_duration_and_cancellation_read_back_as_written(store: Store) -> None:
    await with_class(store)
    planned = lesson("x", class_id="c1", scheduled_at=5000.0, duration_minutes=45)
    await store.add_session(planned)
    assert await store.session("x") == planned
    called_off = replace(planned, state=SessionState.ENDED, ended_at=4000.0, cancelled=True)
    await store.update_session(called_off)
    assert await store.session("x") == called_off
    assert (await store.sessions("s1"))[0].duration_minutes == 45


async def test_upcoming_sessions_are_live_and_scheduled_ones_soonest_first(store: Store) -> None:
    await with_class(store)
    await store.add_school(school("s2"))
    for each in (
        lesson("late", scheduled_at=3000.0),
        lesson("early", scheduled_at=2000.0),
        lesson("same-time-second", scheduled_at=3000.0),
        lesson("past", scheduled_at=500.0),
        lesson("unplanned"),  # made to start at once: no time to show
        lesson("live-now", state=SessionState.LIVE, started_at=2500.0),
        lesson("live-planned", scheduled_at=900.0, state=SessionState.LIVE, started_at=950.0),
        lesson("ended", scheduled_at=4000.0, state=SessionState.ENDED, ended_at=1.0),
        lesson(
            "cancelled",
            scheduled_at=4000.0,
            state=SessionState.ENDED,
            ended_at=1.0,
            cancelled=True,
        ),
        lesson("other-school", school_id="s2", scheduled_at=2000.0),
    ):
        await store.add_session(each)
    upcoming = await store.upcoming_sessions("s1", since=1000.0)
    assert [s.id for s in upcoming] == [
        "live-planned",
        "early",
        "live-now",
        "late",
        "same-time-second",
    ]
    assert [s.id for s in await store.upcoming_sessions("s2", since=1000.0)] == ["other-school"]
    assert await store.upcoming_sessions("s3", since=0.0) == []
