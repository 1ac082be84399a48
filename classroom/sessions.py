"""A school's sessions (lessons, meetings, consultations, events): made, started and ended;
who sees, hosts, enters (`admit`) or watches them; and what is read back after (attendance,
the chat).

Separate from accounts and classes, and from `session_records` (what a live room records,
with no one to check): one family of `service.Classroom`'s use cases (a mixin over
`use_cases.UseCases`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from . import errors
from .errors import ClassroomError, Forbidden, InvalidInput, NotFound
from .models import Attendance, ChatLine, Session, SessionKind, SessionState, User
from .policy import Action, Actor, Target, allowed
from .roles import Grants, Role
from .school_time import parse_local, school_zone
from .session_changes import Change
from .use_cases import UseCases, one_writer

MAX_TITLE = 200
CHAT_LIMIT = 10_000

_JOIN_ACTION = {
    SessionKind.LESSON: Action.JOIN_LESSON,
    SessionKind.PARENT_MEETING: Action.JOIN_PARENT_MEETING,
    SessionKind.CONSULTATION: Action.JOIN_CONSULTATION,
    SessionKind.STAFF_MEETING: Action.JOIN_STAFF_MEETING,
    SessionKind.EVENT: Action.WATCH_EVENT,
}
_START_ACTION = {
    SessionKind.LESSON: Action.START_LESSON,
    SessionKind.PARENT_MEETING: Action.SCHEDULE_PARENT_MEETING,
    SessionKind.CONSULTATION: Action.START_CONSULTATION,
    SessionKind.STAFF_MEETING: Action.START_STAFF_MEETING,
    SessionKind.EVENT: Action.START_EVENT,
}
MAX_PERFORMERS = 20
"""An event's stage: a few performers; its audience is the many."""


@dataclass(frozen=True)
class Admission:
    """How one person enters one session."""

    session: Session
    role: Role
    grants: Grants
    lobby: bool
    """Waits in the lobby until a host admits them (parents at a parent meeting)."""
    host: bool
    """Moderates the session."""

    @property
    def audience(self) -> bool:
        """Only watches: the audience of an event (no camera, no microphone)."""
        return not self.grants.publish

    @property
    def music(self) -> bool:
        """Performs at an event: their microphone is music, not speech (stereo, high bitrate,
        no echo cancellation, noise suppression or gain control)."""
        return self.session.kind is SessionKind.EVENT and self.grants.publish


