"""Who may do what: every role × every action × (own class, other class, other school).

The matrix below is written from the product rules (PRODUCT.md, the classroom and recording
issues), not read off `classroom/policy.py`: where the two disagree, the table is the spec.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from classroom.policy import Action, Actor, Target, allowed
from classroom.roles import Role

# Columns: own class | another class of the same school | a class of another school.
# "Own class": the teacher teaches it, the pupil is in it, the parent has a child in it; an admin
# administers the whole school (own and other class alike); a guest belongs to no class, so its
# "own class" is just a class of its school. Y: allowed, -: denied.
MATRIX = """
# role              action                    own  other  school

# Closed spaces: the school's own accounts see it; a guest is no account of the school.
admin               view_school               Y    Y      -
teacher             view_school               Y    Y      -
unverified_teacher  view_school               Y    Y      -
pupil               view_school               Y    Y      -
parent              view_school               Y    Y      -
guest               view_school               -    -      -

# The admin creates the school's classes and verifies its teachers; nobody else does.
admin               manage_classes            Y    Y      -
teacher             manage_classes            -    -      -
unverified_teacher  manage_classes            -    -      -
pupil               manage_classes            -    -      -
parent              manage_classes            -    -      -
guest               manage_classes            -    -      -

admin               verify_teacher            Y    Y      -
teacher             verify_teacher            -    -      -
unverified_teacher  verify_teacher            -    -      -
pupil               verify_teacher            -    -      -
parent              verify_teacher            -    -      -
guest               verify_teacher            -    -      -

# A class groups its pupils and teachers; a parent follows their child's class. An unverified
# teacher may sign in but does not act as a teacher until an admin verifies them.
admin               view_class                Y    Y      -
teacher             view_class                Y    -      -
unverified_teacher  view_class                -    -      -
pupil               view_class                Y    -      -
parent              view_class                Y    -      -
guest               view_class                -    -      -

# Invite links for the class: made (and revoked) by its teacher, or the school's admin.
admin               create_invite             Y    Y      -
teacher             create_invite             Y    -      -
unverified_teacher  create_invite             -    -      -
pupil               create_invite             -    -      -
parent              create_invite             -    -      -
guest               create_invite             -    -      -

admin               revoke_invite             Y    Y      -
teacher             revoke_invite             Y    -      -
unverified_teacher  revoke_invite             -    -      -
pupil               revoke_invite             -    -      -
parent              revoke_invite             -    -      -
guest               revoke_invite             -    -      -

# Lesson: the class's teacher(s) and pupils; a teacher (or admin) starts it, pupils cannot.
admin               start_lesson              Y    Y      -
teacher             start_lesson              Y    -      -
unverified_teacher  start_lesson              -    -      -
pupil               start_lesson              -    -      -
parent              start_lesson              -    -      -
guest               start_lesson              -    -      -

admin               join_lesson               Y    Y      -
teacher             join_lesson               Y    -      -
unverified_teacher  join_lesson               -    -      -
pupil               join_lesson               Y    -      -
parent              join_lesson               -    -      -
guest               join_lesson               -    -      -

# Parent meeting: a teacher and the parents of one class (parents through the lobby).
admin               schedule_parent_meeting   Y    Y      -
teacher             schedule_parent_meeting   Y    -      -
unverified_teacher  schedule_parent_meeting   -    -      -
pupil               schedule_parent_meeting   -    -      -
parent              schedule_parent_meeting   -    -      -
guest               schedule_parent_meeting   -    -      -

admin               join_parent_meeting       Y    Y      -
teacher             join_parent_meeting       Y    -      -
unverified_teacher  join_parent_meeting       -    -      -
pupil               join_parent_meeting       -    -      -
parent              join_parent_meeting       Y    -      -
guest               join_parent_meeting       -    -      -

# Consultation: one-to-one, a teacher and one pupil or parent; only its host and its guest join.
# In the matrix the host is the class's teacher and the guest is the class's pupil.
admin               start_consultation        Y    Y      -
teacher             start_consultation        Y    -      -
unverified_teacher  start_consultation        -    -      -
pupil               start_consultation        -    -      -
parent              start_consultation        -    -      -
guest               start_consultation        -    -      -

admin               join_consultation         -    -      -
teacher             join_consultation         Y    -      -
unverified_teacher  join_consultation         -    -      -
pupil               join_consultation         Y    -      -
parent              join_consultation         -    -      -
guest               join_consultation         -    -      -

