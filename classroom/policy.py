"""Who may do what: pure allow / deny decisions, no storage, no clock.

Every decision takes an `Actor` (a user and the classes they belong to) and a `Target` (the
school, and the class or session acted on). Schools are closed: nothing crosses a school's
boundary, whatever the role. The permission matrix in tests/unit/test_policy.py lists every
role × action × (own class, other class of the school, other school).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .models import SchoolClass, Session, User
from .roles import Role


class Action(StrEnum):
    VIEW_SCHOOL = "view_school"
    MANAGE_CLASSES = "manage_classes"
    """Create classes, put teachers and pupils in them."""
    VERIFY_TEACHER = "verify_teacher"
    VIEW_CLASS = "view_class"
    """See a class and its members."""
    CREATE_INVITE = "create_invite"
    REVOKE_INVITE = "revoke_invite"
    START_LESSON = "start_lesson"
    """Create, start and end a lesson of the class."""
    JOIN_LESSON = "join_lesson"
    SCHEDULE_PARENT_MEETING = "schedule_parent_meeting"
    JOIN_PARENT_MEETING = "join_parent_meeting"
    """Parents go through the lobby; teachers and admins come straight in."""
    START_CONSULTATION = "start_consultation"
    """With a pupil of the class, or a parent of one."""
    JOIN_CONSULTATION = "join_consultation"
    """Its host and its one guest, nobody else."""
    START_STAFF_MEETING = "start_staff_meeting"
    JOIN_STAFF_MEETING = "join_staff_meeting"
    START_EVENT = "start_event"
    """Organise a broadcast (a concert, an assembly) for the school: its teachers and admins."""
    WATCH_EVENT = "watch_event"
    """Everyone of the school; guests come by the event's link instead."""
    MODERATE = "moderate"
    """Mute, remove, lock, admit from the lobby, end: the session's hosts."""
    VIEW_ATTENDANCE = "view_attendance"
    WATCH_RECORDING = "watch_recording"
    DELETE_RECORDING = "delete_recording"
    """The class's teachers and the school's admins: a recording is theirs to take back."""
    RESET_PASSWORD = "reset_password"
    """Make a one-time link that sets a person's password: admins for anyone of the school, a
    class's teachers for its pupils and their parents (who forget theirs most)."""
    DEACTIVATE_PERSON = "deactivate_person"
    """Deactivate or reactivate an account: admins, never their own."""
    REMOVE_FROM_CLASS = "remove_from_class"
    """Take a pupil out of a class (not out of the school): its teachers and the admins."""
    IMPORT_CLASS_LIST = "import_class_list"
    """Create a class's pupils and parents from a list: its teachers (who already bring them
    in through invite links) and the admins."""
    ERASE_PERSON = "erase_person"
    """Remove a person's account and data on their request (`classroom.erasure`): the
    school's admins, acting for the school, which controls the data. Nobody erases their
    own account: a pupil (or anyone) asks the school, and an admin is erased by another."""
    # --- materials (issue 18) ---
    MANAGE_MATERIALS = "manage_materials"
    """Upload, list and delete a class's materials (PDFs shown in its lessons): its teachers,
    and the school's admins (who may host any of its lessons)."""
    VIEW_MATERIAL = "view_material"
    """Download one: the class's teachers, pupils and pupils' parents, the school's admins."""


@dataclass(frozen=True)
class Actor:
    user_id: str
    school_id: str
    role: Role
    verified: bool
    teaches: frozenset[str] = frozenset()
    """Class ids where the user is a teacher."""
    attends: frozenset[str] = frozenset()
    """Class ids where the user is a pupil."""
    children_in: frozenset[str] = frozenset()
    """Class ids of a parent's children."""

    @classmethod
    def of(cls, user: User, classes: list[SchoolClass]) -> Actor:
        """`classes`: the school's classes (those of other schools are ignored)."""
        mine = [c for c in classes if c.school_id == user.school_id]
        children = set(user.children) if user.role is Role.PARENT else set()
        return cls(
            user_id=user.id,
            school_id=user.school_id,
            role=user.role,
            verified=user.verified or user.role is Role.ADMIN,
            teaches=frozenset(c.id for c in mine if user.id in c.teachers),
            attends=frozenset(c.id for c in mine if user.id in c.pupils),
            children_in=frozenset(c.id for c in mine if children.intersection(c.pupils)),
        )

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_teacher(self) -> bool:
        """A verified teacher: an unverified one may sign in but not act as a teacher."""
        return self.role is Role.TEACHER and self.verified


@dataclass(frozen=True)
class Target:
    school_id: str
    class_id: str | None = None
    session_hosts: frozenset[str] = field(default_factory=frozenset)
    """Who created the session (its moderator besides the class's teachers and admins)."""
    guest_id: str | None = None
    """The consultation's pupil or parent."""
    parents_see_recordings: bool = False
    person_id: str | None = None
    """The person acted on (a password link, a deactivation)."""
    person_role: Role | None = None
    person_classes: frozenset[str] = frozenset()
    """Where the person belongs: a pupil's classes, a parent's children's, a teacher's own."""

    @classmethod
    def of_person(cls, user: User, classes: list[SchoolClass]) -> Target:
        """`user` as the target; `classes`: the school's classes."""
        children = set(user.children) if user.role is Role.PARENT else set()
        mine = frozenset(
            c.id
            for c in classes
            if c.school_id == user.school_id
            and (user.id in c.pupils or user.id in c.teachers or children.intersection(c.pupils))
        )
        return cls(
            school_id=user.school_id,
            person_id=user.id,
            person_role=user.role,
            person_classes=mine,
        )

    @classmethod
    def of_session(cls, session: Session, parents_see_recordings: bool = False) -> Target:
        return cls(
            school_id=session.school_id,
            class_id=session.class_id,
            session_hosts=frozenset({session.created_by}),
            guest_id=session.guest_id,
            parents_see_recordings=parents_see_recordings,
        )


