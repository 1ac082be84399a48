"""What a lesson leaves behind for its school, read back after it (and written while its room
lives): its polls with each person's answer, and the roll of the whole class with who was
absent, in the school's time zone, also as a CSV.

One family of `service.Classroom`'s use cases, on top of `sessions.Sessions` (who may see
a session). The room's
writes (`poll_asked`, `poll_answered`, `poll_closed`) check no one, like `session_records`':
the room token already proved who may be in the room, and a room that is no session (the
demo room) keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .attendance import RollEntry, roll
from .attendance_csv import attendance_csv
from .errors import Forbidden
from .models import Session, SessionKind, User
from .policy import Action, Target, allowed
from .poll_records import PollAnswer, PollRecord
from .quiz_scores import ClassQuizzes, class_quizzes
from .roles import Role
from .sessions import Sessions


@dataclass(frozen=True)
class SessionPolls:
    """A session's polls, with the answers the asker may see."""

    polls: list[PollRecord]
    answers: list[PollAnswer]
    """All of them for a host or an admin; a pupil's or parent's own for anyone else."""
    everyone: bool
    """The answers are everyone's (the asker hosts the session or runs the school)."""


@dataclass(frozen=True)
class ClassAttendance:
    """The roll of a session with the time zone its times are shown in."""

    session: Session
    time_zone: str
    rows: list[RollEntry]
    now: float
    """When it was read: someone still in the room counts until now."""


class LessonRecords(Sessions):
    """A session's polls and its class's attendance, for `service.Classroom`."""

    # --- the room writes ---------------------------------------------------------------

    async def poll_asked(self, poll: PollRecord) -> None:
        if await self._store.session(poll.session_id) is not None:
            await self._store.add_poll(poll)

    async def poll_answered(self, session_id: str, answer: PollAnswer) -> None:
        if await self._store.session(session_id) is not None:
            await self._store.put_poll_answer(answer)

    async def poll_closed(self, session_id: str, poll_id: str) -> None:
        if await self._store.session(session_id) is not None:
            await self._store.close_poll(poll_id, self._clock())

    async def open_polls(self, session_id: str) -> list[tuple[PollRecord, list[PollAnswer]]]:
        """The session's polls still open, with their answers: a room that starts again
        (everyone had left, or the server restarted) asks them again."""
        answers = await self._store.poll_answers(session_id)
        return [
            (poll, [a for a in answers if a.poll_id == poll.id])
            for poll in await self._store.polls(session_id)
            if poll.closed_at is None
        ]

    async def close_open_polls(self, session_id: str) -> None:
        """The session ended: what was still open closes with it."""
        for poll in await self._store.polls(session_id):
            if poll.closed_at is None:
                await self._store.close_poll(poll.id, self._clock())

    # --- read back ---------------------------------------------------------------------

    async def session_polls(self, by: User, session_id: str) -> SessionPolls:
        """The session's polls: every answer for its hosts and the school's admins, one's
        own for a pupil or a parent who may see the session."""
        session = await self.session(by, session_id)
        everyone = await self._sees_everyone(by, session)
        answers = await self._store.poll_answers(session_id)
        if not everyone:
            answers = [a for a in answers if a.user_id == by.id]
        return SessionPolls(await self._store.polls(session_id), answers, everyone)

    async def class_attendance(self, by: User, session_id: str) -> ClassAttendance:
        """Every person the session was for, present or absent, and whoever else came."""
        session = await self._session(by, session_id)
        if not await self._sees_everyone(by, session):
            raise Forbidden("only the session's teachers and the school's admins see attendance")
        school = await self.school(by)
        expected = await self._expected(session)
        stays = await self._store.attendance(session_id)
        return ClassAttendance(session, school.time_zone, roll(expected, stays), self._clock())

    async def class_attendance_csv(self, by: User, session_id: str, language: str) -> bytes:
        report = await self.class_attendance(by, session_id)
        return attendance_csv(report.rows, report.time_zone, language, report.now)

    async def class_quizzes(self, by: User, class_id: str) -> ClassQuizzes:
        """The quizzes of the class's sessions and each pupil's score: every pupil's for
        its teachers and the school's admins, a pupil's own for them; nobody else's."""
        school_class = await self._class(by, class_id)
        everyone = allowed(
            await self.actor(by), Action.VIEW_ATTENDANCE, Target(by.school_id, school_class.id)
        )
        if not everyone and by.id not in school_class.pupils:
            raise Forbidden("only the class's teachers, the school's admins and its pupils")
        asked = []
        for session in await self._store.sessions(by.school_id):
            if session.class_id == school_class.id:
                polls = await self._store.polls(session.id)
                if any(p.correct is not None for p in polls):
                    asked.append((session, polls, await self._store.poll_answers(session.id)))
        pupils = set(school_class.pupils)
        people = [u for u in await self._store.users(by.school_id) if u.id in pupils]
        return class_quizzes(asked, people, everyone, by.id)

    # --- helpers -----------------------------------------------------------------------

    async def _sees_everyone(self, by: User, session: Session) -> bool:
        actor = await self.actor(by)
        target = Target.of_session(session)
        return allowed(actor, Action.VIEW_ATTENDANCE, target) or allowed(
            actor, Action.MODERATE, target
        )

    async def _expected(self, session: Session) -> list[User]:
        """Those the session was for: a lesson's pupils, a parent meeting's parents of the
        class's pupils, a consultation's guest; an event or a staff meeting expects no list."""
        if session.kind is SessionKind.CONSULTATION and session.guest_id is not None:
            guest = await self._store.user(session.guest_id)
            return [guest] if guest is not None else []
        if session.class_id is None:
            return []
        school_class = await self._store.school_class(session.class_id)
        if school_class is None:
            return []
        people = await self._store.users(session.school_id)
        if session.kind is SessionKind.PARENT_MEETING:
            pupils = set(school_class.pupils)
            return [
                u
                for u in people
                if u.role is Role.PARENT and not u.disabled and pupils.intersection(u.children)
            ]
        pupils = set(school_class.pupils)
        return [u for u in people if u.id in pupils and not u.disabled]