# Staff meeting: teachers and admins of the school (the class does not matter).
admin               start_staff_meeting       Y    Y      -
teacher             start_staff_meeting       Y    Y      -
unverified_teacher  start_staff_meeting       -    -      -
pupil               start_staff_meeting       -    -      -
parent              start_staff_meeting       -    -      -
guest               start_staff_meeting       -    -      -

admin               join_staff_meeting        Y    Y      -
teacher             join_staff_meeting        Y    Y      -
unverified_teacher  join_staff_meeting        -    -      -
pupil               join_staff_meeting        -    -      -
parent              join_staff_meeting        -    -      -
guest               join_staff_meeting        -    -      -

# An event (a concert, an assembly) is the school's: its staff organise it, everyone of the
# school watches; a guest watches only through the event's link, never by role.
admin               start_event               Y    Y      -
teacher             start_event               Y    Y      -
unverified_teacher  start_event               -    -      -
pupil               start_event               -    -      -
parent              start_event               -    -      -
guest               start_event               -    -      -

admin               watch_event               Y    Y      -
teacher             watch_event               Y    Y      -
unverified_teacher  watch_event               Y    Y      -
pupil               watch_event               Y    Y      -
parent              watch_event               Y    Y      -
guest               watch_event               -    -      -

# Mute, remove, admit, end: a teacher (the session's, here the class's teacher) or an admin.
admin               moderate                  Y    Y      -
teacher             moderate                  Y    -      -
unverified_teacher  moderate                  -    -      -
pupil               moderate                  -    -      -
parent              moderate                  -    -      -
guest               moderate                  -    -      -

# Attendance: the teacher and the admin.
admin               view_attendance           Y    Y      -
teacher             view_attendance           Y    -      -
unverified_teacher  view_attendance           -    -      -
pupil               view_attendance           -    -      -
parent              view_attendance           -    -      -
guest               view_attendance           -    -      -

# Recordings: the class's pupils and teachers, the school's admins, and the class's parents only
# if the school allows it (here it does not; see the tests below the matrix).
admin               watch_recording           Y    Y      -
teacher             watch_recording           Y    -      -
unverified_teacher  watch_recording           -    -      -
pupil               watch_recording           Y    -      -
parent              watch_recording           -    -      -
guest               watch_recording           -    -      -

# Deleting one: the class's teachers and the school's admins.
admin               delete_recording          Y    Y      -
teacher             delete_recording          Y    -      -
unverified_teacher  delete_recording          -    -      -
pupil               delete_recording          -    -      -
parent              delete_recording          -    -      -
guest               delete_recording          -    -      -

# Running a school (issue 15). A password link: admins for anyone of the school, a class's
# teachers for its pupils (and their parents, below); the person here is the place's pupil.
admin               reset_password            Y    Y      -
teacher             reset_password            Y    -      -
unverified_teacher  reset_password            -    -      -
pupil               reset_password            -    -      -
parent              reset_password            -    -      -
guest               reset_password            -    -      -

# Deactivating an account (the place's pupil here): admins only.
admin               deactivate_person         Y    Y      -
teacher             deactivate_person         -    -      -
unverified_teacher  deactivate_person         -    -      -
pupil               deactivate_person         -    -      -
parent              deactivate_person         -    -      -
guest               deactivate_person         -    -      -

# Taking a pupil out of a class, and importing a class list: its teachers and the admins.
admin               remove_from_class         Y    Y      -
teacher             remove_from_class         Y    -      -
unverified_teacher  remove_from_class         -    -      -
pupil               remove_from_class         -    -      -
parent              remove_from_class         -    -      -
guest               remove_from_class         -    -      -

admin               import_class_list         Y    Y      -
teacher             import_class_list         Y    -      -
unverified_teacher  import_class_list         -    -      -
pupil               import_class_list         -    -      -
parent              import_class_list         -    -      -
guest               import_class_list         -    -      -

# Erasing a person's data on request (here a pupil of the class): the school controls the
# data, so its admins act; a class's teacher does not, nor anyone for themselves (below).
admin               erase_person              Y    Y      -
teacher             erase_person              -    -      -
unverified_teacher  erase_person              -    -      -
pupil               erase_person              -    -      -
parent              erase_person              -    -      -
guest               erase_person              -    -      -

