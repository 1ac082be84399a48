"""What a lesson keeps of its breakout groups (issue 18): each `breakout` change is a line of
the recording's timeline (one recorded after the groups began starts with their state); a
group's chat reaches neither the timeline nor the session's chat record, which the whole class
sees later (a replay, a room that starts again), while the room-wide chat does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bench.signal_client import SignalClient
from classroom.models import SessionKind
from classroom.roles import Role
from recording.sidecar import session_folder
from recording.timeline import read_timeline
from signaling import api

from .conftest import RunningServer


@pytest.fixture
async def lesson(server: RunningServer) -> AsyncIterator[tuple[RunningServer, str, dict[str, str]]]:
    """A started lesson of 7Б: the teacher Ольга and three pupils; their room tokens."""
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    teacher = await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")
    teacher = await classroom.verify_teacher(admin, teacher.id)
    seventh = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, seventh.id, teacher.id)
    passwords = {"olga": "teacher-pw-1"}
    for login in ("anya", "boris", "vera"):
        invite = await classroom.create_invite(teacher, seventh.id, Role.PUPIL)
        await classroom.redeem_invite(invite.id, login.title(), login, f"{login}-pupil-pw")
        passwords[login] = f"{login}-pupil-pw"
    session = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", seventh.id)
    await classroom.start_session(teacher, session.id)
    tokens = {}
    async with aiohttp.ClientSession() as http:
        for login, password in passwords.items():
            signed = await http.post(
                f"{server.url}/api/auth/login", json={"login": login, "password": password}
            )
            api_token = (await signed.json())["token"]
            entry = await http.post(
                f"{server.url}/api/sessions/{session.id}/join",
                headers={"Authorization": f"Bearer {api_token}"},
            )
            tokens[login] = str((await entry.json())["token"])
    yield server, session.id, tokens


async def test_breakout_changes_are_recorded_and_group_chat_is_not_kept(
    lesson: tuple[RunningServer, str, dict[str, str]],
) -> None:
    server, session_id, tokens = lesson
    clients: dict[str, SignalClient] = {}
    joined = {}
    try:
        for login in ("olga", "anya", "boris", "vera"):
            clients[login] = await SignalClient.connect(server.url)
            joined[login] = await clients[login].join(tokens[login])
        olga, anya = clients["olga"], clients["anya"]
        identity = {login: j["self"]["identity"] for login, j in joined.items()}
        groups = [[identity["anya"], identity["boris"]], [identity["vera"]]]
        await olga.request({"type": "breakout_start", "groups": groups, "seconds": 600})
        started = await olga.request({"type": "start_recording"})
        await anya.request({"type": "chat", "text": "только для группы"})
        await clients["boris"].wait_for("chat")
        await olga.request({"type": "breakout_visit", "group": 2})
        await olga.request({"type": "breakout_end"})
        await anya.wait_for("breakout", lambda m: m["breakout"] is None)
        await anya.request({"type": "chat", "text": "для всех"})
        await clients["vera"].wait_for("chat", lambda m: m["text"] == "для всех")
        await olga.request({"type": "stop_recording"})
        assert [e["text"] for e in clients["vera"].events if e["type"] == "chat"] == ["для всех"]
    finally:
        for client in clients.values():
            await client.close()
    recordings = server.state.recordings
    assert recordings is not None
    directory = session_folder(Path(recordings), session_id) / started["recordingId"]
    lines = [e for e in read_timeline(directory) if e["type"] in ("breakout", "chat")]
    assert [(e["type"], e.get("by") is None, e.get("text")) for e in lines] == [
        ("breakout", True, None),  # the groups as they were when the recording began
        ("breakout", False, None),  # the teacher's visit
        ("breakout", False, None),  # the end
        ("chat", True, "для всех"),
    ]
    assert lines[0]["breakout"]["groups"][0]["members"] == groups[0]
    assert lines[1]["breakout"]["visits"] == {identity["olga"]: 2}
    assert lines[2]["breakout"] is None and lines[2]["reason"] == "ended"
    record = server.state.record
    assert record is not None
    kept = await record.recent_chat(session_id, 200)
    assert [line.text for line in kept] == ["для всех"]
