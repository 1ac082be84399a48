"""A started lesson of class 7Б on a real server, for the tests of what happens in its room:
its teacher Ольга and pupils Аня, Борис and Вера sign in over REST, get their room tokens and
join with a `SignalClient` (`joined`) or a bot (`room_token`). The `lesson` fixture
(conftest.py) opens one per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from bench.signal_client import SignalClient
from classroom.models import SessionKind, User
from classroom.roles import Role
from signaling import api

if TYPE_CHECKING:  # conftest opens lessons with this module's `class_lesson`
    from .conftest import RunningServer

PUPILS = {"anya": "Аня Петрова", "boris": "Борис Ким", "vera": "Вера Соколова"}
PASSWORDS = {"admin": "admin-password", "olga": "teacher-pw-1"} | {
    login: "pupil-pw-12" for login in PUPILS
}

QUIZ = {
    "type": "poll_create",
    "question": "Сколько будет 1/2 + 1/4?",
    "options": ["2/6", "3/4", "1"],
    "multiple": False,
    "showResults": False,
    "correct": 1,
}
"""A quick quiz the teacher asks in the room: 3/4 is right."""
OPINION = {
    "type": "poll_create",
    "question": "Что повторить?",
    "options": ["Дроби", "Проценты"],
    "multiple": False,
    "showResults": False,
}
"""An opinion poll: nothing is right or wrong."""


@dataclass
class Lesson:
    server: RunningServer
    http: aiohttp.ClientSession
    id: str
    """The session's id, its room's name."""
    class_id: str
    admin: User
    teacher: User
    users: dict[str, User]
    """Login → the teacher and the pupils."""
    passwords: dict[str, str] = field(default_factory=lambda: dict(PASSWORDS))
    """Login → password (a test adds the people it creates)."""
    api_tokens: dict[str, str] = field(default_factory=dict)
    """Login → bearer token, signed in at the first call."""

    async def api_token(self, login: str) -> str:
        if login not in self.api_tokens:
            signed = await self.http.post(
                f"{self.server.url}/api/auth/login",
                json={"login": login, "password": self.passwords[login]},
            )
            assert signed.status == 200, await signed.text()
            self.api_tokens[login] = str((await signed.json())["token"])
        return self.api_tokens[login]

    async def call(self, method: str, path: str, who: str, **kw: Any) -> tuple[int, Any]:
        """The REST call as `who` (a login): its status and its JSON (or bytes)."""
        response = await self.http.request(
            method,
            f"{self.server.url}{path}",
            headers={"Authorization": f"Bearer {await self.api_token(who)}"},
            **kw,
        )
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()

    async def room_token(self, login: str) -> str:
        status, entry = await self.call("POST", f"/api/sessions/{self.id}/join", login)
        assert status == 200, entry
        return str(entry["token"])

    async def ended(self) -> bool:
        status, session = await self.call("GET", f"/api/sessions/{self.id}", "olga")
        return status == 200 and session["state"] == "ended"

    @asynccontextmanager
    async def joined(
        self, login: str, resume: str | None = None
    ) -> AsyncIterator[tuple[SignalClient, dict[str, Any]]]:
        """`login` in the room (resuming a dropped page with `resume`): the client and its
        `joined` message; it leaves at the end."""
        client = await SignalClient.connect(self.server.url)
        try:
            joined = await client.join(await self.room_token(login), resume_token=resume)
            yield client, joined
        finally:
            await client.close()


@asynccontextmanager
async def class_lesson(server: RunningServer) -> AsyncIterator[Lesson]:
    """Class 7Б of Аня, Борис and Вера with its teacher Ольга, and a lesson started."""
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", PASSWORDS["admin"])
    teacher = await classroom.create_teacher(admin, "Ольга Ивановна", "olga", PASSWORDS["olga"])
    teacher = await classroom.verify_teacher(admin, teacher.id)
    school_class = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    users = {"olga": teacher}
    for login, name in PUPILS.items():
        invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL)
        users[login] = await classroom.redeem_invite(invite.id, name, login, PASSWORDS[login])
    session = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", school_class.id)
    await classroom.start_session(teacher, session.id)
    async with aiohttp.ClientSession() as http:
        yield Lesson(server, http, session.id, school_class.id, admin, teacher, users)