# Materials (issue 18): the class's teachers (and the school's admins, who may host any of its
# lessons) upload, list and delete a class's PDFs; its teachers, pupils and parents and the
# school's admins download them; nobody from another class or school.
admin               manage_materials          Y    Y      -
teacher             manage_materials          Y    -      -
unverified_teacher  manage_materials          -    -      -
pupil               manage_materials          -    -      -
parent              manage_materials          -    -      -
guest               manage_materials          -    -      -

admin               view_material             Y    Y      -
teacher             view_material             Y    -      -
unverified_teacher  view_material             -    -      -
pupil               view_material             Y    -      -
parent              view_material             Y    -      -
guest               view_material             -    -      -
"""

SCOPES = ("own_class", "other_class", "other_school")
CELLS = {"Y": True, "-": False}


def parse_matrix(text: str) -> list[tuple[str, str, str, bool]]:
    """(role, action, scope, expected) for every cell of the table."""
    cells: list[tuple[str, str, str, bool]] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        role, action, *marks = words
        assert len(marks) == len(SCOPES), f"row {role} {action} needs {len(SCOPES)} cells"
        for scope, mark in zip(SCOPES, marks, strict=True):
            assert mark in CELLS, f"row {role} {action}: cell {mark!r} is neither Y nor -"
            cells.append((role, action, scope, CELLS[mark]))
    return cells


CASES = parse_matrix(MATRIX)


@dataclass(frozen=True)
class Place:
    """A class somewhere, with its teacher, one of its pupils, and its school's admin."""

    school_id: str
    class_id: str
    teacher: str
    pupil: str
    admin: str


PLACES = {
    "own_class": Place("north", "5a", "teacher-5a", "pupil-5a", "head-north"),
    "other_class": Place("north", "5b", "teacher-5b", "pupil-5b", "head-north"),
    "other_school": Place("south", "7a", "teacher-7a", "pupil-7a", "head-south"),
}
OWN = PLACES["own_class"]

ACTORS = {
    "admin": Actor("head-north", "north", Role.ADMIN, verified=True),
    "teacher": Actor("teacher-5a", "north", Role.TEACHER, verified=True, teaches=frozenset({"5a"})),
    "unverified_teacher": Actor(
        "newcomer-5a", "north", Role.TEACHER, verified=False, teaches=frozenset({"5a"})
    ),
    "pupil": Actor("pupil-5a", "north", Role.PUPIL, verified=False, attends=frozenset({"5a"})),
    "parent": Actor(
        "parent-5a", "north", Role.PARENT, verified=False, children_in=frozenset({"5a"})
    ),
    "guest": Actor("guest-1", "north", Role.GUEST, verified=False),
}

SCHOOL_ACTIONS = {
    Action.VIEW_SCHOOL,
    Action.VERIFY_TEACHER,
    Action.START_STAFF_MEETING,
    Action.START_EVENT,
}
"""Acted on the school itself: no class."""
SESSION_ACTIONS = {
    Action.JOIN_LESSON,
    Action.JOIN_PARENT_MEETING,
    Action.MODERATE,
    Action.VIEW_ATTENDANCE,
    Action.WATCH_RECORDING,
    Action.DELETE_RECORDING,
}
"""Acted on a session of the class that the class's teacher created."""


PERSON_ACTIONS = {Action.RESET_PASSWORD, Action.DEACTIVATE_PERSON}
"""Acted on a person: the place's pupil."""


def target_for(action: Action, place: Place) -> Target:
    """The thing `action` is done to, at `place`."""
    if action in PERSON_ACTIONS:
        return Target(
            school_id=place.school_id,
            person_id=place.pupil,
            person_role=Role.PUPIL,
            person_classes=frozenset({place.class_id}),
        )
    if action in SCHOOL_ACTIONS:
        return Target(school_id=place.school_id)
    if action in (Action.JOIN_STAFF_MEETING, Action.WATCH_EVENT):
        return Target(school_id=place.school_id, session_hosts=frozenset({place.admin}))
    if action is Action.JOIN_CONSULTATION:
        return Target(
            school_id=place.school_id,
            class_id=place.class_id,
            session_hosts=frozenset({place.teacher}),
            guest_id=place.pupil,
        )
    if action is Action.ERASE_PERSON:
        return Target(school_id=place.school_id, class_id=place.class_id, person_id=place.pupil)
    if action in SESSION_ACTIONS:
        return Target(
            school_id=place.school_id,
            class_id=place.class_id,
            session_hosts=frozenset({place.teacher}),
            parents_see_recordings=False,
        )
    return Target(school_id=place.school_id, class_id=place.class_id)


