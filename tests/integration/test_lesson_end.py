"""A lesson ends: a host ends it for everyone from the room, and a live session left without
a host for HOSTLESS_MINUTES ends by itself and says so (also after a restart)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from classroom.models import Session, SessionKind, SessionState, User
from classroom.roles import Role
from classroom.service import Classroom
from signaling import api
from signaling.server_state import CLOSE_ENDED

from .conftest import RunningServer, serving
from .test_session_room import join

HOSTLESS = 1.0
"""Seconds without a host before a session ends, in these tests."""


async def _school(
    classroom: Classroom, kind: SessionKind = SessionKind.LESSON
) -> tuple[Session, User]:
    """Ольга's class 7Б with the pupil Аня, a live session of `kind` for it, and the admin."""
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    teacher = await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")
    teacher = await classroom.verify_teacher(admin, teacher.id)
    school_class = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL)
    await classroom.redeem_invite(invite.id, "Аня Петрова", "anya", "pupil-pw-12")
    of_class = kind is not SessionKind.EVENT  # an event is the school's, not a class's
    session = await classroom.create_session(
        teacher, kind, "Дроби", school_class.id if of_class else None
    )
    return await classroom.start_session(teacher, session.id), admin


async def _in_state(
    classroom: Classroom, admin: User, session: Session, state: SessionState
) -> bool:
    return (await _now(classroom, admin, session)).state is state


async def _now(classroom: Classroom, admin: User, session: Session) -> Session:
    return await classroom.session(admin, session.id)