def allowed(actor: Actor, action: Action, target: Target) -> bool:
    """Whether `actor` may do `action` on `target`."""
    if actor.school_id != target.school_id:
        return False  # closed spaces: no role reaches into another school
    rule = _RULES[action]
    return rule(actor, target)


def _teaches(actor: Actor, target: Target) -> bool:
    return actor.is_teacher and target.class_id is not None and target.class_id in actor.teaches


def _admin_or_class_teacher(actor: Actor, target: Target) -> bool:
    return actor.is_admin or _teaches(actor, target)


def _view_class(actor: Actor, target: Target) -> bool:
    if actor.is_admin or _teaches(actor, target):
        return True
    cid = target.class_id
    return cid is not None and (cid in actor.attends or cid in actor.children_in)


def _join_lesson(actor: Actor, target: Target) -> bool:
    cid = target.class_id
    return _admin_or_class_teacher(actor, target) or (
        actor.role is Role.PUPIL and cid is not None and cid in actor.attends
    )


def _join_parent_meeting(actor: Actor, target: Target) -> bool:
    cid = target.class_id
    return _admin_or_class_teacher(actor, target) or (
        actor.role is Role.PARENT and cid is not None and cid in actor.children_in
    )


def _start_consultation(actor: Actor, target: Target) -> bool:
    return _admin_or_class_teacher(actor, target)


def _join_consultation(actor: Actor, target: Target) -> bool:
    host = actor.user_id in target.session_hosts and (actor.is_teacher or actor.is_admin)
    return host or actor.user_id == target.guest_id


def _moderate(actor: Actor, target: Target) -> bool:
    if actor.is_admin or _teaches(actor, target):
        return True
    return actor.is_teacher and actor.user_id in target.session_hosts


def _staff(actor: Actor, target: Target) -> bool:
    return actor.is_admin or actor.is_teacher


def _watch_recording(actor: Actor, target: Target) -> bool:
    cid = target.class_id
    if _admin_or_class_teacher(actor, target):
        return True
    if cid is None:
        return False
    if actor.role is Role.PUPIL:
        return cid in actor.attends
    if actor.role is Role.PARENT:
        return target.parents_see_recordings and cid in actor.children_in
    return False


def _admin(actor: Actor, target: Target) -> bool:
    return actor.is_admin


def _erase_person(actor: Actor, target: Target) -> bool:
    return actor.is_admin and target.person_id != actor.user_id


def _member(actor: Actor, target: Target) -> bool:
    return actor.role is not Role.GUEST


def _reset_password(actor: Actor, target: Target) -> bool:
    if target.person_id is None:
        return False
    if actor.is_admin:
        return True
    # A teacher vouches for the people of their own classes only, never for staff: a teacher
    # who could reset a colleague's or an admin's password could sign in as them.
    return (
        actor.is_teacher
        and target.person_role in (Role.PUPIL, Role.PARENT)
        and bool(actor.teaches & target.person_classes)
    )


def _deactivate_person(actor: Actor, target: Target) -> bool:
    # Not oneself: a school must not lock out the admin who would reactivate the others.
    return actor.is_admin and target.person_id not in (None, actor.user_id)


_RULES = {
    Action.VIEW_SCHOOL: _member,
    Action.MANAGE_CLASSES: _admin,
    Action.VERIFY_TEACHER: _admin,
    Action.VIEW_CLASS: _view_class,
    Action.CREATE_INVITE: _admin_or_class_teacher,
    Action.REVOKE_INVITE: _admin_or_class_teacher,
    Action.START_LESSON: _admin_or_class_teacher,
    Action.JOIN_LESSON: _join_lesson,
    Action.SCHEDULE_PARENT_MEETING: _admin_or_class_teacher,
    Action.JOIN_PARENT_MEETING: _join_parent_meeting,
    Action.START_CONSULTATION: _start_consultation,
    Action.JOIN_CONSULTATION: _join_consultation,
    Action.START_STAFF_MEETING: _staff,
    Action.JOIN_STAFF_MEETING: _staff,
    Action.START_EVENT: _staff,
    Action.WATCH_EVENT: _member,
    Action.MODERATE: _moderate,
    Action.VIEW_ATTENDANCE: _admin_or_class_teacher,
    Action.WATCH_RECORDING: _watch_recording,
    Action.DELETE_RECORDING: _admin_or_class_teacher,
    Action.RESET_PASSWORD: _reset_password,
    Action.DEACTIVATE_PERSON: _deactivate_person,
    Action.REMOVE_FROM_CLASS: _admin_or_class_teacher,
    Action.IMPORT_CLASS_LIST: _admin_or_class_teacher,
    Action.ERASE_PERSON: _erase_person,
    Action.MANAGE_MATERIALS: _admin_or_class_teacher,
    Action.VIEW_MATERIAL: _view_class,
}
assert set(_RULES) == set(Action), "every action needs a rule"