def test_the_matrix_covers_every_role_and_every_action_exactly_once() -> None:
    rows = [(role, action) for role, action, scope, _ in CASES if scope == SCOPES[0]]
    assert len(rows) == len(set(rows)), "a (role, action) row appears twice"
    assert set(rows) == {(role, action.value) for role in ACTORS for action in Action}
    assert {actor.role for actor in ACTORS.values()} == set(Role)


@pytest.mark.parametrize(
    ("role", "action", "scope", "expected"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}-{case[2]}") for case in CASES],
)
def test_permission_matrix(role: str, action: str, scope: str, expected: bool) -> None:
    target = target_for(Action(action), PLACES[scope])
    assert allowed(ACTORS[role], Action(action), target) is expected


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
@pytest.mark.parametrize("role", list(ACTORS))
def test_another_school_is_closed_even_when_the_target_names_the_actor(
    role: str, action: Action
) -> None:
    actor = ACTORS[role]
    classes = actor.teaches | actor.attends | actor.children_in
    target = Target(
        school_id="south",
        class_id=next(iter(classes), OWN.class_id),
        session_hosts=frozenset({actor.user_id}),
        guest_id=actor.user_id,
        parents_see_recordings=True,
    )
    assert not allowed(actor, action, target)


# --- moderation: the session's hosts ---------------------------------------------------------


def staff_meeting(created_by: str) -> Target:
    return Target(school_id="north", class_id=None, session_hosts=frozenset({created_by}))


def test_a_teacher_who_created_a_staff_meeting_moderates_it() -> None:
    other_teacher = Actor(
        "teacher-5b", "north", Role.TEACHER, verified=True, teaches=frozenset({"5b"})
    )
    assert allowed(other_teacher, Action.MODERATE, staff_meeting("teacher-5b"))


def test_a_teacher_who_only_attends_a_staff_meeting_does_not_moderate_it() -> None:
    assert allowed(ACTORS["teacher"], Action.JOIN_STAFF_MEETING, staff_meeting("teacher-5b"))
    assert not allowed(ACTORS["teacher"], Action.MODERATE, staff_meeting("teacher-5b"))


def test_an_admin_moderates_a_staff_meeting_someone_else_created() -> None:
    assert allowed(ACTORS["admin"], Action.MODERATE, staff_meeting("teacher-5b"))


# --- consultations: its host and its one guest, nobody else ----------------------------------


def consultation(host: str, guest: str) -> Target:
    return Target(
        school_id="north",
        class_id="5a",
        session_hosts=frozenset({host}),
        guest_id=guest,
    )


def test_the_guest_pupil_joins_the_consultation() -> None:
    assert allowed(
        ACTORS["pupil"], Action.JOIN_CONSULTATION, consultation("teacher-5a", "pupil-5a")
    )


def test_another_pupil_of_the_same_class_does_not_join_the_consultation() -> None:
    classmate = Actor("pupil-5a-2", "north", Role.PUPIL, verified=False, attends=frozenset({"5a"}))
    assert not allowed(classmate, Action.JOIN_CONSULTATION, consultation("teacher-5a", "pupil-5a"))


def test_a_teacher_of_the_class_who_is_not_the_host_does_not_join_the_consultation() -> None:
    co_teacher = Actor(
        "teacher-5a-2", "north", Role.TEACHER, verified=True, teaches=frozenset({"5a"})
    )
    assert not allowed(co_teacher, Action.JOIN_CONSULTATION, consultation("teacher-5a", "pupil-5a"))


def test_the_guest_parent_joins_the_consultation() -> None:
    assert allowed(
        ACTORS["parent"], Action.JOIN_CONSULTATION, consultation("teacher-5a", "parent-5a")
    )


def test_an_admin_who_started_a_consultation_joins_it() -> None:
    # An admin may start a consultation (the matrix), and then hosts it: the host joins.
    admin = ACTORS["admin"]
    assert allowed(admin, Action.START_CONSULTATION, Target(school_id="north", class_id="5a"))
    assert allowed(admin, Action.JOIN_CONSULTATION, consultation("head-north", "parent-5a"))


# --- recordings: parents of the class only when the school allows it -------------------------


def recording(class_id: str, parents_see_recordings: bool) -> Target:
    return Target(
        school_id="north",
        class_id=class_id,
        session_hosts=frozenset({f"teacher-{class_id}"}),
        parents_see_recordings=parents_see_recordings,
    )