class Sessions(UseCases):
    """Sessions, admission, attendance and chat reports, for `service.Classroom`."""

    # --- sessions --------------------------------------------------------------------

    async def create_session(
        self,
        by: User,
        kind: SessionKind,
        title: str,
        class_id: str | None = None,
        guest_id: str | None = None,
        scheduled_at: float | None = None,
        performers: list[str] | None = None,
        starts_at: str | None = None,
        duration_minutes: int | None = None,
    ) -> Session:
        """`scheduled_at` (a unix time) or `starts_at` (the school's wall clock,
        "YYYY-MM-DDTHH:MM"): when it is planned to start; neither: an instant session."""
        if kind not in _START_ACTION:
            raise InvalidInput(f"{kind.value} sessions are not available yet")
        if performers is not None and kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has performers", "performers")
        if kind in (SessionKind.LESSON, SessionKind.PARENT_MEETING, SessionKind.CONSULTATION):
            if class_id is None:
                raise InvalidInput(f"a {kind.value} needs class_id", "class_id")
            school_class = await self._class(by, class_id)
        elif class_id is not None:
            raise InvalidInput(f"a {kind.value} belongs to no class", "class_id")
        if kind is SessionKind.CONSULTATION:
            guest = await self._school_user(by, guest_id or "")
            if guest.disabled or not (
                guest.id in school_class.pupils
                or set(guest.children).intersection(school_class.pupils)
            ):
                raise InvalidInput(
                    "the guest must be a pupil of the class or a parent of one", "guest_id"
                )
        elif guest_id is not None:
            raise InvalidInput("only a consultation has a guest", "guest_id")
        await self._require(by, _START_ACTION[kind], Target(by.school_id, class_id))
        now = self._clock()
        checked = checked_title(title)
        if starts_at is not None:
            if scheduled_at is not None:
                raise InvalidInput("give starts_at or scheduled_at, not both", "starts_at")
            scheduled_at = parse_local(starts_at, school_zone(await self.school(by)))
        checked_start(scheduled_at, now, "starts_at" if starts_at is not None else "scheduled_at")
        if duration_minutes is not None and scheduled_at is None:
            raise InvalidInput("only a scheduled session has a planned length", "duration_minutes")
        session = Session(
            id=self._new_id(),
            school_id=by.school_id,
            kind=kind,
            title=checked,
            created_by=by.id,
            created_at=now,
            class_id=class_id,
            guest_id=guest_id,
            scheduled_at=scheduled_at,
            performers=await self._performers(by, performers or []),
            # Unguessable, like an invite: it lets guests in without an account.
            link=secrets.token_urlsafe(24) if kind is SessionKind.EVENT else None,
            duration_minutes=checked_duration(duration_minutes),
        )
        await self._store.add_session(session)
        if scheduled_at is not None:
            await self._changes.changed(session, Change.SCHEDULED)
        return session

    @one_writer
    async def set_performers(self, by: User, session_id: str, performers: list[str]) -> Session:
        """Who performs at an event (its hosts choose); they publish, the others watch."""
        session = await self.hosted_by(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has performers", "performers")
        session = replace(session, performers=await self._performers(by, performers))
        await self._store.update_session(session)
        return session

    async def _performers(self, by: User, ids: list[str]) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(ids))  # in order, each once
        if len(chosen) > MAX_PERFORMERS:
            raise InvalidInput(f"at most {MAX_PERFORMERS} performers", "performers")
        for user_id in chosen:
            try:
                await self._school_user(by, user_id)
            except NotFound as exc:
                raise InvalidInput("a performer is not of this school", "performers") from exc
        return chosen

    @one_writer
    async def set_audience(self, by: User, session_id: str, hls_only: bool) -> Session:
        """Whether an event's audience watches over HLS only (its hosts choose)."""
        session = await self.hosted_by(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has an audience", "hls_only")
        session = replace(session, hls_only=hls_only)
        await self._store.update_session(session)
        return session

    async def event_by_link(self, link: str) -> Session:
        """The event a guest link leads to; not_found for anything else (an ended event
        too: its link is dead)."""
        session = await self._store.session_by_link(link) if link else None
        if session is None or session.kind is not SessionKind.EVENT:
            raise ClassroomError(errors.NOT_FOUND, "no such event")
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this event has ended")
        return session

    @one_writer
    async def start_session(self, by: User, session_id: str) -> Session:
        session = await self._session(by, session_id)
        await self._require(by, Action.MODERATE, Target.of_session(session))
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this session has ended")
        if session.state is SessionState.LIVE:
            return session
        session = replace(session, state=SessionState.LIVE, started_at=self._clock())
        await self._store.update_session(session)
        await self._changes.changed(session, Change.STARTED)
        return session

    @one_writer
    async def end_session(self, by: User, session_id: str) -> Session:
        session = await self._session(by, session_id)
        await self._require(by, Action.MODERATE, Target.of_session(session))
        if session.state is SessionState.ENDED:
            return session
        session = replace(session, state=SessionState.ENDED, ended_at=self._clock())
        await self._store.update_session(session)
        await self._changes.changed(session, Change.ENDED)
        return session

    async def sessions(self, by: User) -> list[Session]:
        """The sessions `by` may join or host, newest first."""
        actor = await self.actor(by)
        return sorted(
            (s for s in await self._store.sessions(by.school_id) if self._may_see(actor, s)),
            key=lambda s: s.created_at,
            reverse=True,
        )

    async def session(self, by: User, session_id: str) -> Session:
        session = await self._session(by, session_id)
        if not self._may_see(await self.actor(by), session):
            raise Forbidden("you are not invited to this session")
        return session

    async def hosted_by(self, by: User, session_id: str) -> Session:
        """The session, if `by` is one of its hosts (may moderate it); Forbidden otherwise."""
        session = await self._session(by, session_id)
        await self._require(by, Action.MODERATE, Target.of_session(session))
        return session

    async def event_for_audience(self, by: User, session_id: str) -> Session:
        """An event `by` may watch (its broadcast, live or after): not_found for anything
        else, forbidden for an event `by` is not invited to."""
        session = await self._session(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise NotFound("this event")
        if not self._may_see(await self.actor(by), session):
            raise Forbidden("you are not invited to this event")
        return session

    async def watchable(self, by: User) -> list[Session]:
        """The sessions whose recordings `by` may watch (`recordings_of`), newest first."""
        actor, school = await self.actor(by), await self.school(by)
        return sorted(
            (
                s
                for s in await self._store.sessions(by.school_id)
                if allowed(
                    actor,
                    Action.WATCH_RECORDING,
                    Target.of_session(s, school.parents_see_recordings),
                )
            ),
            key=lambda s: s.created_at,
            reverse=True,
        )

    async def recordings_of(self, by: User, session_id: str, delete: bool = False) -> Session:
        """The session whose recordings `by` may watch (`delete`: take back); Forbidden for
        anyone else: the class's pupils and teachers, the school's admins, and the class's
        parents when the school lets them (`School.parents_see_recordings`)."""
        session = await self._session(by, session_id)
        school = await self.school(by)
        target = Target.of_session(session, school.parents_see_recordings)
        if delete:
            if not allowed(await self.actor(by), Action.DELETE_RECORDING, target):
                raise Forbidden("only the class's teachers and the school's admins delete these")
        elif not allowed(await self.actor(by), Action.WATCH_RECORDING, target):
            raise Forbidden("this session's recordings are for its class")
        return session

    async def admit(self, by: User, session_id: str) -> Admission:
        """How `by` enters the session: refused, straight in, or through the lobby."""
        session = await self._session(by, session_id)
        actor = await self.actor(by)
        target = Target.of_session(session)
        host = allowed(actor, Action.MODERATE, target)
        if not host and not allowed(actor, _JOIN_ACTION[session.kind], target):
            raise Forbidden("you are not invited to this session")
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this session has ended")
        lobby = session.kind is SessionKind.PARENT_MEETING and not host
        # At an event only its hosts and performers are on the stage; the rest watch.
        publish = session.kind is not SessionKind.EVENT or host or by.id in session.performers
        grants = Grants(publish=publish, subscribe=True, moderate=host)
        return Admission(session, by.role, grants, lobby=lobby, host=host)

    # --- attendance and chat ---------------------------------------------------------

    async def chat(self, by: User, session_id: str) -> list[ChatLine]:
        """The whole chat of a session `by` may see."""
        await self.session(by, session_id)
        return await self._store.chat(session_id, CHAT_LIMIT)

    async def attendance(self, by: User, session_id: str) -> list[Attendance]:
        session = await self._session(by, session_id)
        target = Target.of_session(session)
        actor = await self.actor(by)
        if not (
            allowed(actor, Action.VIEW_ATTENDANCE, target)
            or allowed(actor, Action.MODERATE, target)
        ):
            raise Forbidden("only the session's teachers and the school's admins see attendance")
        return await self._store.attendance(session_id)

    # --- helpers ---------------------------------------------------------------------

    def _may_see(self, actor: Actor, session: Session) -> bool:
        return may_see(actor, session)


def may_see(actor: Actor, session: Session) -> bool:
    """Whether `actor` may join or host `session` (and so sees it listed)."""
    target = Target.of_session(session)
    if session.kind not in _JOIN_ACTION:
        return False
    return allowed(actor, _JOIN_ACTION[session.kind], target) or allowed(
        actor, Action.MODERATE, target
    )


# --- the schedule's checks (issue 18) ------------------------------------------------------

MAX_DURATION = 600
"""Minutes: a school day at most."""
LATE_SHOWN = 3600.0
"""Seconds a scheduled session that its teacher has not started yet stays among the upcoming
ones (the class waits for a teacher who is late)."""


def checked_title(title: str) -> str:
    """`title` with its runs of whitespace made single spaces; `title_required` or
    `title_too_long`."""
    if not isinstance(title, str) or not title.strip():
        raise ClassroomError(errors.TITLE_REQUIRED, "the title must not be empty", "title")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise ClassroomError(
            errors.TITLE_TOO_LONG, f"the title must be at most {MAX_TITLE} characters", "title"
        )
    return title


def checked_start(scheduled_at: float | None, now: float, field: str) -> None:
    """`time_in_past` for a start more than a minute ago (a form filled in slowly is not)."""
    if scheduled_at is not None and scheduled_at < now - 60:
        raise ClassroomError(errors.TIME_IN_PAST, "this time has already passed", field)


def checked_duration(minutes: int | None) -> int | None:
    whole = isinstance(minutes, int) and not isinstance(minutes, bool)
    if minutes is not None and not (whole and 1 <= minutes <= MAX_DURATION):
        raise ClassroomError(
            errors.DURATION_INVALID,
            f"a session lasts 1 to {MAX_DURATION} minutes",
            "duration_minutes",
        )
    return minutes
