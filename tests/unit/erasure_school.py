"""The school both erasure suites erase people from: a class 5A with a teacher, two pupils and
a parent of both, a lesson, a consultation and an event, with what each said, answered and
signed in with (tests/unit/test_erasure.py for `Erasure`'s refusals on SQLite,
tests/unit/repository_contract/test_erasure.py for each store's transaction)."""

from __future__ import annotations

from classroom.models import (
    Attendance,
    ChatLine,
    Invite,
    School,
    SchoolClass,
    Session,
    SessionKind,
    SignIn,
    User,
)
from classroom.poll_records import PollAnswer, PollRecord
from classroom.roles import Role
from tests.unit.repository_contract.records import Store

ADMIN = User("a1", "s1", Role.ADMIN, "Анна Админ", login="anna", verified=True)
TEACHER = User("t1", "s1", Role.TEACHER, "Ольга Ивановна", login="olga", verified=True)
PETYA = User("p1", "s1", Role.PUPIL, "Петя Иванов", login="petya")
MASHA = User("p2", "s1", Role.PUPIL, "Маша Петрова", login="masha")
PARENT = User("m1", "s1", Role.PARENT, "Ирина Иванова", login="irina", children=["p1", "p2"])


def invite(invite_id: str, created_by: str, child_id: str | None = None) -> Invite:
    role = Role.PARENT if child_id else Role.PUPIL
    return Invite(invite_id, "s1", "c1", role, created_by, 10.0, 9e9, 5, child_id=child_id)


async def fill_school(store: Store) -> Store:
    """A class 5A with a teacher, two pupils and a parent of both; a lesson, a consultation
    with Petya and an event he performs at, where each has spoken and come."""
    await store.add_school(School("s1", "Школа"))
    for user in (ADMIN, TEACHER, PETYA, MASHA, PARENT):
        await store.add_user(user)
    await store.add_class(SchoolClass("c1", "s1", "5A", teachers=["t1"], pupils=["p1", "p2"]))
    await store.add_invite(invite("i-teacher", "t1"))
    await store.add_invite(invite("i-petya", "t1", child_id="p1"))
    await store.add_invite(invite("i-masha", "a1", child_id="p2"))
    await store.add_session(
        Session("l1", "s1", SessionKind.LESSON, "Дроби", "t1", 1.0, class_id="c1")
    )
    await store.add_session(
        Session("k1", "s1", SessionKind.CONSULTATION, "Разговор", "t1", 2.0, "c1", guest_id="p1")
    )
    await store.add_session(
        Session("e1", "s1", SessionKind.EVENT, "Концерт", "a1", 3.0, performers=("p1", "p2"))
    )
    for user in (TEACHER, PETYA, MASHA):
        await store.add_attendance(Attendance("l1", user.id, user.name, joined_at=5.0, left_at=9.0))
        await store.add_chat(ChatLine("l1", user.id, user.name, f"hello from {user.login}", 6.0))
    await store.add_removal("l1", "p1")
    await store.add_removal("l1", "p2")
    await store.add_poll(PollRecord("q1", "l1", "2 + 2?", ("3", "4"), False, "t1", 6.5, 1))
    for user in (PETYA, MASHA):
        await store.put_poll_answer(PollAnswer("q1", user.id, user.name, (1,), 7.0))
    await store.sign_ins.add(SignIn("si-petya-1", "p1", 1.0, 9e9))
    await store.sign_ins.add(SignIn("si-petya-2", "p1", 2.0, 9e9, revoked_at=3.0))
    await store.sign_ins.add(SignIn("si-masha", "p2", 1.0, 9e9))
    await store.sign_ins.add(SignIn("si-olga", "t1", 1.0, 9e9))
    return store


async def everything(store: Store) -> dict[str, object]:
    """Every row of the school, for comparing before and after."""
    return {
        "users": await store.users("s1"),
        "classes": await store.classes("s1"),
        "invites": await store.invites("c1"),
        "sessions": await store.sessions("s1"),
        "attendance": await store.attendance("l1"),
        "chat": await store.chat("l1", 100),
        "removed": [await store.is_removed("l1", u) for u in ("p1", "p2")],
        "polls": await store.polls("l1"),
        "poll_answers": await store.poll_answers("l1"),
        "sign_ins": [
            await store.sign_ins.get(i) for i in ("si-petya-1", "si-petya-2", "si-masha", "si-olga")
        ],
    }
