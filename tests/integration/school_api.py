"""A real app with a real SQLite school for REST tests: its admin signed in, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from classroom.models import User
from classroom.service import Classroom
from signaling import api
from signaling.app import create_app
from signaling.config import Config

SECRET = "api-test-secret-0123456789abcdef-xyz"
ADMIN_PW = "admin-password-1"


@dataclass
class School:
    client: TestClient[Any, web.Application]
    classroom: Classroom
    admin: User
    admin_token: str

    async def call(
        self, method: str, path: str, token: str | None = None, json: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.request(method, path, json=json, headers=headers, **kw)
        body = await response.json() if response.content_type == "application/json" else None
        # These calls are an API client's: the bearer token only. A sign-in's cookie would
        # make the next call without a token signed in (tests/integration/test_sign_ins.py
        # tests the cookie as a browser uses it).
        self.client.session.cookie_jar.clear()
        return response.status, body

    async def login(self, login: str, password: str) -> str:
        status, body = await self.call(
            "POST", "/api/auth/login", json={"login": login, "password": password}
        )
        assert status == 200, body
        return str(body["token"])


async def open_school(
    aiohttp_client: Any,
    tmp_path: Path,
    prepare: Callable[[web.Application], None] | None = None,
    **settings: Any,
) -> AsyncIterator[School]:
    """`settings`: `Config` fields on top of the tests' own; `prepare` sees the app before it
    starts (to set what the signalling layer would)."""
    config = Config(
        data_dir=tmp_path,
        database=str(tmp_path / "school.sqlite3"),
        secret=SECRET,
        sfu_workers=0,
        **settings,
    )
    app = create_app(config)
    if prepare is not None:
        prepare(app)
    client = await aiohttp_client(app)
    classroom = client.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа №5", "Анна Admin", "anna", ADMIN_PW)
    state = School(client, classroom, admin, "")
    state.admin_token = await state.login("anna", ADMIN_PW)
    yield state


async def set_up_class(s: School) -> tuple[str, str]:
    """A verified teacher teaching class 5A: (teacher token, class id)."""
    status, teacher = await s.call(
        "POST",
        "/api/users",
        s.admin_token,
        {"name": "Ольга Ивановна", "login": "olga", "password": "teacher-pw-1"},
    )
    assert status == 200 and teacher["verified"] is False
    status, verified = await s.call("POST", f"/api/users/{teacher['id']}/verify", s.admin_token)
    assert (status, verified["verified"]) == (200, True)
    status, made = await s.call("POST", "/api/classes", s.admin_token, {"name": "5A"})
    assert status == 200
    status, _ = await s.call(
        "POST", f"/api/classes/{made['id']}/teachers", s.admin_token, {"teacher_id": teacher["id"]}
    )
    assert status == 200
    return await s.login("olga", "teacher-pw-1"), str(made["id"])