async def _room_token(http: aiohttp.ClientSession, url: str, session: str, login: str) -> str:
    password = {"olga": "teacher-pw-1", "anya": "pupil-pw-12"}[login]
    async with http.post(
        f"{url}/api/auth/login", json={"login": login, "password": password}
    ) as response:
        token = (await response.json())["token"]
    async with http.post(
        f"{url}/api/sessions/{session}/join", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return str((await response.json())["token"])


async def _farewell(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The last message before the server closed the socket."""
    last: dict[str, Any] = {}
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            last = message.json()
    return last


async def _request(ws: aiohttp.ClientWebSocketResponse, body: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json(body)
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=10)
        if message.get("id") == body["id"]:
            return message


async def _until(check: Callable[[], bool | Awaitable[bool]], within: float = 10.0) -> None:
    """Until `check()` (or what it returns, awaited) is true."""
    deadline = asyncio.get_running_loop().time() + within
    while not await _answer(check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _answer(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else result


async def test_a_host_ends_the_lesson_for_everyone_from_the_room(server: RunningServer) -> None:
    classroom = server.app[api.CLASSROOM]
    lesson, admin = await _school(classroom)
    async with aiohttp.ClientSession() as http:
        teacher = await join(
            http, server.url, await _room_token(http, server.url, lesson.id, "olga")
        )
        pupil = await join(http, server.url, await _room_token(http, server.url, lesson.id, "anya"))

        refused = await _request(pupil, {"type": "end_session", "id": 7})
        assert refused == {
            "type": "error",
            "id": 7,
            "code": "not_host",
            "message": "only the session's hosts may do this",
        }
        assert await _request(teacher, {"type": "end_session", "id": 8}) == {"type": "ok", "id": 8}
        for ws in (pupil, teacher):
            assert await _farewell(ws) == {"type": "session_ended", "reason": "ended"}
            assert ws.close_code == CLOSE_ENDED
    ended = await _now(classroom, admin, lesson)
    assert ended.state is SessionState.ENDED and ended.ended_at is not None


async def test_a_lesson_without_its_teacher_ends_by_itself_and_says_why(tmp_path: Path) -> None:
    async with serving(tmp_path, hostless_end=HOSTLESS) as server:
        classroom = server.app[api.CLASSROOM]
        lesson, admin = await _school(classroom)
        async with aiohttp.ClientSession() as http:
            olga = await _room_token(http, server.url, lesson.id, "olga")
            teacher = await join(http, server.url, olga)
            pupil = await join(
                http, server.url, await _room_token(http, server.url, lesson.id, "anya")
            )
            hostless = server.state.hostless
            assert hostless is not None and hostless.waiting(lesson.id) is None

            # The teacher steps out and comes back in time: nothing ends.
            await _request(teacher, {"type": "leave", "id": 1})
            await _until(lambda: hostless.waiting(lesson.id) is not None)
            teacher = await join(http, server.url, olga)
            assert hostless.waiting(lesson.id) is None
            await asyncio.sleep(HOSTLESS * 1.5)
            assert (await _now(classroom, admin, lesson)).state is SessionState.LIVE

            # The teacher leaves for good: the pupil is told, and the lesson is over.
            await _request(teacher, {"type": "leave", "id": 2})
            farewell = await asyncio.wait_for(_farewell(pupil), timeout=HOSTLESS + 10)
            assert farewell == {"type": "session_ended", "reason": "no_host", "minutes": 1}
            assert pupil.close_code == CLOSE_ENDED
        assert (await _now(classroom, admin, lesson)).state is SessionState.ENDED


async def test_a_started_lesson_nobody_hosts_ends_even_with_nobody_in_it(tmp_path: Path) -> None:
    async with serving(tmp_path, hostless_end=HOSTLESS) as server:
        classroom = server.app[api.CLASSROOM]
        lesson, admin = await _school(classroom)
        await server.state.start_room(lesson.id)  # what POST /api/sessions/{id}/start calls
        await _until(lambda: _in_state(classroom, admin, lesson, SessionState.ENDED))


async def test_a_lesson_left_live_by_a_crash_ends_unless_its_teacher_returns(
    tmp_path: Path,
) -> None:
    database = str(tmp_path / "school.sqlite3")
    async with serving(tmp_path, database=database) as first:
        lesson, admin = await _school(first.app[api.CLASSROOM])
    # The first server stopped with the lesson live (as after kill -9: nothing ended it).
    async with serving(tmp_path, database=database, hostless_end=HOSTLESS) as again:
        classroom = again.app[api.CLASSROOM]
        assert (await _now(classroom, admin, lesson)).state is SessionState.LIVE
        await _until(lambda: _in_state(classroom, admin, lesson, SessionState.ENDED))


async def test_an_event_goes_on_while_its_performers_perform(tmp_path: Path) -> None:
    async with serving(tmp_path, hostless_end=HOSTLESS) as server:
        classroom = server.app[api.CLASSROOM]
        event, admin = await _school(classroom, SessionKind.EVENT)
        await server.state.start_room(event.id)
        await asyncio.sleep(HOSTLESS * 1.5)
        assert (await _now(classroom, admin, event)).state is SessionState.LIVE
        assert server.state.hostless is not None
        assert server.state.hostless.waiting(event.id) is None


async def test_the_school_page_sees_who_is_in_a_live_room_and_when_it_ends(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, hostless_end=600.0) as server:
        classroom = server.app[api.CLASSROOM]
        lesson, _ = await _school(classroom)
        async with aiohttp.ClientSession() as http:

            async def listed() -> dict[str, Any]:
                async with http.post(
                    f"{server.url}/api/auth/login",
                    json={"login": "admin", "password": "admin-password"},
                ) as response:
                    token = (await response.json())["token"]
                async with http.get(
                    f"{server.url}/api/sessions", headers={"Authorization": f"Bearer {token}"}
                ) as response:
                    sessions = (await response.json())["sessions"]
                room: dict[str, Any] = sessions[0]["room"]
                return room

            olga = await _room_token(http, server.url, lesson.id, "olga")
            teacher = await join(http, server.url, olga)
            pupil = await join(
                http, server.url, await _room_token(http, server.url, lesson.id, "anya")
            )
            assert await listed() == {"people": 2, "host": True, "ends_at": None}
            await _request(teacher, {"type": "leave", "id": 1})
            await _until(
                lambda: (
                    server.state.hostless is not None
                    and server.state.hostless.waiting(lesson.id) is not None
                )
            )
            room = await listed()
            now = time.time()
            assert (room["people"], room["host"]) == (1, False)
            assert now + 590 <= room["ends_at"] <= now + 601
            await pupil.close()
