"""A lesson recorded through the real app (started and stopped over REST by its teacher), then
its recordings over the REST API: the class's pupil and teacher list, look at and fetch them
(with Range, the token in the URL as a <video> sends it); a parent only once the school allows
it; a pupil of another class and anyone without a token never, direct file URLs included; only
the teacher deletes."""

from __future__ import annotations

import asyncio

import av
import pytest

from bench.bots import PublisherBot
from signaling import api

from .school_api import School, set_up_class


async def member(
    s: School, class_id: str, inviter: str, role: str, login: str, **extra: str
) -> tuple[str, str]:
    """Someone who joined `class_id` by an invite link: (API token, user id)."""
    _, invite = await s.call("POST", f"/api/classes/{class_id}/invites", inviter, {"role": role})
    body = {"name": login.title(), "login": login, "password": f"{login}-password-1", **extra}
    status, signed = await s.call("POST", f"/api/invites/{invite['id']}/redeem", json=body)
    assert status == 200, signed
    return str(signed["token"]), str(signed["user"]["id"])


async def test_a_recorded_lesson_is_watched_by_its_class_only(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    pupil, pupil_id = await member(s, class_id, teacher, "pupil", "petya")
    parent, _ = await member(s, class_id, teacher, "parent", "irina", child_id=pupil_id)
    _, other_class = await s.call("POST", "/api/classes", s.admin_token, {"name": "6B"})
    stranger, _ = await member(s, other_class["id"], s.admin_token, "pupil", "vasya")

    _, lesson = await s.call(
        "POST", "/api/sessions", teacher, {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    )
    await s.call("POST", f"/api/sessions/{lesson['id']}/start", teacher)
    switch = f"/api/sessions/{lesson['id']}/recording"
    status, body = await s.call("POST", switch, teacher, {"on": True})
    assert (status, body["error"]["code"]) == (409, "session_not_live")  # no one in the room
    _, entry = await s.call("POST", f"/api/sessions/{lesson['id']}/join", teacher)
    base = str(s.client.make_url("")).rstrip("/")
    async with PublisherBot(base, entry["token"], video_size=(640, 360)) as bot:
        await bot.start()
        status, body = await s.call("POST", switch, pupil, {"on": True})
        assert (status, body["error"]["code"]) == (403, "forbidden")
        status, body = await s.call("POST", switch, teacher, {"on": "yes"})
        assert (status, body["error"]["code"]) == (400, "invalid_input")
        status, started = await s.call("POST", switch, teacher, {"on": True})
        assert status == 200 and started["recording"] is True
        assert await bot.signal.wait_for("recording") == {"type": "recording", "on": True}
        await asyncio.sleep(2.5)
        status, stopped = await s.call("POST", switch, teacher, {"on": False})
        assert (status, stopped) == (
            200,
            {"recording": False, "recordingId": started["recordingId"], "tracks": 2},
        )
        status, body = await s.call("POST", switch, teacher, {"on": False})
        assert (status, body["error"]["code"]) == (409, "not_recording")
    recording_id = started["recordingId"]
    path = f"/api/sessions/{lesson['id']}/recordings"

    for token in (teacher, pupil, s.admin_token):
        status, listed = await s.call("GET", path, token)
        assert status == 200, listed
        (only,) = listed["recordings"]
        assert (only["id"], only["title"], only["tracks"], only["recovered"]) == (
            recording_id,
            "Дроби",
            2,
            False,
        )
        assert only["duration"] == pytest.approx(2.5, abs=0.5)
    for token in (parent, stranger):
        status, body = await s.call("GET", path, token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    # The session list says how many recordings each person may watch.
    for token in (teacher, pupil):
        _, sessions = await s.call("GET", "/api/sessions", token)
        (listed,) = [x for x in sessions["sessions"] if x["id"] == lesson["id"]]
        assert listed["recordings"] == 1
    status, body = await s.call("GET", path)
    assert status == 401

    for _ in range(100):  # each participant's tracks are remuxed into one WebM, at once
        status, detail = await s.call("GET", f"{path}/{recording_id}", pupil)
        if detail["playback"]:
            break
        await asyncio.sleep(0.1)
    assert status == 200 and detail["recording"] is False
    (playback,) = detail["playback"]
    response = await s.client.get(
        f"{path}/{recording_id}/files/{playback['name']}", params={"token": pupil}
    )
    assert response.status == 200
    saved = s.client.app[api.RECORDINGS]
    with av.open(str(next(saved.glob(f"*/{recording_id}/{playback['name']}")))) as container:
        assert sorted(st.type for st in container.streams) == ["audio", "video"]
    assert sorted(f["kind"] for f in detail["files"]) == ["audio", "video"]
    assert [e["type"] for e in detail["timeline"]][:2] == ["present", "recording"]
    video = next(f for f in detail["files"] if f["kind"] == "video")
    file_url = f"{path}/{recording_id}/files/{video['name']}"

    # A <video> element: the token in the URL, and Range requests to seek.
    response = await s.client.get(file_url, params={"token": pupil})
    whole = await response.read()
    assert (response.status, response.content_type) == (200, "video/webm")
    response = await s.client.get(
        file_url, params={"token": pupil}, headers={"Range": "bytes=100-199"}
    )
    assert response.status == 206 and await response.read() == whole[100:200]
    with av.open(str(next(saved.glob(f"*/{recording_id}/{video['name']}")))) as container:
        assert sum(1 for _ in container.decode(video=0)) > 30
    for params in ({"token": stranger}, {"token": parent}, {}):
        response = await s.client.get(file_url, params=params)
        assert response.status in (401, 403), params
    for name in ("recording.json", "..%2Frecording.json", "nothing.webm"):
        status, body = await s.call("GET", f"{path}/{recording_id}/files/{name}", teacher)
        assert status == 404, name
    status, body = await s.call("GET", f"{path}/../../etc", teacher)
    assert status == 404

    # Composed into one MP4 in a child process, the progress in the detail as it goes.
    states = []
    for _ in range(600):
        _, detail = await s.call("GET", f"{path}/{recording_id}", pupil)
        states.append((detail["composition"] or {}).get("state"))
        if states[-1] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    assert detail["composition"]["state"] == "done", detail["composition"]
    assert set(states) <= {None, "queued", "composing", "done"}
    assert detail["composed"] == "composed.mp4"
    response = await s.client.get(
        f"{path}/{recording_id}/files/composed.mp4",
        params={"token": pupil},
        headers={"Range": "bytes=0-99"},
    )
    assert (response.status, response.content_type) == (206, "video/mp4")
    response = await s.client.get(f"{path}/{recording_id}/files/composed.mp4")
    assert response.status == 401
    with av.open(str(next(saved.glob(f"*/{recording_id}/composed.mp4")))) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)
        assert float(container.duration or 0) / av.time_base == pytest.approx(2.5, abs=1.0)
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx(2.5 * 25, abs=25)

    # A parent joins no lesson: not even an ended one with recordings is theirs to list yet.
    await s.call("POST", f"/api/sessions/{lesson['id']}/end", teacher)
    _, sessions = await s.call("GET", "/api/sessions", parent)
    assert lesson["id"] not in [x["id"] for x in sessions["sessions"]]

    # The school lets parents watch: now the class's parent does, and only that; their
    # session list offers the ended lesson for its recording.
    await s.call("PATCH", "/api/school", s.admin_token, {"parents_see_recordings": True})
    status, _ = await s.call("GET", path, parent)
    assert status == 200
    _, sessions = await s.call("GET", "/api/sessions", parent)
    (listed,) = [x for x in sessions["sessions"] if x["id"] == lesson["id"]]
    assert (listed["state"], listed["recordings"]) == ("ended", 1)
    _, sessions = await s.call("GET", "/api/sessions", stranger)
    assert lesson["id"] not in [x["id"] for x in sessions["sessions"]]
    status, body = await s.call("DELETE", f"{path}/{recording_id}", parent)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await s.call("DELETE", f"{path}/{recording_id}", pupil)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await s.call("DELETE", f"{path}/{recording_id}", teacher)
    assert (status, body) == (200, {"deleted": recording_id})
    status, listed = await s.call("GET", path, teacher)
    assert listed == {"recordings": []}
    status, body = await s.call("GET", f"{path}/{recording_id}", teacher)
    assert (status, body["error"]["code"]) == (404, "not_found")
