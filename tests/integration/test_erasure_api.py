"""A pupil's data erased on request over REST, after a real recorded lesson: every refusal
first (nothing written), then the account, its sign-ins, memberships, links, chat, attendance
and removals in one go; the pupil's open room connection closes, their login and tokens stop
working, the recording loses their files (composed again without them) and its timeline their
name, and the teacher's, the other pupil's and the parent's data stay as they were."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.bots import PublisherBot
from classroom.models import User
from classroom.roles import Role
from recording.sidecar import read_sidecar, session_folder
from recording.timeline import TIMELINE
from signaling import api
from signaling.server_state import CLOSE_SIGNED_OUT

from .school_api import School, set_up_class
from .test_recordings_api import member


async def _composed(s: School, path: str, token: str) -> dict[str, Any]:
    """The recording's details once its composing is done (or failed)."""
    for _ in range(900):
        status, detail = await s.call("GET", path, token)
        assert status == 200, detail
        if (detail["composition"] or {}).get("state") in ("done", "failed"):
            return dict(detail)
        await asyncio.sleep(0.1)
    raise AssertionError(f"never composed: {detail['composition']}")


async def test_erasing_a_pupil_removes_their_data_and_leaves_the_others(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    petya, petya_id = await member(s, class_id, teacher, "pupil", "petya")
    masha, masha_id = await member(s, class_id, teacher, "pupil", "masha")
    irina, irina_id = await member(s, class_id, teacher, "parent", "irina", child_id=petya_id)
    _, lesson = await s.call(
        "POST", "/api/sessions", teacher, {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    )
    lesson_id = lesson["id"]
    await s.call("POST", f"/api/sessions/{lesson_id}/start", teacher)
    base = str(s.client.make_url("")).rstrip("/")
    switch = f"/api/sessions/{lesson_id}/recording"
    erase = f"/api/users/{petya_id}/erase"
    confirm = {"confirm": "Petya"}  # `member` names people after their login

    _, teacher_entry = await s.call("POST", f"/api/sessions/{lesson_id}/join", teacher)
    _, petya_entry = await s.call("POST", f"/api/sessions/{lesson_id}/join", petya)
    async with (
        PublisherBot(base, teacher_entry["token"], video_size=(320, 240)) as olga_bot,
        PublisherBot(base, petya_entry["token"], video_size=(320, 240)) as petya_bot,
    ):
        await olga_bot.start()
        await petya_bot.start()
        _, started = await s.call("POST", switch, teacher, {"on": True})
        recording_id = started["recordingId"]
        await petya_bot.signal.send({"type": "chat", "id": 90, "text": "Петя: я тут"})
        await olga_bot.signal.send({"type": "chat", "id": 91, "text": "Ольга: начинаем"})
        await olga_bot.signal.wait_for("chat", lambda m: m["text"] == "Ольга: начинаем")
        await asyncio.sleep(2.0)
        # A recording of him is being made: stop it first.
        status, body = await s.call("POST", erase, s.admin_token, confirm)
        assert (status, body["error"]["code"]) == (409, "recording_in_progress")
        _, stopped = await s.call("POST", switch, teacher, {"on": False})
        assert stopped["tracks"] == 4
        path = f"/api/sessions/{lesson_id}/recordings/{recording_id}"
        before = await _composed(s, path, teacher)
        assert before["composition"]["state"] == "done"
        assert len(before["playback"]) == 2

        # Refusals, each before anything is written.
        for token, body_, expected in (
            (None, confirm, (401, "unauthorized")),
            (petya, confirm, (403, "forbidden")),
            (teacher, confirm, (403, "forbidden")),
            (irina, confirm, (403, "forbidden")),
            (s.admin_token, {"confirm": "Masha"}, (400, "confirmation_mismatch")),
            (s.admin_token, {}, (400, "invalid_input")),
            (s.admin_token, {"confirm": "Petya", "also": 1}, (400, "invalid_input")),
        ):
            status, body = await s.call("POST", erase, token, body_)
            assert (status, body["error"]["code"]) == expected, (token, body_)
        status, body = await s.call("POST", "/api/users/nobody/erase", s.admin_token, confirm)
        assert (status, body["error"]["code"]) == (404, "not_found")
        me = f"/api/users/{s.admin.id}/erase"
        status, body = await s.call("POST", me, s.admin_token, {"confirm": s.admin.name})
        assert (status, body["error"]["code"]) == (409, "erase_self")
        status, _ = await s.call("GET", "/api/me", petya)
        assert status == 200

        status, summary = await s.call("POST", erase, s.admin_token, {"confirm": " petya "})
        assert (status, summary) == (
            200,
            {
                "erased": petya_id,
                "sign_ins": 1,  # the one his invite opened (his room token names it too)
                "class_memberships": 1,
                "parent_links": 1,
                "invites_deleted": 0,
                "invites_reassigned": 0,
                "sessions_reassigned": 0,
                "sessions_unlinked": 0,
                "chat_lines": 1,
                "attendance": 1,
                "removals": 0,
                "poll_answers": 0,
                "materials_reassigned": 0,
                "recordings": 1,
                "recordings_deleted": 0,
                "files": 4,  # camera, microphone, his remuxed file, the composed MP4
                "broadcasts": 0,
            },
        )
        # His connection to the live room is closed at once.
        await petya_bot.signal.wait_for("signed_out", within=5)
        for _ in range(50):
            if petya_bot.signal.closed:
                break
            await asyncio.sleep(0.1)
        assert petya_bot.signal.closed
        assert petya_bot.signal._ws.close_code == CLOSE_SIGNED_OUT
        await olga_bot.signal.wait_for("participant_left", within=5)

    # His sign-in and tokens are gone; nobody finds him.
    status, body = await s.call(
        "POST", "/api/auth/login", json={"login": "petya", "password": "petya-password-1"}
    )
    assert (status, body["error"]["code"]) == (401, "bad_credentials")
    for token in (petya, petya_entry["token"]):
        status, body = await s.call("GET", "/api/me", token)
        assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body = await s.call("POST", erase, s.admin_token, confirm)
    assert (status, body["error"]["code"]) == (404, "not_found")
    _, people = await s.call("GET", "/api/users", s.admin_token)
    assert petya_id not in [u["id"] for u in people["users"]]
    assert [u["children"] for u in people["users"] if u["id"] == irina_id] == [[]]
    _, the_class = await s.call("GET", f"/api/classes/{class_id}", teacher)
    assert the_class["pupils"] == [masha_id]

    # Chat and attendance no longer name him; the teacher's stay and line are as they were.
    _, chat = await s.call("GET", f"/api/sessions/{lesson_id}/chat", teacher)
    assert [(c["name"], c["text"]) for c in chat["chat"]] == [
        ("—", "—"),
        ("Ольга Ивановна", "Ольга: начинаем"),
    ]
    assert chat["chat"][0]["user_id"] == "erased"
    _, attendance = await s.call("GET", f"/api/sessions/{lesson_id}/attendance", teacher)
    assert [a["name"] for a in attendance["attendance"]] == ["Ольга Ивановна"]

    # The recording: his files gone (404), the teacher's kept, composed again without him.
    directory = session_folder(s.client.app[api.RECORDINGS], lesson_id) / recording_id
    theirs = {p["participant"] for p in before["playback"]}
    content = read_sidecar(directory) or {}
    (kept,) = {t["participant"] for t in content["tracks"]}
    (gone,) = theirs - {kept}
    for f in before["files"]:
        response = await s.client.get(f"{path}/files/{f['name']}", params={"token": teacher})
        assert response.status == (200 if f["participant"] == kept else 404), f
    response = await s.client.get(f"{path}/files/{gone}.webm", params={"token": teacher})
    assert response.status == 404
    assert await asyncio.to_thread(lambda: list(directory.glob(f"{gone}*"))) == []
    timeline = (directory / TIMELINE).read_text(encoding="utf-8")
    assert "Petya" not in timeline and "я тут" not in timeline and petya_id not in timeline
    assert "Ольга: начинаем" in timeline
    after = await _composed(s, path, teacher)
    assert after["composition"]["state"] == "done"
    assert [p["participant"] for p in after["playback"]] == [kept]
    assert after["participants"] == [kept]

    # The others sign in and see what they saw.
    await s.login("masha", "masha-password-1")
    await s.login("irina", "irina-password-1")
    status, _ = await s.call("GET", "/api/me", masha)
    assert status == 200


async def test_an_admin_may_not_erase_themselves_but_another_admin_may_be_erased(
    school: School,
) -> None:
    s = school
    # As the operator's command would make a second admin (the REST API makes only teachers).
    second = User("second-admin", s.admin.school_id, Role.ADMIN, "Борис", verified=True)
    await s.classroom._store.add_user(second)
    status, body = await s.call(
        "POST", f"/api/users/{s.admin.id}/erase", s.admin_token, {"confirm": s.admin.name}
    )
    assert (status, body["error"]["code"]) == (409, "erase_self")
    status, summary = await s.call(
        "POST", "/api/users/second-admin/erase", s.admin_token, {"confirm": "Борис"}
    )
    assert (status, summary["erased"]) == (200, "second-admin")
