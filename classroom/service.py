"""The school's use cases: sign in, classes, invite links, sessions, attendance.

Each method checks who asks (`policy.allowed`), validates its input, and writes through the
repository in one call, so a refused or invalid request leaves nothing half-written.
Another school's records answer "not found", never "forbidden": a closed space does not
reveal what it holds.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import errors
from .errors import ClassroomError, Forbidden, InvalidInput, NotFound
from .models import (
    Attendance,
    ChatLine,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SessionState,
    User,
)
from .passwords import MAX_PASSWORD, burn_time, hash_password, verify_password
from .policy import Action, Actor, Target, allowed
from .retention import kept_days
from .roles import Grants, Role
from .scoped import class_of_school, person_of_school, session_of_school
from .store import Conflict, Repository

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8
MAX_NAME = 100
MAX_TITLE = 200
INVITE_TTL_DEFAULT = 7 * 24 * 3600
INVITE_USES_DEFAULT = 40
INVITE_TTL_MAX = 90 * 24 * 3600
INVITE_USES_MAX = 1000
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


class Classroom:
    def __init__(
        self,
        store: Repository,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id

    # --- people ----------------------------------------------------------------------

    async def sign_in(self, login: str, password: str) -> User:
        """The account, or bad_credentials (the same answer for an unknown login)."""
        user = self._store.user_by_login(login.strip().lower()) if login else None
        if user is None:
            await asyncio.to_thread(burn_time, password)
            raise ClassroomError(errors.BAD_CREDENTIALS, "wrong login or password")
        if not await asyncio.to_thread(verify_password, password, user.password_hash):
            raise ClassroomError(errors.BAD_CREDENTIALS, "wrong login or password")
        # Only whoever knows the password learns that the account is deactivated.
        return self.user(user.id)  # as it is now, after the wait

    def user(self, user_id: str) -> User:
        """The account, refused once deactivated: API grants are looked up per call through
        here, so a deactivation takes effect at the next call."""
        user = self._store.user(user_id)
        if user is None:
            raise NotFound("this account")
        if user.disabled:
            raise ClassroomError(
                errors.ACCOUNT_DISABLED, "this account is deactivated: ask the school's admin"
            )
        return user

    def actor(self, user: User) -> Actor:
        return Actor.of(user, self._store.classes(user.school_id))

    def school(self, by: User) -> School:
        school = self._store.school(by.school_id)
        if school is None:
            raise NotFound("this school")
        return school

    def school_of(self, session: Session) -> School:
        """The school a session belongs to (for a guest, who has no account)."""
        school = self._store.school(session.school_id)
        if school is None:
            raise NotFound("this school")
        return school

    def update_school(
        self,
        by: User,
        name: str | None = None,
        parents_see_recordings: bool | None = None,
        recordings_kept_days: int | None = None,
    ) -> School:
        """`recordings_kept_days`: None leaves it; 0 keeps recordings until deleted by hand."""
        self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        school = self.school(by)
        if name is not None:
            school = replace(school, name=_name(name, "school name"))
        if parents_see_recordings is not None:
            school = replace(school, parents_see_recordings=parents_see_recordings)
        if recordings_kept_days is not None:
            school = replace(school, recordings_kept_days=kept_days(recordings_kept_days))
        self._store.update_school(school)
        return school

    def people(self, by: User) -> list[User]:
        self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        return self._store.users(by.school_id)

    # --- school set-up (admins) ------------------------------------------------------

    def has_schools(self) -> bool:
        return bool(self._store.schools())

    async def create_school(self, name: str, admin_name: str, login: str, password: str) -> User:
        """A new closed space and its first admin (the operator's command, not an API call)."""
        school = School(self._new_id(), _name(name, "school name"))
        admin = User(
            self._new_id(),
            school.id,
            Role.ADMIN,
            _name(admin_name, "name"),
            login=_login(login),
            password_hash=await _hash(password),
            verified=True,
        )
        self._store.add_school(school)
        self._add_user(admin)
        return admin

    async def create_teacher(self, by: User, name: str, login: str, password: str) -> User:
        self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        name, login = _name(name, "name"), _login(login)
        password_hash = await _hash(password)
        self._require(self.user(by.id), Action.MANAGE_CLASSES, Target(by.school_id))
        teacher = User(
            self._new_id(),
            by.school_id,
            Role.TEACHER,
            name,
            login=login,
            password_hash=password_hash,
        )
        self._add_user(teacher)
        return teacher

    def verify_teacher(self, by: User, teacher_id: str) -> User:
        self._require(by, Action.VERIFY_TEACHER, Target(by.school_id))
        teacher = self._school_user(by, teacher_id)
        if teacher.role is not Role.TEACHER:
            raise InvalidInput("only teachers are verified")
        teacher = replace(teacher, verified=True)
        self._store.update_user(teacher)
        return teacher

    def create_class(self, by: User, name: str) -> SchoolClass:
        self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        school_class = SchoolClass(self._new_id(), by.school_id, _name(name, "class name"))
        self._store.add_class(school_class)
        return school_class

    def assign_teacher(self, by: User, class_id: str, teacher_id: str) -> SchoolClass:
        school_class = self._class(by, class_id)
        self._require(by, Action.MANAGE_CLASSES, Target(by.school_id, class_id))
        teacher = self._school_user(by, teacher_id)
        if teacher.role is not Role.TEACHER:
            raise InvalidInput("only a teacher can teach a class")
        if teacher.id not in school_class.teachers:
            school_class = replace(school_class, teachers=[*school_class.teachers, teacher.id])
            self._store.update_class(school_class)
        return school_class

    def classes(self, by: User) -> list[SchoolClass]:
        """The classes `by` may see: all of the school for an admin, their own otherwise."""
        actor = self.actor(by)
        return [
            c
            for c in self._store.classes(by.school_id)
            if allowed(actor, Action.VIEW_CLASS, Target(by.school_id, c.id))
        ]

    def members(self, by: User, school_class: SchoolClass) -> list[User]:
        """The class's teachers and pupils (after `school_class` allowed `by` to see it), and
        for its teachers and the school's admins also the pupils' parents (a consultation
        or a parent meeting is theirs to arrange); deactivated people are no one's to meet."""
        wanted = set(school_class.teachers) | set(school_class.pupils)
        hosts = allowed(
            self.actor(by), Action.VIEW_ATTENDANCE, Target(by.school_id, school_class.id)
        )
        pupils = set(school_class.pupils)
        return [
            u
            for u in self._store.users(by.school_id)
            if not u.disabled
            and (u.id in wanted or (hosts and u.role is Role.PARENT and pupils & set(u.children)))
        ]

    def pupils_for_invite(self, invite: Invite) -> list[dict[str, str]]:
        """A parent invite's choice of child: ids and first names, nothing more."""
        school_class = self._store.school_class(invite.class_id)
        if school_class is None:
            return []
        names = {u.id: u.name for u in self._store.users(invite.school_id) if not u.disabled}
        return [
            {"id": uid, "name": names[uid].split()[0]}
            for uid in school_class.pupils
            if uid in names
        ]

    def school_class(self, by: User, class_id: str) -> SchoolClass:
        school_class = self._class(by, class_id)
        self._require(by, Action.VIEW_CLASS, Target(by.school_id, class_id))
        return school_class

    # --- invite links ----------------------------------------------------------------

    def create_invite(
        self,
        by: User,
        class_id: str,
        role: Role,
        ttl: int = INVITE_TTL_DEFAULT,
        max_uses: int = INVITE_USES_DEFAULT,
        child_id: str | None = None,
    ) -> Invite:
        school_class = self._class(by, class_id)
        self._require(by, Action.CREATE_INVITE, Target(by.school_id, class_id))
        if role not in (Role.PUPIL, Role.PARENT):
            raise InvalidInput("an invite is for a pupil or a parent", "role")
        if not 60 <= ttl <= INVITE_TTL_MAX:
            raise InvalidInput(f"ttl must be between 60 and {INVITE_TTL_MAX} seconds", "ttl")
        if not 1 <= max_uses <= INVITE_USES_MAX:
            raise InvalidInput(f"max_uses must be between 1 and {INVITE_USES_MAX}", "max_uses")
        if child_id is not None and (
            role is not Role.PARENT or child_id not in school_class.pupils
        ):
            raise InvalidInput(
                "child_id must be a pupil of the class, on a parent invite", "child_id"
            )
        now = self._clock()
        invite = Invite(
            # The link's only secret: 128 random bits, looked up, never decoded.
            id=secrets.token_urlsafe(16),
            school_id=by.school_id,
            class_id=class_id,
            role=role,
            created_by=by.id,
            created_at=now,
            expires_at=now + ttl,
            max_uses=max_uses,
            child_id=child_id,
        )
        self._store.add_invite(invite)
        return invite

    def invites(self, by: User, class_id: str) -> list[Invite]:
        self._class(by, class_id)
        self._require(by, Action.CREATE_INVITE, Target(by.school_id, class_id))
        return self._store.invites(class_id)

    def revoke_invite(self, by: User, invite_id: str) -> Invite:
        invite = self._store.invite(invite_id)
        if invite is None or invite.school_id != by.school_id:
            raise NotFound("this invite")
        self._require(by, Action.REVOKE_INVITE, Target(by.school_id, invite.class_id))
        invite = replace(invite, revoked=True)
        self._store.update_invite(invite)
        return invite

    def open_invite(self, invite_id: str) -> tuple[Invite, School, SchoolClass]:
        """What the join page shows before anyone signs up; refuses a dead link."""
        invite = self._store.invite(invite_id) if invite_id else None
        if invite is None:
            raise NotFound("this invite link")
        if invite.revoked:
            raise ClassroomError(errors.INVITE_REVOKED, "this invite link was revoked")
        if self._clock() >= invite.expires_at:
            raise ClassroomError(errors.INVITE_EXPIRED, "this invite link has expired")
        if invite.uses >= invite.max_uses:
            raise ClassroomError(errors.INVITE_USED_UP, "this invite link has been used up")
        school = self._store.school(invite.school_id)
        school_class = self._store.school_class(invite.class_id)
        if school is None or school_class is None:
            raise NotFound("this invite link")
        return invite, school, school_class

    async def redeem_invite(
        self,
        invite_id: str,
        name: str,
        login: str,
        password: str,
        child_id: str | None = None,
    ) -> User:
        """Create the invited person's own account; a pupil joins the class, a parent is
        linked to their child."""
        user_id = self._new_id()
        # Everything is checked before the slow hash, and read again after it: the invite
        # may have been used up or revoked meanwhile.
        self._redemption(invite_id, user_id, name, login, "", child_id)
        password_hash = await _hash(password)
        invite, user, school_class = self._redemption(
            invite_id, user_id, name, login, password_hash, child_id
        )
        try:
            self._store.redeem_invite(invite, user, school_class)
        except Conflict as exc:
            raise ClassroomError(errors.CONFLICT, str(exc), _clash_field(exc)) from exc
        return user

    def _redemption(
        self,
        invite_id: str,
        user_id: str,
        name: str,
        login: str,
        password_hash: str,
        child_id: str | None,
    ) -> tuple[Invite, User, SchoolClass]:
        """The invite with one more use, the new account, and the class as they would be."""
        invite, _, school_class = self.open_invite(invite_id)
        user = User(
            user_id,
            invite.school_id,
            invite.role,
            _name(name, "name"),
            login=_login(login),
            password_hash=password_hash,
        )
        if invite.role is Role.PUPIL:
            school_class = replace(school_class, pupils=[*school_class.pupils, user.id])
        else:
            child = invite.child_id or child_id
            if child is None or child not in school_class.pupils:
                raise InvalidInput("choose your child among the class's pupils", "child_id")
            user.children = [child]
        return replace(invite, uses=invite.uses + 1), user, school_class

    def accept_invite(self, by: User, invite_id: str, child_id: str | None = None) -> User:
        """A signed-in pupil joins another class, or a parent links another child."""
        invite, _, school_class = self.open_invite(invite_id)
        if invite.school_id != by.school_id:
            raise Forbidden("this invite link is for another school's people")
        if by.role is not invite.role:
            raise InvalidInput(f"this invite link is for a {invite.role.value}", "role")
        if invite.role is Role.PUPIL:
            if by.id in school_class.pupils:
                return by  # already in the class: nothing to use up
            school_class = replace(school_class, pupils=[*school_class.pupils, by.id])
        else:
            child = invite.child_id or child_id
            if child is None or child not in school_class.pupils:
                raise InvalidInput("choose your child among the class's pupils", "child_id")
            if child in by.children:
                return by
            by = replace(by, children=[*by.children, child])
        self._store.accept_invite(replace(invite, uses=invite.uses + 1), by, school_class)
        return by

    async def change_password(self, by: User, old: str, new: str) -> None:
        try:
            _password(new)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, "new") from exc
        if not await asyncio.to_thread(verify_password, old, by.password_hash):
            raise ClassroomError(errors.BAD_CREDENTIALS, "the current password is wrong")
        password_hash = await _hash(new)
        self._store.update_user(replace(self.user(by.id), password_hash=password_hash))

    # --- sessions --------------------------------------------------------------------

    def create_session(
        self,
        by: User,
        kind: SessionKind,
        title: str,
        class_id: str | None = None,
        guest_id: str | None = None,
        scheduled_at: float | None = None,
        performers: list[str] | None = None,
    ) -> Session:
        if kind not in _START_ACTION:
            raise InvalidInput(f"{kind.value} sessions are not available yet")
        if performers is not None and kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has performers", "performers")
        if kind in (SessionKind.LESSON, SessionKind.PARENT_MEETING, SessionKind.CONSULTATION):
            if class_id is None:
                raise InvalidInput(f"a {kind.value} needs class_id", "class_id")
            school_class = self._class(by, class_id)
        elif class_id is not None:
            raise InvalidInput(f"a {kind.value} belongs to no class", "class_id")
        if kind is SessionKind.CONSULTATION:
            guest = self._school_user(by, guest_id or "")
            if guest.disabled or not (
                guest.id in school_class.pupils
                or set(guest.children).intersection(school_class.pupils)
            ):
                raise InvalidInput(
                    "the guest must be a pupil of the class or a parent of one", "guest_id"
                )
        elif guest_id is not None:
            raise InvalidInput("only a consultation has a guest", "guest_id")
        self._require(by, _START_ACTION[kind], Target(by.school_id, class_id))
        now = self._clock()
        if scheduled_at is not None and scheduled_at < now - 60:
            raise InvalidInput("scheduled_at is in the past", "scheduled_at")
        session = Session(
            id=self._new_id(),
            school_id=by.school_id,
            kind=kind,
            title=_name(title, "title", MAX_TITLE, "title"),
            created_by=by.id,
            created_at=now,
            class_id=class_id,
            guest_id=guest_id,
            scheduled_at=scheduled_at,
            performers=self._performers(by, performers or []),
            # Unguessable, like an invite: it lets guests in without an account.
            link=secrets.token_urlsafe(24) if kind is SessionKind.EVENT else None,
        )
        self._store.add_session(session)
        return session

    def set_performers(self, by: User, session_id: str, performers: list[str]) -> Session:
        """Who performs at an event (its hosts choose); they publish, the others watch."""
        session = self.hosted_by(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has performers", "performers")
        session = replace(session, performers=self._performers(by, performers))
        self._store.update_session(session)
        return session

    def _performers(self, by: User, ids: list[str]) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(ids))  # in order, each once
        if len(chosen) > MAX_PERFORMERS:
            raise InvalidInput(f"at most {MAX_PERFORMERS} performers", "performers")
        for user_id in chosen:
            try:
                self._school_user(by, user_id)
            except NotFound as exc:
                raise InvalidInput("a performer is not of this school", "performers") from exc
        return chosen

    def set_audience(self, by: User, session_id: str, hls_only: bool) -> Session:
        """Whether an event's audience watches over HLS only (its hosts choose)."""
        session = self.hosted_by(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise InvalidInput("only an event has an audience", "hls_only")
        session = replace(session, hls_only=hls_only)
        self._store.update_session(session)
        return session

    def event_by_link(self, link: str) -> Session:
        """The event a guest link leads to; not_found for anything else (an ended event
        too: its link is dead)."""
        session = self._store.session_by_link(link) if link else None
        if session is None or session.kind is not SessionKind.EVENT:
            raise ClassroomError(errors.NOT_FOUND, "no such event")
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this event has ended")
        return session

    def start_session(self, by: User, session_id: str) -> Session:
        session = self._session(by, session_id)
        self._require(by, Action.MODERATE, Target.of_session(session))
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this session has ended")
        if session.state is SessionState.LIVE:
            return session
        session = replace(session, state=SessionState.LIVE, started_at=self._clock())
        self._store.update_session(session)
        return session

    def end_session(self, by: User, session_id: str) -> Session:
        session = self._session(by, session_id)
        self._require(by, Action.MODERATE, Target.of_session(session))
        if session.state is SessionState.ENDED:
            return session
        session = replace(session, state=SessionState.ENDED, ended_at=self._clock())
        self._store.update_session(session)
        return session

    def sessions(self, by: User) -> list[Session]:
        """The sessions `by` may join or host, newest first."""
        actor = self.actor(by)
        return sorted(
            (s for s in self._store.sessions(by.school_id) if self._may_see(actor, s)),
            key=lambda s: s.created_at,
            reverse=True,
        )

    def session(self, by: User, session_id: str) -> Session:
        session = self._session(by, session_id)
        if not self._may_see(self.actor(by), session):
            raise Forbidden("you are not invited to this session")
        return session

    def hosted_by(self, by: User, session_id: str) -> Session:
        """The session, if `by` is one of its hosts (may moderate it); Forbidden otherwise."""
        session = self._session(by, session_id)
        self._require(by, Action.MODERATE, Target.of_session(session))
        return session

    def event_for_audience(self, by: User, session_id: str) -> Session:
        """An event `by` may watch (its broadcast, live or after): not_found for anything
        else, forbidden for an event `by` is not invited to."""
        session = self._session(by, session_id)
        if session.kind is not SessionKind.EVENT:
            raise NotFound("this event")
        if not self._may_see(self.actor(by), session):
            raise Forbidden("you are not invited to this event")
        return session

    def watchable(self, by: User) -> list[Session]:
        """The sessions whose recordings `by` may watch (`recordings_of`), newest first."""
        actor, school = self.actor(by), self.school(by)
        return sorted(
            (
                s
                for s in self._store.sessions(by.school_id)
                if allowed(
                    actor,
                    Action.WATCH_RECORDING,
                    Target.of_session(s, school.parents_see_recordings),
                )
            ),
            key=lambda s: s.created_at,
            reverse=True,
        )

    def recordings_of(self, by: User, session_id: str, delete: bool = False) -> Session:
        """The session whose recordings `by` may watch (`delete`: take back); Forbidden for
        anyone else: the class's pupils and teachers, the school's admins, and the class's
        parents when the school lets them (`School.parents_see_recordings`)."""
        session = self._session(by, session_id)
        school = self.school(by)
        target = Target.of_session(session, school.parents_see_recordings)
        if delete:
            if not allowed(self.actor(by), Action.DELETE_RECORDING, target):
                raise Forbidden("only the class's teachers and the school's admins delete these")
        elif not allowed(self.actor(by), Action.WATCH_RECORDING, target):
            raise Forbidden("this session's recordings are for its class")
        return session

    def admit(self, by: User, session_id: str) -> Admission:
        """How `by` enters the session: refused, straight in, or through the lobby."""
        session = self._session(by, session_id)
        actor = self.actor(by)
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

    # --- attendance ------------------------------------------------------------------

    def check_open(self, session_id: str) -> bool:
        """Whether the room's session is live (a room that is no session always is); refuse
        entry into an ended one (a room token outlives the end)."""
        session = self._store.session(session_id)
        if session is None:
            return True
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this session has ended")
        return session.state is SessionState.LIVE

    def hostless_ends(self, session_id: str) -> bool:
        """Whether the room is a live session that ends after a while without a host. An
        event goes on while its performers perform: its organiser ends it."""
        session = self._store.session(session_id)
        return (
            session is not None
            and session.state is SessionState.LIVE
            and session.kind is not SessionKind.EVENT
        )

    def end_live(self, session_id: str) -> None:
        """The live room's session ends now: a host in it ended it (their room token proved
        they may), or it had no host for too long. No-op for a room that is no session."""
        session = self._store.session(session_id)
        if session is not None and session.state is not SessionState.ENDED:
            self._store.update_session(
                replace(session, state=SessionState.ENDED, ended_at=self._clock())
            )

    def live_sessions(self) -> list[str]:
        """Every school's live sessions (after a restart, their rooms are empty)."""
        return [
            session.id
            for school in self._store.schools()
            for session in self._store.sessions(school.id)
            if session.state is SessionState.LIVE
        ]

    def host_arrived(self, session_id: str) -> None:
        """A host entered a scheduled session's room: it starts (their room token already
        proved they may start it)."""
        session = self._store.session(session_id)
        if session is not None and session.state is SessionState.SCHEDULED:
            self._store.update_session(
                replace(session, state=SessionState.LIVE, started_at=self._clock())
            )

    def arrived(self, session_id: str, user_id: str, name: str) -> int | None:
        """Record that someone entered a session's live room; returns the stay's id, or None
        for a room that is no session of ours (the demo room)."""
        if self._store.session(session_id) is None:
            return None
        return self._store.add_attendance(
            Attendance(session_id, user_id, name, joined_at=self._clock())
        )

    def departed(self, stay_id: int) -> None:
        try:
            self._store.close_attendance(stay_id, self._clock())
        except KeyError:
            pass  # the person's data was erased while they were in the room: the stay too

    def said(self, session_id: str, user_id: str, name: str, text: str, ts: float) -> None:
        """Keep a chat line with its session (rooms that are no session keep none)."""
        if self._store.session(session_id) is not None:
            self._store.add_chat(ChatLine(session_id, user_id, name, text, ts))

    def removed(self, session_id: str, user_id: str) -> None:
        """A host removed `user_id`: they cannot come back into this session."""
        if self._store.session(session_id) is not None:
            self._store.add_removal(session_id, user_id)

    def title(self, session_id: str) -> str | None:
        session = self._store.session(session_id)
        return session.title if session is not None else None

    def is_removed(self, session_id: str, user_id: str) -> bool:
        return self._store.is_removed(session_id, user_id)

    def broadcasts(self, session_id: str) -> bool:
        """An event is also sent out as live HLS, for an audience past one SFU."""
        session = self._store.session(session_id)
        return session is not None and session.kind is SessionKind.EVENT

    def audience_over_hls(self, session_id: str) -> bool:
        """The event's organiser sends its whole audience to HLS."""
        session = self._store.session(session_id)
        return session is not None and session.hls_only

    def recent_chat(self, session_id: str, limit: int) -> list[ChatLine]:
        """What a room that starts again (after everyone left, or a restart) shows first."""
        return self._store.chat(session_id, limit)

    def chat(self, by: User, session_id: str) -> list[ChatLine]:
        """The whole chat of a session `by` may see."""
        self.session(by, session_id)
        return self._store.chat(session_id, CHAT_LIMIT)

    def attendance(self, by: User, session_id: str) -> list[Attendance]:
        session = self._session(by, session_id)
        target = Target.of_session(session)
        actor = self.actor(by)
        if not (
            allowed(actor, Action.VIEW_ATTENDANCE, target)
            or allowed(actor, Action.MODERATE, target)
        ):
            raise Forbidden("only the session's teachers and the school's admins see attendance")
        return self._store.attendance(session_id)

    def attendance_csv(self, by: User, session_id: str) -> str:
        """One row per person: name, first join, last leave, total minutes, stays."""
        now = self._clock()
        people: dict[str, list[Attendance]] = {}
        for stay in self.attendance(by, session_id):
            people.setdefault(stay.user_id, []).append(stay)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "joined", "left", "minutes", "stays"])
        for stays in people.values():
            lefts = [s.left_at for s in stays]
            writer.writerow(
                [
                    stays[0].name,
                    _iso(min(s.joined_at for s in stays)),
                    "" if None in lefts else _iso(max(s for s in lefts if s is not None)),
                    f"{sum(s.minutes(now) for s in stays):.1f}",
                    len(stays),
                ]
            )
        return out.getvalue()

    # --- helpers ---------------------------------------------------------------------

    def _require(self, by: User, action: Action, target: Target) -> None:
        if not allowed(self.actor(by), action, target):
            raise Forbidden()

    def _class(self, by: User, class_id: str) -> SchoolClass:
        return class_of_school(self._store, by, class_id)

    def _school_user(self, by: User, user_id: str) -> User:
        return person_of_school(self._store, by, user_id)

    def _session(self, by: User, session_id: str) -> Session:
        return session_of_school(self._store, by, session_id)

    def _may_see(self, actor: Actor, session: Session) -> bool:
        target = Target.of_session(session)
        if session.kind not in _JOIN_ACTION:
            return False
        return allowed(actor, _JOIN_ACTION[session.kind], target) or allowed(
            actor, Action.MODERATE, target
        )

    def _add_user(self, user: User) -> None:
        try:
            self._store.add_user(user)
        except Conflict as exc:
            raise ClassroomError(errors.CONFLICT, str(exc), _clash_field(exc)) from exc


def _name(value: str, what: str, limit: int = MAX_NAME, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must not be empty", field)
    value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(f"{what} must be at most {limit} characters", field)
    return value


def _login(value: str) -> str:
    value = value.strip().lower() if isinstance(value, str) else ""
    if not LOGIN.match(value):
        raise InvalidInput(
            "login must be 3-64 characters: latin letters, digits, dot, dash or underscore",
            "login",
        )
    return value


def _password(value: str) -> str:
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", "password"
        )
    return value


async def _hash(password: str) -> str:
    """scrypt in a worker thread: 50 ms of it must not stall the event loop (signalling, and
    the SFU itself when it runs in-process)."""
    return await asyncio.to_thread(hash_password, _password(password))


def _clash_field(exc: Conflict) -> str | None:
    return "login" if str(exc).startswith("login ") else None


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
