"""Sign-ins end at once: signing out, signing out everywhere and a new password stop the
account's tokens (API and room) now, not 8 hours later; the browser's cookie is HttpOnly and
SameSite=Strict, and a cross-site request with it is refused; a lesson's address names the
session and nobody in it."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import aiohttp

from classroom.models import SessionKind
from signaling import api
from signaling.cookies import AUTH_COOKIE
from signaling.server_state import CLOSE_SIGNED_OUT

from .conftest import RunningServer
from .school_api import School
from .test_session_room import join

TEACHER_PW = "teacher-pw-1"


async def _login(http: aiohttp.ClientSession, url: str, login: str, password: str) -> Any:
    async with http.post(
        f"{url}/api/auth/login", json={"login": login, "password": password}
    ) as response:
        assert response.status == 200
        return await response.json(), response.headers.getall("Set-Cookie")


async def _me(http: aiohttp.ClientSession, url: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(f"{url}/api/me", headers=headers) as response:
        return response.status, await response.json()


async def _a_lesson(server: RunningServer) -> str:
    classroom = server.app[api.CLASSROOM]
    admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
    teacher = await classroom.create_teacher(admin, "Ольга", "olga", TEACHER_PW)
    teacher = await classroom.verify_teacher(admin, teacher.id)
    school_class = await classroom.create_class(admin, "7Б")
    await classroom.assign_teacher(admin, school_class.id, teacher.id)
    lesson = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", school_class.id)
    await classroom.start_session(teacher, lesson.id)
    return lesson.id


async def test_the_sign_in_cookie_is_http_only_strict_and_opens_the_api(
    server: RunningServer,
) -> None:
    await _a_lesson(server)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        body, set_cookies = await _login(http, server.url, "olga", TEACHER_PW)
        cookie = SimpleCookie(set_cookies[0])[AUTH_COOKIE]
        assert cookie.value == body["token"]
        assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Strict", "/")
        assert cookie["max-age"] == str(body["expires_in"])
        assert cookie["secure"] == ""  # plain HTTP here (PUBLIC_URL https:// makes it Secure)
        status, me = await _me(http, server.url)  # the cookie alone
        assert (status, me["user"]["login"]) == (200, "olga")

        async with http.post(f"{server.url}/api/auth/logout") as response:
            assert (response.status, await response.json()) == (200, {"signed_out": 1})
            cleared = SimpleCookie(response.headers["Set-Cookie"])[AUTH_COOKIE]
            assert (cleared.value, cleared["max-age"]) == ("", "0")
        status, me = await _me(http, server.url)
        assert (status, me["error"]["code"]) == (401, "unauthorized")
        # The token itself is dead too, not only forgotten by this browser.
        status, me = await _me(http, server.url, body["token"])
        assert (status, me["error"]["code"]) == (401, "unauthorized")
        assert me["error"]["message"] == "sign in again: this sign-in has ended: sign in again"


async def test_a_cross_site_request_with_the_cookie_is_refused(server: RunningServer) -> None:
    lesson = await _a_lesson(server)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await _login(http, server.url, "olga", TEACHER_PW)
        for headers in (
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "https://evil.example"},
        ):
            async with http.post(
                f"{server.url}/api/sessions/{lesson}/end", headers=headers
            ) as response:
                assert response.status == 403, headers
                assert (await response.json())["error"] == {
                    "code": "forbidden",
                    "message": "a request from another site's page",
                }
        # The lesson is still on; the same request from our own page ends it.
        host = server.url.removeprefix("http://")
        async with http.post(
            f"{server.url}/api/sessions/{lesson}/end",
            headers={"Sec-Fetch-Site": "same-origin", "Origin": f"http://{host}"},
        ) as response:
            assert (response.status, (await response.json())["state"]) == (200, "ended")


async def test_signing_out_everywhere_ends_every_token_and_closes_the_room_connection(
    server: RunningServer,
) -> None:
    lesson = await _a_lesson(server)
    async with aiohttp.ClientSession() as http:
        phone, _ = await _login(http, server.url, "olga", TEACHER_PW)
        laptop, _ = await _login(http, server.url, "olga", TEACHER_PW)
        async with http.post(
            f"{server.url}/api/sessions/{lesson}/join",
            headers={"Authorization": f"Bearer {phone['token']}"},
        ) as response:
            entry = await response.json()
        # The page's address names the session only; the token travels apart from it.
        assert entry["url"] == f"{server.url}/lesson/{lesson}"
        assert entry["token"] not in entry["url"]
        ws = await join(http, server.url, entry["token"])

        async with http.post(
            f"{server.url}/api/auth/logout-everywhere",
            headers={"Authorization": f"Bearer {laptop['token']}"},
        ) as response:
            assert (response.status, await response.json()) == (200, {"signed_out": 2})
        seen = [m.json()["type"] async for m in ws if m.type == aiohttp.WSMsgType.TEXT]
        assert seen[-1] == "signed_out"
        assert ws.close_code == CLOSE_SIGNED_OUT
        for token in (phone["token"], laptop["token"]):
            status, me = await _me(http, server.url, token)
            assert (status, me["error"]["code"]) == (401, "unauthorized")

        # The room token made from the ended sign-in opens the room no more.
        again = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await again.send_json({"type": "join", "id": 1, "token": entry["token"]})
        refused = await again.receive_json(timeout=10)
        assert refused == {
            "type": "error",
            "id": 1,
            "code": "signed_out",
            "message": "this link's sign-in has ended: sign in again",
        }
        await again.close()


async def test_a_new_password_ends_the_other_sign_ins_but_not_this_one(school: School) -> None:
    s = school
    other = await s.login("anna", "admin-password-1")
    status, body = await s.call(
        "POST", "/api/me/password", s.admin_token, {"old": "admin-password-1", "new": "new-pw-123"}
    )
    assert (status, body) == (200, {"changed": True})
    status, me = await s.call("GET", "/api/me", s.admin_token)
    assert (status, me["user"]["login"]) == (200, "anna")
    status, me = await s.call("GET", "/api/me", other)
    assert (status, me["error"]["code"]) == (401, "unauthorized")


async def test_an_api_token_without_a_sign_in_is_refused(school: School) -> None:
    import jwt

    forged_shape = jwt.encode(
        {"sub": school.admin.id, "typ": "api", "iat": 1, "exp": 2**40},
        "api-test-secret-0123456789abcdef-xyz",
        algorithm="HS256",
    )
    status, me = await school.call("GET", "/api/me", forged_shape)
    assert (status, me["error"]["code"]) == (401, "unauthorized")
    assert "sid" in me["error"]["message"]


async def test_the_lesson_address_serves_the_lesson_page(server: RunningServer) -> None:
    lesson = await _a_lesson(server)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/lesson/{lesson}") as response:
            page = await response.text()
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
        assert 'id="join-view"' in page and 'src="/static/app.js"' in page


async def test_deactivating_a_person_closes_their_lesson_and_ends_their_sign_ins(
    server: RunningServer,
) -> None:
    lesson = await _a_lesson(server)
    async with aiohttp.ClientSession() as http:
        olga, _ = await _login(http, server.url, "olga", TEACHER_PW)
        admin, _ = await _login(http, server.url, "admin", "admin-password")
        async with http.post(
            f"{server.url}/api/sessions/{lesson}/join",
            headers={"Authorization": f"Bearer {olga['token']}"},
        ) as response:
            entry = await response.json()
        ws = await join(http, server.url, entry["token"])
        async with http.post(
            f"{server.url}/api/users/{olga['user']['id']}/deactivate",
            headers={"Authorization": f"Bearer {admin['token']}"},
        ) as response:
            assert (response.status, (await response.json())["active"]) == (200, False)
        seen = [m.json()["type"] async for m in ws if m.type == aiohttp.WSMsgType.TEXT]
        assert (seen[-1], ws.close_code) == ("signed_out", CLOSE_SIGNED_OUT)