def test_a_parent_of_the_class_watches_its_recording_when_the_school_allows_it() -> None:
    assert allowed(ACTORS["parent"], Action.WATCH_RECORDING, recording("5a", True))


def test_a_parent_of_another_class_does_not_watch_even_when_the_school_allows_it() -> None:
    assert not allowed(ACTORS["parent"], Action.WATCH_RECORDING, recording("5b", True))


def test_allowing_parents_lets_in_no_one_else() -> None:
    for role in ("unverified_teacher", "guest"):
        assert not allowed(ACTORS[role], Action.WATCH_RECORDING, recording("5a", True)), role
    assert not allowed(ACTORS["pupil"], Action.WATCH_RECORDING, recording("5b", True))
    assert not allowed(ACTORS["teacher"], Action.WATCH_RECORDING, recording("5b", True))


# --- people: password links and deactivation -------------------------------------------------


def person(user_id: str, role: Role, classes: set[str]) -> Target:
    return Target(
        school_id="north", person_id=user_id, person_role=role, person_classes=frozenset(classes)
    )


def test_a_teacher_makes_password_links_for_the_parents_of_their_class() -> None:
    assert allowed(ACTORS["teacher"], Action.RESET_PASSWORD, person("p", Role.PARENT, {"5a"}))
    assert not allowed(ACTORS["teacher"], Action.RESET_PASSWORD, person("p", Role.PARENT, {"5b"}))


def test_a_teacher_makes_no_password_link_for_staff_even_of_their_own_class() -> None:
    for role in (Role.TEACHER, Role.ADMIN):
        target = person("colleague", role, {"5a"})
        assert not allowed(ACTORS["teacher"], Action.RESET_PASSWORD, target), role


def test_an_admin_makes_password_links_for_staff_and_for_people_of_no_class() -> None:
    for role in (Role.TEACHER, Role.ADMIN, Role.PARENT, Role.PUPIL):
        assert allowed(ACTORS["admin"], Action.RESET_PASSWORD, person("x", role, set())), role


def test_no_one_deactivates_themselves() -> None:
    admin = ACTORS["admin"]
    assert not allowed(admin, Action.DEACTIVATE_PERSON, person(admin.user_id, Role.ADMIN, set()))
    assert allowed(admin, Action.DEACTIVATE_PERSON, person("head-2", Role.ADMIN, set()))


def test_person_actions_need_a_person() -> None:
    school = Target(school_id="north")
    for action in PERSON_ACTIONS:
        assert not allowed(ACTORS["admin"], action, school), action


def test_a_person_target_knows_their_classes_by_role() -> None:
    from classroom.models import SchoolClass, User

    classes = [
        SchoolClass("5a", "north", "5A", teachers=["t"], pupils=["kid"]),
        SchoolClass("5b", "north", "5B", pupils=["other"]),
        SchoolClass("7a", "south", "7A", pupils=["kid"]),
    ]
    parent = User("mum", "north", Role.PARENT, "Mum", children=["kid"])
    assert Target.of_person(parent, classes).person_classes == {"5a"}
    teacher = User("t", "north", Role.TEACHER, "T")
    assert Target.of_person(teacher, classes).person_classes == {"5a"}
    pupil = User("kid", "north", Role.PUPIL, "Kid")
    assert Target.of_person(pupil, classes) == Target(
        school_id="north", person_id="kid", person_role=Role.PUPIL, person_classes=frozenset({"5a"})
    )


# --- erasure: nobody erases themselves --------------------------------------------------------


def erasing(user_id: str) -> Target:
    return Target(school_id="north", person_id=user_id)


@pytest.mark.parametrize("role", list(ACTORS))
def test_nobody_erases_their_own_account(role: str) -> None:
    actor = ACTORS[role]
    assert not allowed(actor, Action.ERASE_PERSON, erasing(actor.user_id))


def test_an_admin_erases_another_admin_and_a_teacher_of_the_school() -> None:
    for other in ("head-north-2", "teacher-5a", "parent-5a"):
        assert allowed(ACTORS["admin"], Action.ERASE_PERSON, erasing(other)), other


def test_a_teacher_does_not_erase_a_pupil_of_their_own_class() -> None:
    target = Target(school_id="north", class_id="5a", person_id="pupil-5a")
    assert not allowed(ACTORS["teacher"], Action.ERASE_PERSON, target)
