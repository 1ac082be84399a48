"""The REST API end to end on a real app and a real SQLite database: a school set up by its
admin, a teacher's invite link redeemed by a pupil, a lesson started, joined and ended, and
every kind of bad request answered with its stable code and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from signaling import api
from signaling.admin_routes import ADMIN_OPERATIONS
from signaling.auth import TokenIssuer
from signaling.auth_routes import AUTH_OPERATIONS
from signaling.district_routes import DISTRICT_OPERATIONS
from signaling.erasure_routes import ERASURE_OPERATIONS
from signaling.event_routes import EVENT_OPERATIONS
from signaling.lesson_record_routes import LESSON_RECORD_OPERATIONS
from signaling.material_routes import MATERIAL_OPERATIONS
from signaling.recording_routes import RECORDING_OPERATIONS

from .school_api import ADMIN_PW, SECRET, School, set_up_class


async def test_a_pupil_joins_a_lesson_through_the_teachers_invite_link(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    status, invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    assert status == 200
    assert invite["url"] == f"{s.client.app[api.SETTINGS].base_url}/join/{invite['id']}"
    assert (invite["uses"], invite["max_uses"], invite["revoked"]) == (0, 40, False)

    status, shown = await s.call("GET", f"/api/invites/{invite['id']}")  # no sign-in needed
    assert (status, shown["school"], shown["class"], shown["role"]) == (
        200,
        "Школа №5",
        "5A",
        "pupil",
    )
    status, signed = await s.call(
        "POST",
        f"/api/invites/{invite['id']}/redeem",
        json={"name": "Петя  Иванов", "login": "Petya", "password": "pupil-pw-12"},
    )
    assert status == 200
    assert (signed["user"]["name"], signed["user"]["login"], signed["user"]["role"]) == (
        "Петя Иванов",
        "petya",
        "pupil",
    )
    pupil_token = signed["token"]
    status, classes = await s.call("GET", "/api/classes", pupil_token)
    assert status == 200 and [c["name"] for c in classes["classes"]] == ["5A"]
    status, detail = await s.call("GET", f"/api/classes/{class_id}", teacher_token)
    assert [(m["name"], m["role"]) for m in detail["members"]] == [
        ("Ольга Ивановна", "teacher"),
        ("Петя Иванов", "pupil"),
    ]

    # The pupil cannot start a lesson; the teacher can.
    lesson = {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    status, body = await s.call("POST", "/api/sessions", pupil_token, lesson)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, created = await s.call("POST", "/api/sessions", teacher_token, lesson)
    assert (status, created["state"]) == (200, "scheduled")
    status, started = await s.call("POST", f"/api/sessions/{created['id']}/start", teacher_token)
    assert (status, started["state"]) == (200, "live")

    status, entry = await s.call("POST", f"/api/sessions/{created['id']}/join", pupil_token)
    assert status == 200
    assert (entry["lobby"], entry["host"]) == (False, False)
    claims = TokenIssuer(SECRET).verify(entry["token"])
    assert (claims.room, claims.identity, claims.role.value) == (
        created["id"],
        signed["user"]["id"],
        "pupil",
    )
    assert (claims.grants.publish, claims.grants.moderate) == (True, False)
    status, host_entry = await s.call("POST", f"/api/sessions/{created['id']}/join", teacher_token)
    assert (status, host_entry["host"]) == (200, True)

    status, sessions = await s.call("GET", "/api/sessions", pupil_token)
    assert [x["id"] for x in sessions["sessions"]] == [created["id"]]

    status, ended = await s.call("POST", f"/api/sessions/{created['id']}/end", teacher_token)
    assert (status, ended["state"]) == (200, "ended")
    status, body = await s.call("POST", f"/api/sessions/{created['id']}/join", pupil_token)
    assert (status, body["error"]["code"]) == (409, "session_ended")


async def test_a_parent_invite_links_the_parent_to_a_child_and_opens_the_lobby(
    school: School,
) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    status, pupil_invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    status, pupil = await s.call(
        "POST",
        f"/api/invites/{pupil_invite['id']}/redeem",
        json={"name": "Маша Котова", "login": "masha", "password": "pupil-pw-12"},
    )
    status, invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "parent"}
    )
    status, shown = await s.call("GET", f"/api/invites/{invite['id']}")
    assert shown["children"] == [{"id": pupil["user"]["id"], "name": "Маша"}]
    body = {"name": "Ирина Котова", "login": "irina", "password": "parent-pw-1"}
    status, refused = await s.call("POST", f"/api/invites/{invite['id']}/redeem", json=body)
    assert (status, refused["error"]["code"]) == (400, "invalid_input")
    status, parent = await s.call(
        "POST",
        f"/api/invites/{invite['id']}/redeem",
        json={**body, "child_id": pupil["user"]["id"]},
    )
    assert status == 200 and parent["user"]["children"] == [pupil["user"]["id"]]
    # The teacher sees the class's parents (consultations, meetings); a pupil does not.
    _, detail = await s.call("GET", f"/api/classes/{class_id}", teacher_token)
    assert [(m["name"], m["role"], m.get("children")) for m in detail["members"]] == [
        ("Ольга Ивановна", "teacher", None),
        ("Маша Котова", "pupil", None),
        ("Ирина Котова", "parent", [pupil["user"]["id"]]),
    ]
    _, seen_by_pupil = await s.call("GET", f"/api/classes/{class_id}", pupil["token"])
    assert [m["role"] for m in seen_by_pupil["members"]] == ["teacher", "pupil"]

    meeting = {"kind": "parent_meeting", "title": "Собрание", "class_id": class_id}
    status, created = await s.call("POST", "/api/sessions", teacher_token, meeting)
    await s.call("POST", f"/api/sessions/{created['id']}/start", teacher_token)
    status, entry = await s.call("POST", f"/api/sessions/{created['id']}/join", parent["token"])
    assert (status, entry["lobby"], entry["host"]) == (200, True, False)
    # The pupil is not invited to their parents' meeting.
    status, body = await s.call("POST", f"/api/sessions/{created['id']}/join", pupil["token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")


async def test_a_dead_invite_link_says_why(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    status, once = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil", "max_uses": 1}
    )
    redeem = {"name": "Коля", "login": "kolya", "password": "pupil-pw-12"}
    status, _ = await s.call("POST", f"/api/invites/{once['id']}/redeem", json=redeem)
    assert status == 200
    status, body = await s.call(
        "POST", f"/api/invites/{once['id']}/redeem", json={**redeem, "login": "kolya2"}
    )
    assert (status, body["error"]["code"]) == (410, "invite_used_up")

    status, revoked = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    status, body = await s.call("DELETE", f"/api/invites/{revoked['id']}", teacher_token)
    assert (status, body["revoked"]) == (200, True)
    status, body = await s.call("GET", f"/api/invites/{revoked['id']}")
    assert (status, body["error"]["code"]) == (410, "invite_revoked")
    status, body = await s.call("GET", "/api/invites/not-a-real-invite")
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_a_taken_login_leaves_the_invite_unused(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    status, invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    status, body = await s.call(
        "POST",
        f"/api/invites/{invite['id']}/redeem",
        json={"name": "Двойник", "login": "olga", "password": "pupil-pw-12"},
    )
    assert (status, body["error"]["code"]) == (409, "conflict")
    status, invites = await s.call("GET", f"/api/classes/{class_id}/invites", teacher_token)
    assert [i["uses"] for i in invites["invites"]] == [0]
    status, detail = await s.call("GET", f"/api/classes/{class_id}", teacher_token)
    assert detail["pupils"] == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/api/auth/login",
            {"login": "anna", "password": "wrong-password"},
            401,
            "bad_credentials",
        ),
        (
            "POST",
            "/api/auth/login",
            {"login": "nobody", "password": "wrong-password"},
            401,
            "bad_credentials",
        ),
        ("POST", "/api/auth/login", {"login": "anna"}, 400, "invalid_input"),
        ("POST", "/api/auth/login", {"login": 5, "password": "x"}, 400, "invalid_input"),
        ("POST", "/api/auth/login", ["anna"], 400, "invalid_input"),
        ("POST", "/api/auth/login", b"{not json", 400, "bad_json"),
        ("POST", "/api/classes", {"name": "6B", "extra": 1}, 400, "invalid_input"),
        ("POST", "/api/classes", {"name": ""}, 400, "invalid_input"),
        ("POST", "/api/classes", {"name": "   "}, 400, "invalid_input"),
        (
            "POST",
            "/api/users",
            {"name": "T", "login": "a b", "password": "password-1"},
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/users",
            {"name": "T", "login": "anna", "password": "password-1"},
            409,
            "conflict",
        ),
        (
            "POST",
            "/api/users",
            {"name": "T", "login": "tanya", "password": "short"},
            400,
            "invalid_input",
        ),
        ("POST", "/api/users/nobody/verify", None, 404, "not_found"),
        ("GET", "/api/classes/nope", None, 404, "not_found"),
        ("POST", "/api/sessions", {"kind": "concert", "title": "x"}, 400, "invalid_input"),
        ("POST", "/api/sessions", {"kind": "lesson", "title": "x"}, 400, "invalid_input"),
        (
            "POST",
            "/api/sessions",
            {"kind": "staff_meeting", "title": "x", "scheduled_at": True},
            400,
            "invalid_input",
        ),
        ("POST", "/api/sessions/nope/start", None, 404, "not_found"),
        ("GET", "/api/sessions/nope/attendance", None, 404, "not_found"),
    ],
)
async def test_bad_requests_get_their_code_and_write_nothing(
    school: School, method: str, path: str, body: Any, status: int, code: str
) -> None:
    s = school
    before = (len(await s.classroom.people(s.admin)), len(await s.classroom.classes(s.admin)))
    kw: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    if isinstance(body, bytes):
        kw["headers"] = {"Authorization": f"Bearer {s.admin_token}"}
        response = await s.client.request(method, path, **kw)
        got = (response.status, await response.json())
    else:
        got = await s.call(method, path, s.admin_token, body)
    assert got[0] == status, got[1]
    assert got[1]["error"]["code"] == code
    assert got[1]["error"]["message"]
    after = (len(await s.classroom.people(s.admin)), len(await s.classroom.classes(s.admin)))
    assert after == before


async def test_tokens_are_checked_and_kept_apart(school: School) -> None:
    s = school
    status, body = await s.call("GET", "/api/me")
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body = await s.call("GET", "/api/me", "not.a.jwt")
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    # A room token opens no API door.
    issuer = TokenIssuer(SECRET)
    from classroom.roles import Grants, Role

    room_token = issuer.issue(s.admin.id, "A", "room", Role.ADMIN, Grants(), ttl=60)
    status, body = await s.call("GET", "/api/me", room_token)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    expired = issuer.issue_api(s.admin.id, "some-sign-in", ttl=60, now=1_000_000)
    status, body = await s.call("GET", "/api/me", expired)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert "expired" in body["error"]["message"]
    status, body = await s.call("GET", "/api/me", s.admin_token)
    assert (status, body["school"]["name"], body["user"]["role"]) == (200, "Школа №5", "admin")


async def test_another_school_is_not_found_not_forbidden(school: School) -> None:
    s = school
    _, class_id = await set_up_class(s)
    await s.classroom.create_school("Лицей", "Other Admin", "other", "other-password")
    other_token = await s.login("other", "other-password")
    for method, path in [
        ("GET", f"/api/classes/{class_id}"),
        ("GET", f"/api/classes/{class_id}/invites"),
        ("POST", f"/api/classes/{class_id}/teachers"),
    ]:
        body = {"teacher_id": "x"} if method == "POST" else None
        status, answer = await s.call(method, path, other_token, body)
        assert (status, answer["error"]["code"]) == (404, "not_found"), path
    status, classes = await s.call("GET", "/api/classes", other_token)
    assert classes["classes"] == []


async def test_openapi_document_lists_every_operation_with_its_schema(school: School) -> None:
    status, spec = await school.call("GET", "/api/openapi.json")
    assert status == 200 and spec["openapi"] == "3.1.0"
    operations = [
        *api.OPERATIONS,
        *AUTH_OPERATIONS,
        *RECORDING_OPERATIONS,
        *EVENT_OPERATIONS,
        *ADMIN_OPERATIONS,
        *DISTRICT_OPERATIONS,
        *ERASURE_OPERATIONS,
        *LESSON_RECORD_OPERATIONS,
        *MATERIAL_OPERATIONS,
    ]
    for op in operations:
        entry = spec["paths"][op.path][op.method.lower()]
        assert entry["summary"] == op.summary
        if op.body is not None:
            assert entry["requestBody"]["content"]["application/json"]["schema"] == op.body
        if op.upload:  # a material: one file, as multipart/form-data
            schema = entry["requestBody"]["content"]["multipart/form-data"]["schema"]
            assert schema["required"] == ["file"]
            assert {"413", "415", "422"} <= set(entry["responses"])
        assert ("security" in entry) == op.public
    routes = {
        (r.method, r.resource.canonical)
        for r in school.client.app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/api/")
    }
    documented = {(op.method, op.path) for op in operations}
    assert routes - {("GET", "/api/openapi.json"), ("HEAD", "/api/openapi.json")} == documented


async def test_the_admin_sets_whether_parents_see_recordings(school: School) -> None:
    s = school
    teacher_token, _ = await set_up_class(s)
    status, body = await s.call("GET", "/api/school", teacher_token)
    assert body == {
        "id": s.admin.school_id,
        "name": "Школа №5",
        "parents_see_recordings": False,
        "recordings_kept_days": None,
        "time_zone": "Europe/Moscow",
    }
    status, body = await s.call(
        "PATCH", "/api/school", teacher_token, {"parents_see_recordings": True}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await s.call(
        "PATCH", "/api/school", s.admin_token, {"parents_see_recordings": "yes"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = await s.call(
        "PATCH",
        "/api/school",
        s.admin_token,
        {"parents_see_recordings": True, "name": " Школа  5 "},
    )
    assert (status, body["parents_see_recordings"], body["name"]) == (200, True, "Школа 5")
    assert (await s.classroom.school(s.admin)).parents_see_recordings is True


async def test_a_signed_in_parent_links_a_second_child_with_an_invite(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    status, made = await s.call("POST", "/api/classes", s.admin_token, {"name": "2A"})
    other_class = made["id"]
    await s.call(
        "POST",
        f"/api/classes/{other_class}/teachers",
        s.admin_token,
        {"teacher_id": (await s.call("GET", "/api/me", teacher_token))[1]["user"]["id"]},
    )
    kids = []
    for cid, login in ((class_id, "older"), (other_class, "younger")):
        _, invite = await s.call(
            "POST", f"/api/classes/{cid}/invites", teacher_token, {"role": "pupil"}
        )
        _, kid = await s.call(
            "POST",
            f"/api/invites/{invite['id']}/redeem",
            json={"name": login.title(), "login": login, "password": "pupil-pw-12"},
        )
        kids.append(kid)
    _, first = await s.call(
        "POST",
        f"/api/classes/{class_id}/invites",
        teacher_token,
        {"role": "parent", "child_id": kids[0]["user"]["id"]},
    )
    _, parent = await s.call(
        "POST",
        f"/api/invites/{first['id']}/redeem",
        json={"name": "Мама", "login": "mama", "password": "parent-pw-1"},
    )
    _, second = await s.call(
        "POST", f"/api/classes/{other_class}/invites", teacher_token, {"role": "parent"}
    )
    status, body = await s.call("POST", f"/api/invites/{second['id']}/accept", kids[0]["token"], {})
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_input", "role")
    status, body = await s.call("POST", f"/api/invites/{second['id']}/accept", parent["token"], {})
    assert (status, body["error"]["field"]) == (400, "child_id")
    status, linked = await s.call(
        "POST",
        f"/api/invites/{second['id']}/accept",
        parent["token"],
        {"child_id": kids[1]["user"]["id"]},
    )
    assert status == 200
    assert linked["children"] == [kids[0]["user"]["id"], kids[1]["user"]["id"]]
    status, classes = await s.call("GET", "/api/classes", parent["token"])
    assert sorted(c["name"] for c in classes["classes"]) == ["2A", "5A"]
    status, invites = await s.call("GET", f"/api/classes/{other_class}/invites", teacher_token)
    assert [i["uses"] for i in invites["invites"] if i["role"] == "parent"] == [1]

    await s.classroom.create_school("Лицей", "Other Admin", "other", "other-password")
    other_token = await s.login("other", "other-password")
    status, body = await s.call("POST", f"/api/invites/{second['id']}/accept", other_token, {})
    assert (status, body["error"]["code"]) == (403, "forbidden")


async def test_a_password_is_changed_with_the_old_one(school: School) -> None:
    s = school
    new = {"old": "not-the-password", "new": "new-password-9"}
    status, body = await s.call("POST", "/api/me/password", s.admin_token, new)
    assert (status, body["error"]["code"]) == (401, "bad_credentials")
    status, body = await s.call(
        "POST", "/api/me/password", s.admin_token, {"old": ADMIN_PW, "new": "short"}
    )
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400,
        "invalid_input",
        "new",
    )
    status, body = await s.call(
        "POST", "/api/me/password", s.admin_token, {"old": ADMIN_PW, "new": "new-password-9"}
    )
    assert (status, body) == (200, {"changed": True})
    await s.login("anna", "new-password-9")
    status, body = await s.call(
        "POST", "/api/auth/login", json={"login": "anna", "password": ADMIN_PW}
    )
    assert status == 401


async def test_form_errors_name_their_field(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    _, invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    for body, field in [
        ({"name": "Петя", "login": "a b", "password": "pupil-pw-12"}, "login"),
        ({"name": "Петя", "login": "olga", "password": "pupil-pw-12"}, "login"),
        ({"name": "Петя", "login": "petya", "password": "short"}, "password"),
        ({"name": "   ", "login": "petya", "password": "pupil-pw-12"}, "name"),
        ({"login": "petya", "password": "pupil-pw-12"}, "name"),
    ]:
        status, answer = await s.call("POST", f"/api/invites/{invite['id']}/redeem", json=body)
        assert answer["error"]["field"] == field, (body, answer)
