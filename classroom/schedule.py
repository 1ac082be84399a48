"""A school's timetable of sessions: a teacher moves or renames a scheduled session, or calls
it off; the class (its pupils, their parents, its teachers) sees what is coming, soonest first,
with who teaches it and when on the school's clock; and who may be told of a change.

One family of `service.Classroom`'s use cases (a mixin over `use_cases.UseCases`); making a
scheduled session is `sessions.Sessions.create_session`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import errors
from .errors import ClassroomError, InvalidInput
from .models import Session, SessionKind, SessionState, User
from .policy import Action, Actor, Target, allowed
from .school_time import local_text, parse_local, school_zone
from .session_changes import Change
from .sessions import LATE_SHOWN, checked_duration, checked_start, checked_title, may_see
from .use_cases import UseCases, one_writer


@dataclass(frozen=True)
class Upcoming:
    """One session of the timetable, as the class sees it."""

    session: Session
    teacher: str
    """The name of who made it (its teacher)."""
    local_start: str | None
    """Its planned start on the school's clock, with the offset; None for one started at once."""


@dataclass(frozen=True)
class Timetable:
    sessions: list[Upcoming]
    time_zone: str
    """The school's zone (IANA name): the page shows every time in it."""


def sees_upcoming(actor: Actor, session: Session) -> bool:
    """Whether `actor` sees `session` among the upcoming ones: whoever may join or host it,
    and a pupil's parents their child's lessons (which they watch coming, not join)."""
    if may_see(actor, session):
        return True
    return (
        session.kind is SessionKind.LESSON
        and session.class_id is not None
        and session.class_id in actor.children_in
    )


class Schedule(UseCases):
    """The timetable, for `service.Classroom`."""

    async def upcoming(self, by: User) -> Timetable:
        """The live sessions `by` sees, and those scheduled from an hour ago on, soonest first."""
        actor = await self.actor(by)
        zone = school_zone(await self.school(by))
        found = await self._store.upcoming_sessions(by.school_id, self._clock() - LATE_SHOWN)
        shown = [s for s in found if sees_upcoming(actor, s)]
        names = {u.id: u.name for u in await self._store.users(by.school_id)}
        return Timetable(
            [
                Upcoming(
                    s,
                    names.get(s.created_by, ""),
                    local_text(s.scheduled_at, zone) if s.scheduled_at is not None else None,
                )
                for s in shown
            ],
            zone.key,
        )

    @one_writer
    async def reschedule(
        self,
        by: User,
        session_id: str,
        *,
        title: str | None = None,
        starts_at: str | None = None,
        scheduled_at: float | None = None,
        duration_minutes: int | None = None,
        clear_duration: bool = False,
    ) -> Session:
        """A scheduled session's new title, start or planned length (its hosts); the others
        stay. `session_not_scheduled` once it has started or ended."""
        session = await self._scheduled(by, session_id)
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = checked_title(title)
        if starts_at is not None and scheduled_at is not None:
            raise InvalidInput("give starts_at or scheduled_at, not both", "starts_at")
        if starts_at is not None:
            scheduled_at = parse_local(starts_at, school_zone(await self.school(by)))
        if scheduled_at is not None:
            checked_start(scheduled_at, self._clock(), "starts_at" if starts_at else "scheduled_at")
            changes["scheduled_at"] = scheduled_at
        if duration_minutes is not None or clear_duration:
            changes["duration_minutes"] = checked_duration(duration_minutes)
        session = replace(session, **changes)  # type: ignore[arg-type]
        if session.duration_minutes is not None and session.scheduled_at is None:
            raise InvalidInput("only a scheduled session has a planned length", "duration_minutes")
        await self._store.update_session(session)
        await self._changes.changed(session, Change.RESCHEDULED)
        return session

    @one_writer
    async def cancel_session(self, by: User, session_id: str) -> Session:
        """Calls off a session that has not started (its hosts): it ends, never started, and
        nobody can enter it."""
        session = await self._scheduled(by, session_id)
        session = replace(session, state=SessionState.ENDED, ended_at=self._clock(), cancelled=True)
        await self._store.update_session(session)
        await self._changes.changed(session, Change.CANCELLED)
        return session

    async def session_record(self, session_id: str) -> Session | None:
        """The session as written now, whoever asks (for the nodes' filters, which check)."""
        return await self._store.session(session_id)

    async def told_of(self, people: list[User], session: Session) -> list[User]:
        """Those of `people` who see `session` among the upcoming ones (and so are told when
        it starts, ends or moves); the school's classes read once for all of them."""
        classes = await self._store.classes(session.school_id)
        return [
            p
            for p in people
            if p.school_id == session.school_id
            and not p.disabled
            and sees_upcoming(Actor.of(p, classes), session)
        ]

    async def _scheduled(self, by: User, session_id: str) -> Session:
        session = await self._session(by, session_id)
        if not allowed(await self.actor(by), Action.MODERATE, Target.of_session(session)):
            raise errors.Forbidden("only its teachers change or cancel a session")
        if session.state is not SessionState.SCHEDULED:
            raise ClassroomError(
                errors.SESSION_NOT_SCHEDULED,
                "this session has already started or ended: its time cannot change",
            )
        return session
