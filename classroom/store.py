"""The repository the domain keeps its records in: a small interface, SQLite by default.

Every method is a coroutine (a row or a handful each): no implementation runs a query on the
event loop (`sqlite_store.SqliteStore` runs its own on a thread of its own). Every
implementation keeps the same invariants: logins are unique across the server, ids are
unique, and a method that writes either writes everything it was asked to or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .models import Attendance, ChatLine, Invite, School, SchoolClass, Session, SignIn, User
from .poll_records import PollAnswer, PollRecord

if TYPE_CHECKING:
    from .materials import Material


class Conflict(Exception):
    """A write would break uniqueness (a login taken, an id reused)."""


@dataclass(frozen=True)
class ErasedRows:
    """What `Repository.erase_user` changed, counted (the erasure's summary)."""

    sign_ins: list[str] = field(default_factory=list)
    """The ids of the person's sign-ins, deleted: their live connections are to be closed."""
    class_memberships: int = 0
    parent_links: int = 0
    invites_deleted: int = 0
    """Parent invites that named the person as the child."""
    invites_reassigned: int = 0
    sessions_reassigned: int = 0
    """Sessions the person created, now the erasing admin's."""
    sessions_unlinked: int = 0
    """Consultations with the person as their guest, or events with them as a performer."""
    chat_lines: int = 0
    attendance: int = 0
    removals: int = 0
    poll_answers: int = 0
    materials_reassigned: int = 0
    """Materials the person uploaded, now the erasing admin's (the class's, like its lessons)."""


class SignInRepository(Protocol):
    async def add(self, sign_in: SignIn) -> None: ...
    async def get(self, sign_in_id: str) -> SignIn | None: ...
    async def revoke(self, sign_in_id: str, at: float) -> None: ...

    async def revoke_user(self, user_id: str, at: float, keep: str | None = None) -> list[str]:
        """Ends every live sign-in of the account but `keep`; returns the ids it ended."""

    async def purge(self, before: float) -> int:
        """Forgets sign-ins that expired before `before`; returns how many."""


# --- materials (issue 18): a class's PDFs, their files under DATA_DIR/materials ----------


class MaterialRepository(Protocol):
    async def add(self, material: Material) -> None:
        """Raises Conflict when the id is taken."""

    async def get(self, material_id: str) -> Material | None: ...

    async def of_class(self, class_id: str) -> list[Material]:
        """The class's materials (its lessons' too), newest first."""

    async def delete(self, material_id: str) -> bool:
        """Whether there was such a row."""


# --- end of materials --------------------------------------------------------------------


class Repository(Protocol):
    @property
    def sign_ins(self) -> SignInRepository: ...

    @property
    def materials(self) -> MaterialRepository: ...

    # schools
    async def add_school(self, school: School) -> None: ...
    async def update_school(self, school: School) -> None: ...
    async def school(self, school_id: str) -> School | None: ...
    async def schools(self) -> list[School]: ...

    # people
    async def add_user(self, user: User) -> None:
        """Raises Conflict when the login (or id) is taken."""

    async def update_user(self, user: User) -> None:
        """Raises Conflict when a changed login is taken."""

    async def user(self, user_id: str) -> User | None: ...
    async def user_by_login(self, login: str) -> User | None: ...
    async def users(self, school_id: str) -> list[User]: ...

    # classes
    async def add_class(self, school_class: SchoolClass) -> None: ...
    async def update_class(self, school_class: SchoolClass) -> None: ...
    async def school_class(self, class_id: str) -> SchoolClass | None: ...
    async def classes(self, school_id: str) -> list[SchoolClass]: ...

    # invites
    async def add_invite(self, invite: Invite) -> None: ...
    async def update_invite(self, invite: Invite) -> None: ...
    async def invite(self, invite_id: str) -> Invite | None: ...
    async def invites(self, class_id: str) -> list[Invite]: ...

    async def redeem_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """One transaction: count the use, create the account, update the class (a pupil)
        or the parent's children. Raises Conflict (nothing written) when the login is taken."""

    async def accept_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        """One transaction: count the use, and add the existing account to the class (a
        pupil) or the child to the parent's children."""

    # sessions
    async def add_session(self, session: Session) -> None: ...
    async def update_session(self, session: Session) -> None: ...
    async def session(self, session_id: str) -> Session | None: ...
    async def session_by_link(self, link: str) -> Session | None: ...
    async def sessions(self, school_id: str) -> list[Session]: ...

    # the schedule (issue 18)
    async def upcoming_sessions(self, school_id: str, since: float) -> list[Session]:
        """The school's live sessions and those scheduled to start at or after `since` (not
        cancelled: those are ended), soonest first (a live one by when it was planned, else
        when it started); ties in insertion order."""

    # attendance
    async def add_attendance(self, stay: Attendance) -> int:
        """Store a stay; returns its row id, for `close_attendance`."""

    async def close_attendance(self, stay_id: int, left_at: float) -> None: ...
    async def attendance(self, session_id: str) -> list[Attendance]: ...

    # polls (issue 18)
    async def add_poll(self, poll: PollRecord) -> None:
        """Raises Conflict when the poll's id is taken."""

    async def close_poll(self, poll_id: str, closed_at: float) -> None:
        """Sets its closing time once (a later close keeps the first); KeyError: no such poll."""

    async def put_poll_answer(self, answer: PollAnswer) -> None:
        """The person's answer to the poll, replacing their earlier one."""

    async def polls(self, session_id: str) -> list[PollRecord]:
        """The session's polls in the order they were asked."""

    async def poll_answers(self, session_id: str) -> list[PollAnswer]:
        """The answers to the session's polls: poll by poll as asked, earliest answer first."""

    # chat
    async def add_chat(self, line: ChatLine) -> None: ...
    async def chat(self, session_id: str, limit: int) -> list[ChatLine]:
        """The session's last `limit` lines, oldest first."""

    # removals
    async def add_removal(self, session_id: str, user_id: str) -> None: ...
    async def is_removed(self, session_id: str, user_id: str) -> bool: ...

    # erasure
    async def erase_user(
        self, user_id: str, reassign_to: str, erased_name: str, erased_id: str
    ) -> ErasedRows:
        """One transaction: the account and everything naming it (see `classroom.erasure`);
        nothing at all when any statement fails. KeyError when there is no such account."""

    async def close(self) -> None: ...
