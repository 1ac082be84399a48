"""`make run`'s demo school: made once in an empty database, its sign-ins printed at start."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from classroom.roles import Role
from classroom.service import Classroom

SCHOOL = "Школа №1"
CLASS = "7Б"
PUPILS = (("Аня Петрова", "anya"), ("Ваня Смирнов", "vanya"), ("Maria Lopez", "maria"))


@dataclass(frozen=True)
class DemoAccount:
    role: str
    name: str
    login: str
    password: str


async def seed(classroom: Classroom, accounts_file: Path) -> list[DemoAccount]:
    """Create the demo school if the database has no school; return its accounts.

    Passwords are random per database and kept beside it (mode 600), so a demo server
    exposed by mistake does not open with a password from our README.
    """
    if await classroom.has_schools():
        return await asyncio.to_thread(_read, accounts_file)
    accounts: list[DemoAccount] = []

    def password() -> str:
        return secrets.token_urlsafe(9)

    def remember(role: Role, name: str, login: str, pw: str) -> None:
        accounts.append(DemoAccount(role.value, name, login, pw))

    admin_pw = password()
    admin = await classroom.create_school(SCHOOL, "Елена Сергеевна", "admin", admin_pw)
    remember(Role.ADMIN, "Елена Сергеевна", "admin", admin_pw)
    teacher_pw = password()
    teacher = await classroom.create_teacher(admin, "Ольга Ивановна", "olga", teacher_pw)
    await classroom.verify_teacher(admin, teacher.id)
    remember(Role.TEACHER, teacher.name, "olga", teacher_pw)
    school_class = await classroom.create_class(admin, CLASS)
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    teacher = await classroom.user(teacher.id)  # verified now
    # Pupils and the parent arrive the way real ones do: through the teacher's invite links.
    pupil_invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL)
    first_pupil = None
    for name, login in PUPILS:
        pw = password()
        pupil = await classroom.redeem_invite(pupil_invite.id, name, login, pw)
        first_pupil = first_pupil or pupil
        remember(Role.PUPIL, name, login, pw)
    assert first_pupil is not None
    parent_invite = await classroom.create_invite(
        teacher, school_class.id, Role.PARENT, child_id=first_pupil.id
    )
    parent_pw = password()
    await classroom.redeem_invite(parent_invite.id, "Ирина Петрова", "irina", parent_pw)
    remember(Role.PARENT, "Ирина Петрова", "irina", parent_pw)
    await asyncio.to_thread(_write, accounts_file, accounts)
    return accounts


def _read(path: Path) -> list[DemoAccount]:
    if not path.exists():
        return []
    return [DemoAccount(**a) for a in json.loads(path.read_text())]


def _write(path: Path, accounts: list[DemoAccount]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps([a.__dict__ for a in accounts], ensure_ascii=False))
