"""The records the contract tests write, built the same way each time."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from classroom.administration import AdminRepository
from classroom.models import Invite, School, SchoolClass, Session, SessionKind, User
from classroom.password_links import PasswordLink
from classroom.roles import Role

Store = AdminRepository
"""Every method the server calls on a store, each `async def` (issue 17)."""


def school(school_id: str = "s1") -> School:
    return School(id=school_id, name=f"School {school_id}")


def teacher(user_id: str = "t1", school_id: str = "s1", login: str | None = None) -> User:
    return User(
        id=user_id, school_id=school_id, role=Role.TEACHER, name=f"Teacher {user_id}", login=login
    )


def pupil(user_id: str, login: str | None = None) -> User:
    return User(id=user_id, school_id="s1", role=Role.PUPIL, name=f"Pupil {user_id}", login=login)


def parent(user_id: str, *children: str, login: str | None = None) -> User:
    return User(
        id=user_id,
        school_id="s1",
        role=Role.PARENT,
        name=f"Parent {user_id}",
        login=login,
        children=list(children),
    )


def invite(invite_id: str = "i1", created_at: float = 100.0, **changes: Any) -> Invite:
    base = Invite(
        id=invite_id,
        school_id="s1",
        class_id="c1",
        role=Role.PUPIL,
        created_by="t1",
        created_at=created_at,
        expires_at=created_at + 86400.0,
        max_uses=30,
    )
    return replace(base, **changes)


def lesson(session_id: str = "x", **changes: Any) -> Session:
    base = Session(
        id=session_id,
        school_id="s1",
        kind=SessionKind.LESSON,
        title="A",
        created_by="t1",
        created_at=1.0,
    )
    return replace(base, **changes)


def link(user_id: str, secret_hash: str, expires_at: float = 200.0) -> PasswordLink:
    return PasswordLink(secret_hash, user_id, "t1", 100.0, expires_at)


async def with_class(store: Store, *pupils: str) -> SchoolClass:
    """School s1, teacher t1, the given pupils, and class c1 of them all."""
    await store.add_school(school())
    await store.add_user(teacher())
    for pupil_id in pupils:
        await store.add_user(pupil(pupil_id))
    school_class = SchoolClass(
        id="c1", school_id="s1", name="5B", teachers=["t1"], pupils=list(pupils)
    )
    await store.add_class(school_class)
    return school_class
