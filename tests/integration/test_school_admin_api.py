"""Running a school over REST, on a real app and a real SQLite database: the district
operator's schools, password links, deactivation, a pupil taken out of a class and a class
list imported; each endpoint's success and each refusal with its exact code, and nothing
written by a refused request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from classroom.password_links import PasswordLink, hash_secret
from signaling.api import SETTINGS

from .school_api import ADMIN_PW, School, open_school, set_up_class

OPERATOR = "district-operator-token-0123456789"


@pytest.fixture
async def district(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[School]:
    """A school on a server with an operator token."""
    async for state in open_school(aiohttp_client, tmp_path, operator_token=OPERATOR):
        yield state


async def error(s: School, method: str, path: str, token: str | None, body: Any = None) -> Any:
    status, answer = await s.call(method, path, token, body)
    assert answer is not None and "error" in answer, (status, answer)
    assert answer["error"]["message"]
    return status, answer["error"]["code"]


async def redeem_pupil(s: School, teacher_token: str, class_id: str, login: str) -> Any:
    _, invite = await s.call(
        "POST", f"/api/classes/{class_id}/invites", teacher_token, {"role": "pupil"}
    )
    status, signed = await s.call(
        "POST",
        f"/api/invites/{invite['id']}/redeem",
        json={"name": login.title(), "login": login, "password": "pupil-pw-12"},
    )
    assert status == 200
    return signed


# --- the district operator --------------------------------------------------------------


async def test_the_operator_creates_a_school_whose_admin_sets_a_password_by_link(
    district: School,
) -> None:
    s = district
    body = {"name": "Лицей №2", "admin_name": "Олег Палыч", "admin_login": "Oleg"}
    status, made = await s.call("POST", "/api/operator/schools", OPERATOR, body)
    assert status == 200
    assert (made["school"]["name"], made["admin"]["login"], made["admin"]["role"]) == (
        "Лицей №2",
        "oleg",
        "admin",
    )
    url = made["password_link"]["url"]
    assert url.startswith(f"{s.client.app[SETTINGS].base_url}/reset/")
    secret = url.rsplit("/reset/", 1)[1]
    status, shown = await s.call("GET", f"/api/password-links/{secret}")
    assert (status, shown["name"], shown["login"], shown["school"], shown["first"]) == (
        200,
        "Олег Палыч",
        "oleg",
        "Лицей №2",
        True,
    )
    status, used = await s.call(
        "POST", f"/api/password-links/{secret}", json={"password": "oleg-password"}
    )
    assert (status, used) == (200, {"login": "oleg", "name": "Олег Палыч"})
    token = await s.login("oleg", "oleg-password")
    status, me = await s.call("GET", "/api/me", token)
    assert (status, me["school"]["name"]) == (200, "Лицей №2")

    status, listed = await s.call("GET", "/api/operator/schools", OPERATOR)
    assert status == 200
    assert [
        (x["name"], x["people"], x["classes"], x["deactivated"]) for x in listed["schools"]
    ] == [
        ("Школа №5", {"admin": 1, "teacher": 0, "pupil": 0, "parent": 0}, 0, 0),
        ("Лицей №2", {"admin": 1, "teacher": 0, "pupil": 0, "parent": 0}, 0, 0),
    ]


async def test_the_operator_may_give_the_admin_s_password(
    district: School,
) -> None:
    s = district
    body = {
        "name": "Лицей",
        "admin_name": "Олег",
        "admin_login": "oleg",
        "admin_password": "oleg-password",
    }
    status, made = await s.call("POST", "/api/operator/schools", OPERATOR, body)
    assert (status, made["password_link"]) == (200, None)
    await s.login("oleg", "oleg-password")


@pytest.mark.parametrize(
    ("token", "body", "status", "code"),
    [
        (None, None, 401, "unauthorized"),
        ("not-the-operator-token", None, 401, "unauthorized"),
        ("admin", None, 401, "unauthorized"),  # a school admin's API token opens nothing here
        (OPERATOR, {"name": "X", "admin_name": "Y"}, 400, "invalid_input"),
        (OPERATOR, {"name": "X", "admin_name": "Y", "admin_login": "anna"}, 409, "conflict"),
        (
            OPERATOR,
            {"name": "X", "admin_name": "Y", "admin_login": "yy", "admin_password": "short"},
            400,
            "invalid_input",
        ),
    ],
)
async def test_the_operator_s_api_refuses_and_writes_nothing(
    district: School, token: str | None, body: Any, status: int, code: str
) -> None:
    s = district
    token = s.admin_token if token == "admin" else token
    payload = body or {"name": "X", "admin_name": "Y", "admin_login": "yyy"}
    assert await error(s, "POST", "/api/operator/schools", token, payload) == (status, code)
    if body is None:
        assert await error(s, "GET", "/api/operator/schools", token) == (status, code)
    schools = await s.classroom._store.schools()  # type: ignore[attr-defined]
    assert [x.name for x in schools] == ["Школа №5"]


async def test_without_an_operator_token_the_operator_s_api_is_off(school: School) -> None:
    for method, body in (
        ("GET", None),
        ("POST", {"name": "X", "admin_name": "Y", "admin_login": "yyy"}),
    ):
        assert await error(school, method, "/api/operator/schools", "", body) == (
            404,
            "operator_disabled",
        )
        assert await error(school, method, "/api/operator/schools", "anything", body) == (
            404,
            "operator_disabled",
        )


# --- password links ---------------------------------------------------------------------


async def test_an_admin_s_reset_link_works_once_and_a_newer_one_voids_it(school: School) -> None:
    s = school
    teacher_token, _ = await set_up_class(s)
    _, me = await s.call("GET", "/api/me", teacher_token)
    teacher_id = me["user"]["id"]
    status, first = await s.call("POST", f"/api/users/{teacher_id}/password-link", s.admin_token)
    assert status == 200 and first["user_id"] == teacher_id
    assert first["url"].startswith(f"{s.client.app[SETTINGS].base_url}/reset/")
    status, second = await s.call("POST", f"/api/users/{teacher_id}/password-link", s.admin_token)
    old, new = (x["url"].rsplit("/", 1)[1] for x in (first, second))
    assert await error(s, "GET", f"/api/password-links/{old}", None) == (404, "not_found")
    await s.login("olga", "teacher-pw-1")  # the old password works until the link is used
    body = {"password": "olga-new-password"}
    status, _ = await s.call("POST", f"/api/password-links/{new}", json=body)
    assert status == 200
    assert await error(s, "POST", f"/api/password-links/{new}", None, body) == (404, "not_found")
    await s.login("olga", "olga-new-password")
    status, _ = await s.call(
        "POST", "/api/auth/login", json={"login": "olga", "password": "teacher-pw-1"}
    )
    assert status == 401


async def test_a_dead_or_bad_password_link_says_why(school: School) -> None:
    s = school
    store = s.classroom._store  # type: ignore[attr-defined]
    await store.put_password_link(
        PasswordLink(hash_secret("old-secret"), s.admin.id, None, 1.0, 2.0)
    )
    assert await error(s, "GET", "/api/password-links/old-secret", None) == (410, "link_expired")
    assert await error(
        s, "POST", "/api/password-links/old-secret", None, {"password": "new-password-1"}
    ) == (410, "link_expired")
    assert await error(s, "GET", "/api/password-links/never-made", None) == (404, "not_found")
    status, made = await s.call("POST", f"/api/users/{s.admin.id}/password-link", s.admin_token)
    secret = made["url"].rsplit("/", 1)[1]
    status, answer = await s.call(
        "POST", f"/api/password-links/{secret}", json={"password": "short"}
    )
    assert (status, answer["error"]["code"], answer["error"]["field"]) == (
        400,
        "invalid_input",
        "password",
    )
    await s.login("anna", ADMIN_PW)


async def test_who_may_make_a_password_link(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    pupil_id = pupil["user"]["id"]
    status, made = await s.call("POST", f"/api/users/{pupil_id}/password-link", teacher_token)
    assert (status, made["user_id"]) == (200, pupil_id)
    for token, target, expected in [
        (teacher_token, s.admin.id, (403, "forbidden")),
        (pupil["token"], pupil_id, (403, "forbidden")),
        (s.admin_token, "nobody", (404, "not_found")),
    ]:
        got = await error(s, "POST", f"/api/users/{target}/password-link", token)
        assert got == expected, (target, got)
    await s.classroom.create_school("Лицей", "Other Admin", "other", "other-password")
    other = await s.login("other", "other-password")
    assert await error(s, "POST", f"/api/users/{pupil_id}/password-link", other) == (
        404,
        "not_found",
    )


# --- deactivation -----------------------------------------------------------------------


async def test_a_deactivated_pupil_s_token_stops_at_once_and_reactivation_restores(
    district: School,
) -> None:
    s = district
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    pupil_id = pupil["user"]["id"]
    status, _ = await s.call("GET", "/api/me", pupil["token"])
    assert status == 200

    status, off = await s.call("POST", f"/api/users/{pupil_id}/deactivate", s.admin_token)
    assert (status, off["active"]) == (200, False)
    status, answer = await s.call("GET", "/api/me", pupil["token"])
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    assert "deactivated" in answer["error"]["message"]
    assert await error(
        s, "POST", "/api/auth/login", None, {"login": "petya", "password": "pupil-pw-12"}
    ) == (403, "account_disabled")
    assert await error(
        s, "POST", "/api/auth/login", None, {"login": "petya", "password": "wrong-password"}
    ) == (401, "bad_credentials")
    _, detail = await s.call("GET", f"/api/classes/{class_id}", teacher_token)
    assert [m["role"] for m in detail["members"]] == ["teacher"]
    _, people = await s.call("GET", "/api/users", s.admin_token)
    assert {u["login"]: u["active"] for u in people["users"]} == {
        "anna": True,
        "olga": True,
        "petya": False,
    }
    assert await error(s, "POST", f"/api/users/{pupil_id}/password-link", s.admin_token) == (
        403,
        "account_disabled",
    )

    status, on = await s.call("POST", f"/api/users/{pupil_id}/reactivate", s.admin_token)
    assert (status, on["active"]) == (200, True)
    # Deactivating ended every sign-in: coming back means signing in again.
    status, answer = await s.call("GET", "/api/me", pupil["token"])
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    assert "sign-in has ended" in answer["error"]["message"]
    token = await s.login("petya", "pupil-pw-12")
    status, _ = await s.call("GET", "/api/me", token)
    assert status == 200


async def test_who_may_deactivate_whom(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    pupil_id = pupil["user"]["id"]
    for token, target, expected in [
        (s.admin_token, s.admin.id, (409, "cannot_deactivate_self")),
        (teacher_token, pupil_id, (403, "forbidden")),
        (pupil["token"], pupil_id, (403, "forbidden")),
        (s.admin_token, "nobody", (404, "not_found")),
    ]:
        got = await error(s, "POST", f"/api/users/{target}/deactivate", token)
        assert got == expected, (target, got)
    assert await error(s, "POST", f"/api/users/{pupil_id}/reactivate", teacher_token) == (
        403,
        "forbidden",
    )
    _, people = await s.call("GET", "/api/users", s.admin_token)
    assert all(u["active"] for u in people["users"])


# --- a pupil leaves a class -------------------------------------------------------------


async def test_a_teacher_takes_a_pupil_out_of_the_class_and_the_parent_stays_linked(
    school: School,
) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    pupil_id = pupil["user"]["id"]
    _, invite = await s.call(
        "POST",
        f"/api/classes/{class_id}/invites",
        teacher_token,
        {"role": "parent", "child_id": pupil_id},
    )
    _, parent = await s.call(
        "POST",
        f"/api/invites/{invite['id']}/redeem",
        json={"name": "Мама", "login": "mama", "password": "parent-pw-1"},
    )
    path = f"/api/classes/{class_id}/pupils/{pupil_id}"
    assert await error(s, "DELETE", path, pupil["token"]) == (403, "forbidden")
    assert await error(s, "DELETE", path, parent["token"]) == (403, "forbidden")
    status, left = await s.call("DELETE", path, teacher_token)
    assert (status, left["pupils"]) == (200, [])
    assert await error(s, "DELETE", path, teacher_token) == (404, "not_found")
    _, classes = await s.call("GET", "/api/classes", pupil["token"])
    assert classes["classes"] == []
    _, me = await s.call("GET", "/api/me", parent["token"])
    assert me["user"]["children"] == [pupil_id]


async def test_only_the_class_s_teachers_and_admins_take_pupils_out(school: School) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    _, other = await s.call("POST", "/api/classes", s.admin_token, {"name": "6B"})
    _, made = await s.call(
        "POST",
        "/api/users",
        s.admin_token,
        {"name": "Другой", "login": "other-t", "password": "teacher-pw-2"},
    )
    await s.call("POST", f"/api/users/{made['id']}/verify", s.admin_token)
    await s.call(
        "POST", f"/api/classes/{other['id']}/teachers", s.admin_token, {"teacher_id": made["id"]}
    )
    other_teacher = await s.login("other-t", "teacher-pw-2")
    path = f"/api/classes/{class_id}/pupils/{pupil['user']['id']}"
    assert await error(s, "DELETE", path, other_teacher) == (403, "forbidden")
    assert await error(s, "DELETE", "/api/classes/nope/pupils/x", s.admin_token) == (
        404,
        "not_found",
    )
    status, left = await s.call("DELETE", path, s.admin_token)
    assert (status, left["pupils"]) == (200, [])


# --- importing a class list -------------------------------------------------------------

BAD = (
    "ФИО;логин;роль;родитель для\n"
    "Иванов Пётр;;;\n"
    "Сидорова Ира;olga;;\n"
    "Иванова Мария;;родитель;Иванов Пётр\n"
)
GOOD = BAD.replace(";olga;", ";ira.s;")


async def test_a_class_list_with_one_bad_row_imports_nothing_then_imports_whole(
    school: School,
) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    path = f"/api/classes/{class_id}/import"
    status, preview = await s.call("POST", path, teacher_token, {"csv": BAD, "dry_run": True})
    assert status == 200
    assert preview["valid"] is False
    assert [(r["row"], r["login"], r["role"], r["problems"]) for r in preview["rows"]] == [
        (2, "ivanov.petr", "pupil", []),
        (
            3,
            "olga",
            "pupil",
            [{"field": "login", "code": "login_taken", "message": "login 'olga' is taken"}],
        ),
        (4, "ivanova.mariya", "parent", []),
    ]
    assert preview["accounts"] == []

    status, refused = await s.call("POST", path, teacher_token, {"csv": BAD})
    assert (status, refused["error"]["code"], refused["error"]["field"]) == (
        400,
        "import_invalid",
        "csv",
    )
    assert refused["error"]["message"] == "1 problem(s) in the list; nothing was imported"
    assert refused["report"]["rows"][1]["problems"][0]["code"] == "login_taken"
    _, people = await s.call("GET", "/api/users", s.admin_token)
    assert [u["login"] for u in people["users"]] == ["anna", "olga"]
    _, detail = await s.call("GET", f"/api/classes/{class_id}", teacher_token)
    assert detail["pupils"] == []

    status, done = await s.call("POST", path, teacher_token, {"csv": GOOD})
    assert status == 200 and done["valid"] is True
    accounts = done["accounts"]
    assert [(a["row"], a["name"], a["login"], a["role"]) for a in accounts] == [
        (2, "Иванов Пётр", "ivanov.petr", "pupil"),
        (3, "Сидорова Ира", "ira.s", "pupil"),
        (4, "Иванова Мария", "ivanova.mariya", "parent"),
    ]
    assert accounts[2]["children"] == [accounts[0]["id"]]
    assert done["class"]["pupils"] == [accounts[0]["id"], accounts[1]["id"]]
    # Each link sets its own person's password, once.
    for account in accounts:
        secret = account["url"].rsplit("/", 1)[1]
        status, _ = await s.call(
            "POST", f"/api/password-links/{secret}", json={"password": "first-password"}
        )
        assert status == 200
        await s.login(account["login"], "first-password")
    # The same list again: the pupils are in the class already (a made login would just get
    # a number), and the parent's child is now both in the list and in the class.
    status, again = await s.call("POST", path, teacher_token, {"csv": GOOD, "dry_run": True})
    assert [(r["login"], [p["code"] for p in r["problems"]]) for r in again["rows"]] == [
        ("ivanov.petr2", ["already_in_class"]),
        ("ira.s", ["login_taken", "already_in_class"]),
        ("ivanova.mariya2", ["ambiguous_child"]),
    ]


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("pupil", {"csv": "name\nX Y\n"}, 403, "forbidden"),
        ("admin", {"csv": "name\n" + "Иванов Пётр\n" * 201}, 413, "import_too_large"),
        ("admin", {"csv": "name\n" + "Я" * 60_000}, 413, "import_too_large"),
        ("admin", {"dry_run": True}, 400, "invalid_input"),
        ("admin", {"csv": 5}, 400, "invalid_input"),
        ("admin", {"csv": "имя\n123\n"}, 400, "import_invalid"),
        ("admin", {"csv": ""}, 400, "import_invalid"),
    ],
)
async def test_an_import_refused_writes_nothing(
    school: School, who: str, body: Any, status: int, code: str
) -> None:
    s = school
    teacher_token, class_id = await set_up_class(s)
    pupil = await redeem_pupil(s, teacher_token, class_id, "petya")
    token = pupil["token"] if who == "pupil" else s.admin_token
    got = await error(s, "POST", f"/api/classes/{class_id}/import", token, body)
    assert got == (status, code)
    _, people = await s.call("GET", "/api/users", s.admin_token)
    assert len(people["users"]) == 3


async def test_another_school_s_class_cannot_be_imported_into(school: School) -> None:
    s = school
    _, class_id = await set_up_class(s)
    await s.classroom.create_school("Лицей", "Other Admin", "other", "other-password")
    other = await s.login("other", "other-password")
    got = await error(s, "POST", f"/api/classes/{class_id}/import", other, {"csv": "name\nX\n"})
    assert got == (404, "not_found")
