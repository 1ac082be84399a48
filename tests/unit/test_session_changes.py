"""Every way a session is scheduled, starts, ends, moves or is called off tells the domain's
`SessionChanges` (the pages open on /school hear of it from there): the REST use cases and
the live room's own (a host arriving, a room ended without a host). A refused change tells
nothing."""

from __future__ import annotations

import pytest

from classroom.errors import ClassroomError
from classroom.models import Session, SessionKind
from classroom.service import Classroom
from classroom.session_changes import Change
from classroom.sqlite_store import SqliteStore

IN_AN_HOUR = 3600.0


class Heard:
    """A `SessionChanges` that keeps what it was told."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, str, Change]] = []

    async def changed(self, session: Session, change: Change) -> None:
        self.changes.append((session.title, session.state.value, change))


async def test_each_change_of_a_session_is_told_once_and_a_refused_one_not_at_all() -> None:
    store = await SqliteStore.open(":memory:")
    heard = Heard()
    now = [1_800_000_000.0]
    try:
        classroom = Classroom(store, clock=lambda: now[0], changes=heard)
        admin = await classroom.create_school("School", "Admin", "admin", "admin-password")
        school_class = await classroom.create_class(admin, "5A")
        soon = now[0] + IN_AN_HOUR
        lesson = await classroom.create_session(
            admin, SessionKind.LESSON, "Fractions", school_class.id, scheduled_at=soon
        )
        instant = await classroom.create_session(admin, SessionKind.LESSON, "Now", school_class.id)
        await classroom.reschedule(admin, lesson.id, title="Fractions 2", duration_minutes=40)
        with pytest.raises(ClassroomError):
            await classroom.reschedule(admin, lesson.id, scheduled_at=now[0] - IN_AN_HOUR)
        await classroom.host_arrived(lesson.id)  # the room's way: a host came in
        await classroom.host_arrived(lesson.id)  # already live: nothing new
        await classroom.end_live(lesson.id)  # the room's way: ended from inside, or hostless
        await classroom.start_session(admin, instant.id)
        await classroom.end_session(admin, instant.id)
        later = await classroom.create_session(
            admin, SessionKind.LESSON, "Later", school_class.id, scheduled_at=soon
        )
        await classroom.cancel_session(admin, later.id)
        assert heard.changes == [
            ("Fractions", "scheduled", Change.SCHEDULED),
            ("Fractions 2", "scheduled", Change.RESCHEDULED),
            ("Fractions 2", "live", Change.STARTED),
            ("Fractions 2", "ended", Change.ENDED),
            ("Now", "live", Change.STARTED),
            ("Now", "ended", Change.ENDED),
            ("Later", "scheduled", Change.SCHEDULED),
            ("Later", "ended", Change.CANCELLED),
        ]
    finally:
        await store.close()
