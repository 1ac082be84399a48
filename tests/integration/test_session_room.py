"""A classroom session's live room: entering it is counted as attendance, and ending the
session closes the room for everyone (and keeps them out)."""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
from typing import Any

import aiohttp

from classroom.models import SessionKind
from classroom.roles import Grants, Role
from signaling import api
from signaling.server_state import CLOSE_ENDED

from .conftest import RunningServer


async def join(
    http: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url.replace("http", "ws") + "/ws")
    await ws.send_json({"type": "join", "id": 1, "token": token})
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == "joined":
            return ws
        assert message["type"] != "error", message


async def test_attendance_is_kept_and_ending_the_lesson_closes_its_room(
    server: RunningServer,
) -> None:
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    teacher = await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")
    teacher = await classroom.verify_teacher(admin, teacher.id)
    school_class = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL)
    pupil = await classroom.redeem_invite(invite.id, "Аня Петрова", "anya", "pupil-pw-12")
    lesson = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", school_class.id)
    await classroom.start_session(teacher, lesson.id)

    async with aiohttp.ClientSession() as http:

        async def room_token(login: str, password: str) -> str:
            signed = await http.post(
                f"{server.url}/api/auth/login", json={"login": login, "password": password}
            )
            api_token = (await signed.json())["token"]
            entry = await http.post(
                f"{server.url}/api/sessions/{lesson.id}/join",
                headers={"Authorization": f"Bearer {api_token}"},
            )
            return str((await entry.json())["token"])

        teacher_ws = await join(http, server.url, await room_token("olga", "teacher-pw-1"))
        pupil_token = await room_token("anya", "pupil-pw-12")
        pupil_ws = await join(http, server.url, pupil_token)
        stays = await classroom.attendance(teacher, lesson.id)
        assert [(s.name, s.left_at) for s in stays] == [("Ольга", None), ("Аня Петрова", None)]

        await leave(pupil_ws)

        async def second_stay_closed() -> bool:
            return (await classroom.attendance(teacher, lesson.id))[1].left_at is not None

        await wait_until(second_stay_closed)
        pupil_ws = await join(http, server.url, pupil_token)  # back again: a second stay
        assert [s.user_id for s in await classroom.attendance(teacher, lesson.id)] == [
            teacher.id,
            pupil.id,
            pupil.id,
        ]

        await classroom.end_session(teacher, lesson.id)
        await server.state.end_room(lesson.id)
        for ws in (teacher_ws, pupil_ws):
            seen: list[str] = []
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    seen.append(message.json()["type"])
            assert "session_ended" in seen
            assert ws.close_code == CLOSE_ENDED

        # The room token outlives the lesson, the room does not let it back in.
        ws = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await ws.send_json({"type": "join", "id": 7, "token": pupil_token})
        reply: dict[str, Any] = await ws.receive_json(timeout=10)
        assert (reply["type"], reply["code"], reply["id"]) == ("error", "session_ended", 7)
        await ws.close()

    async def every_stay_closed() -> bool:
        return all(s.left_at is not None for s in await classroom.attendance(teacher, lesson.id))

    await wait_until(every_stay_closed)
    text = (await classroom.class_attendance_csv(teacher, lesson.id, "en")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Name", "Of the class", "Attendance", "Joined", "Left", "Minutes", "Stays"]
    # The class's pupil first, then the teacher who came without being on its list.
    assert [(r[0], r[1], r[2], r[6]) for r in rows[1:]] == [
        ("Аня Петрова", "yes", "present", "2"),
        ("Ольга", "no", "present", "1"),
    ]
    assert all(r[4] for r in rows[1:])  # everyone has left


async def leave(ws: Any) -> None:
    """Leave on purpose (a closed socket alone is a dropped connection: the place is kept)."""
    await ws.send_json({"type": "leave", "id": 99})
    async for _ in ws:
        pass


async def wait_until(condition: Any, within: float = 10.0) -> None:
    """Until `condition()` (or what it returns, awaited) is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await _answer(condition()):
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _answer(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def test_the_chat_is_kept_with_the_session(server: RunningServer) -> None:
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    lesson = await classroom.create_session(admin, SessionKind.STAFF_MEETING, "Педсовет")
    token = server.token(admin.id, Role.ADMIN, room=lesson.id)
    async with aiohttp.ClientSession() as http:
        ws = await join(http, server.url, token)
        await ws.send_json({"type": "chat", "id": 2, "text": "  Начинаем в 15:00 "})
        while (said := await ws.receive_json(timeout=10))["type"] != "chat":
            pass
        name = said["from"]["name"]  # the room token's name
        await leave(ws)
        await wait_until(lambda: server.state.rooms.present(lesson.id) is None)
        # The room starts again from nothing; the chat comes back from the database.
        ws = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await ws.send_json({"type": "join", "id": 1, "token": token})
        joined: dict[str, Any] = await ws.receive_json(timeout=10)
        assert joined["title"] == "Педсовет"
        assert [(m["from"]["name"], m["text"]) for m in joined["chat"]] == [
            (name, "Начинаем в 15:00")
        ]
        await ws.close()
    assert [(c.user_id, c.name, c.text) for c in await classroom.chat(admin, lesson.id)] == [
        (admin.id, name, "Начинаем в 15:00")
    ]


async def test_pupils_who_come_early_wait_until_the_teacher_starts(
    server: RunningServer,
) -> None:
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    teacher = await classroom.verify_teacher(
        admin, (await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")).id
    )
    school_class = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    lesson = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", school_class.id)
    async with aiohttp.ClientSession() as http:
        early = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await early.send_json(
            {"type": "join", "id": 1, "token": server.token("anya", room=lesson.id)}
        )
        assert await early.receive_json(timeout=10) == {"type": "waiting", "id": 1}
        assert (await classroom.session(teacher, lesson.id)).state.value == "scheduled"

        # The teacher entering the room starts the lesson; the early pupil comes in.
        teacher_ws = await join(
            http, server.url, server.token(teacher.id, Role.TEACHER, room=lesson.id)
        )
        while (message := await early.receive_json(timeout=10))["type"] != "joined":
            assert message["type"] != "error", message
        assert message["id"] == 1
        assert (await classroom.session(teacher, lesson.id)).state.value == "live"
        await early.close()
        await teacher_ws.close()


async def test_a_removal_outlasts_the_servers_memory_of_the_room(server: RunningServer) -> None:
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    meeting = await classroom.create_session(admin, SessionKind.STAFF_MEETING, "Педсовет")
    host_token = server.token(admin.id, Role.ADMIN, room=meeting.id)
    guest_token = server.token("intruder", Role.TEACHER, Grants(publish=True), room=meeting.id)
    async with aiohttp.ClientSession() as http:
        host = await join(http, server.url, host_token)
        guest = await join(http, server.url, guest_token)
        participants = server.state.rooms.roster(meeting.id).participants
        intruder = next(p.id for p in participants.values() if p.identity == "intruder")
        await host.send_json({"type": "remove_participant", "id": 3, "participantId": intruder})
        async for _ in guest:
            pass
        await leave(host)
        await wait_until(lambda: server.state.rooms.present(meeting.id) is None)
        # What a restart does to the live rooms: their memory is gone, the database stays.
        server.state.rooms.forget_room(meeting.id)
        ws = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await ws.send_json({"type": "join", "id": 1, "token": guest_token})
        reply: dict[str, Any] = await ws.receive_json(timeout=10)
        assert (reply["type"], reply["code"]) == ("error", "removed")
        await ws.close()
