"""Retention over the real app: an admin sets how many days recordings are kept (PATCH
/api/school, checked), and the server's own sweep (every 0.3 s here) deletes the recordings
older than that, made by the real recording code, while the younger one stays listed and
playable; back to "keep" (0 or null), nothing more is deleted."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.bots import PublisherBot
from recording.sidecar import read_sidecar, session_folder, write_sidecar
from signaling import api
from signaling.app import STATE, create_app
from signaling.config import Config

from .school_api import ADMIN_PW, SECRET, School, set_up_class

DAY = 24 * 3600


@pytest.fixture
async def swept_school(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[School]:
    config = Config(
        data_dir=tmp_path,
        database=str(tmp_path / "school.sqlite3"),
        secret=SECRET,
        sfu_workers=0,
        compose_workers=0,
        retention_period=0.3,
    )
    client = await aiohttp_client(create_app(config))
    classroom = client.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа №5", "Анна Admin", "anna", ADMIN_PW)
    state = School(client, classroom, admin, "")
    state.admin_token = await state.login("anna", ADMIN_PW)
    yield state


async def test_the_school_sets_how_long_recordings_are_kept(swept_school: School) -> None:
    s = swept_school
    status, school = await s.call("GET", "/api/school", s.admin_token)
    assert (status, school["recordings_kept_days"]) == (200, None)
    for value, field_error in ((3651, 400), (-1, 400), ("30", 400), (1.5, 400), (True, 400)):
        status, body = await s.call(
            "PATCH", "/api/school", s.admin_token, {"recordings_kept_days": value}
        )
        assert (status, body["error"]["code"], body["error"]["field"]) == (
            field_error,
            "invalid_input",
            "recordings_kept_days",
        ), value
    teacher, _ = await set_up_class(s)
    status, body = await s.call("PATCH", "/api/school", teacher, {"recordings_kept_days": 1})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    for value, stored in ((30, 30), (0, None), (3650, 3650), (None, None), (1, 1)):
        status, school = await s.call(
            "PATCH", "/api/school", s.admin_token, {"recordings_kept_days": value}
        )
        assert (status, school["recordings_kept_days"]) == (200, stored), value
    # Other fields leave it as it is.
    status, school = await s.call("PATCH", "/api/school", s.admin_token, {"name": "Школа №6"})
    assert (school["name"], school["recordings_kept_days"]) == ("Школа №6", 1)


async def test_the_server_deletes_recordings_older_than_the_setting(swept_school: School) -> None:
    s = swept_school
    teacher, class_id = await set_up_class(s)
    _, lesson = await s.call(
        "POST", "/api/sessions", teacher, {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    )
    await s.call("POST", f"/api/sessions/{lesson['id']}/start", teacher)
    _, entry = await s.call("POST", f"/api/sessions/{lesson['id']}/join", teacher)
    switch = f"/api/sessions/{lesson['id']}/recording"
    base = str(s.client.make_url("")).rstrip("/")
    async with PublisherBot(base, entry["token"], video_size=(320, 240)) as bot:
        await bot.start()
        _, started = await s.call("POST", switch, teacher, {"on": True})
        await asyncio.sleep(1.5)
        _, stopped = await s.call("POST", switch, teacher, {"on": False})
        assert stopped["tracks"] == 2
    young_id = started["recordingId"]
    folder = session_folder(s.client.app[api.RECORDINGS], lesson["id"])
    # The stop starts a remux in the background (a .tmp file renamed when whole): copying the
    # folder before it ends copies half of it, or loses a file renamed under the copy.
    for _ in range(200):
        busy = s.client.app[STATE].background or any(folder.rglob("*.tmp"))
        if not busy:
            break
        await asyncio.sleep(0.05)
    assert not busy, "the recording's remux did not end"
    # Two older copies of the real recording, stopped 2 days and 20 hours ago.
    for old_id, age in (
        ("20200101-000000-aaaaaa", 2 * DAY),
        ("20200102-000000-bbbbbb", DAY - 4 * 3600),
    ):
        shutil.copytree(folder / young_id, folder / old_id)
        content = read_sidecar(folder / old_id) or {}
        write_sidecar(folder / old_id, {**content, "stopped": content["stopped"] - age})
    path = f"/api/sessions/{lesson['id']}/recordings"
    _, listed = await s.call("GET", path, teacher)
    assert [r["id"] for r in listed["recordings"]] == [
        young_id,
        "20200102-000000-bbbbbb",
        "20200101-000000-aaaaaa",
    ]
    _, detail = await s.call("GET", f"{path}/20200101-000000-aaaaaa", teacher)
    old_file = f"{path}/20200101-000000-aaaaaa/files/{detail['files'][0]['name']}"
    response = await s.client.get(old_file, params={"token": teacher})
    assert response.status == 200
    await asyncio.sleep(1.0)  # sweeps ran: the school keeps recordings until deleted
    assert len((await s.call("GET", path, teacher))[1]["recordings"]) == 3

    await s.call("PATCH", "/api/school", s.admin_token, {"recordings_kept_days": 1})
    for _ in range(50):
        _, listed = await s.call("GET", path, teacher)
        if len(listed["recordings"]) < 3:
            break
        await asyncio.sleep(0.1)
    assert [r["id"] for r in listed["recordings"]] == [young_id, "20200102-000000-bbbbbb"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "20200102-000000-bbbbbb",
        young_id,
    ]
    response = await s.client.get(old_file, params={"token": teacher})
    assert response.status == 404
    status, body = await s.call("GET", f"{path}/20200101-000000-aaaaaa", teacher)
    assert (status, body["error"]["code"]) == (404, "not_found")
    young_file = f"{path}/{young_id}/files/{detail['files'][0]['name']}"
    response = await s.client.get(young_file, params={"token": teacher})
    assert response.status == 200

    await s.call("PATCH", "/api/school", s.admin_token, {"recordings_kept_days": 0})
    await asyncio.sleep(1.0)
    assert len((await s.call("GET", path, teacher))[1]["recordings"]) == 2
