"""The school's records: schools, people, classes, invite links and sessions.

Plain dataclasses with no behaviour beyond reading themselves; the rules live in `policy.py`,
the storage behind `store.Repository`, the use cases in `service.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .roles import Role


class SessionKind(StrEnum):
    LESSON = "lesson"
    """The class's teachers and pupils; a teacher starts it."""
    PARENT_MEETING = "parent_meeting"
    """A teacher and the parents of one class; parents wait in the lobby until admitted."""
    CONSULTATION = "consultation"
    """A teacher and one pupil or parent."""
    STAFF_MEETING = "staff_meeting"
    """Teachers and admins of the school."""
    EVENT = "event"
    """A broadcast (a concert, an assembly): a few performers publish, a large audience of the
    school's people and of guests holding its link only watches."""


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


DEFAULT_TIME_ZONE = "Europe/Moscow"
"""A new school's time zone: most of the schools this is made for keep Moscow time, and an
admin of any other changes it on /school."""


@dataclass
class School:
    id: str
    name: str
    parents_see_recordings: bool = False
    """Whether parents of a class may watch its recordings (the school decides)."""
    recordings_kept_days: int | None = None
    """Days a recording is kept after it stopped, then deleted by the server (an ended
    event's HLS too); None: kept until someone deletes it."""
    time_zone: str = DEFAULT_TIME_ZONE
    """The IANA zone the school's reports (attendance) show times in."""


@dataclass
class User:
    id: str
    school_id: str
    role: Role
    name: str
    login: str | None = None
    """Sign-in name, unique across the server; None until an invited person chooses one."""
    password_hash: str | None = None
    verified: bool = False
    """A teacher an admin has verified (shown with a badge). Admins are verified."""
    children: list[str] = field(default_factory=list)
    """A parent's children (pupil user ids)."""
    disabled: bool = False


@dataclass
class SchoolClass:
    id: str
    school_id: str
    name: str
    teachers: list[str] = field(default_factory=list)
    pupils: list[str] = field(default_factory=list)


@dataclass
class Invite:
    """An invite link: the URL holds only `id`, an opaque random string kept here."""

    id: str
    school_id: str
    class_id: str
    role: Role
    """PUPIL or PARENT."""
    created_by: str
    created_at: float
    expires_at: float
    max_uses: int
    uses: int = 0
    revoked: bool = False
    child_id: str | None = None
    """For a parent invite: the pupil the parent is linked to (None: chosen on use)."""


@dataclass
class Session:
    """A lesson, meeting, consultation or event: scheduled, live, then ended."""

    id: str
    school_id: str
    kind: SessionKind
    title: str
    created_by: str
    created_at: float
    class_id: str | None = None
    """The class of a lesson or parent meeting."""
    guest_id: str | None = None
    """The pupil or parent of a consultation."""
    scheduled_at: float | None = None
    """None: an instant session, live as soon as it starts."""
    state: SessionState = SessionState.SCHEDULED
    started_at: float | None = None
    ended_at: float | None = None
    performers: tuple[str, ...] = ()
    """An event's performers (user ids): they publish; everyone else only watches."""
    link: str | None = None
    """An event's guest link (unguessable): whoever holds it watches without an account."""
    hls_only: bool = False
    """An event's audience watches its HLS, never WebRTC (for an audience past one server)."""
    # --- the schedule (issue 18) ---
    duration_minutes: int | None = None
    """How long it is planned to last (None: not said); shown beside its scheduled start."""
    cancelled: bool = False
    """Called off before it started by its teacher: ENDED, never started."""


@dataclass
class Attendance:
    """One stay of one person in a live session (a rejoin is a new stay)."""

    session_id: str
    user_id: str
    name: str
    joined_at: float
    left_at: float | None = None

    def minutes(self, now: float) -> float:
        end = self.left_at if self.left_at is not None else now
        return max(0.0, end - self.joined_at) / 60


@dataclass
class ChatLine:
    """One chat message of a session, as kept."""

    session_id: str
    user_id: str
    name: str
    text: str
    ts: float


@dataclass
class SignIn:
    """One signed-in browser or API client of one account: what its tokens point at, so that
    signing out (here or everywhere), a new password or a deactivation ends it at once."""

    id: str
    user_id: str
    created_at: float
    expires_at: float
    revoked_at: float | None = None

    def alive(self, now: float) -> bool:
        return self.revoked_at is None and now < self.expires_at
