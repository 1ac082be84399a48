"""Guessing is limited over REST: failed sign-ins per account and per address, wrong invite
links per address; the answer is 429 with Retry-After and a readable message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from signaling.throttle import LINKS_PER_ADDRESS, SIGN_INS_PER_ACCOUNT

from .school_api import ADMIN_PW, School, open_school, set_up_class


@pytest.fixture
async def proxied(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[School]:
    """A school behind a trusted proxy: each test says which address a request came from."""
    async for state in open_school(aiohttp_client, tmp_path, trust_proxy=True):
        yield state


async def _login(s: School, login: str, password: str, address: str) -> Any:
    response = await s.client.post(
        "/api/auth/login",
        json={"login": login, "password": password},
        headers={"X-Forwarded-For": address},
    )
    s.client.session.cookie_jar.clear()
    return response.status, await response.json(), response.headers.get("Retry-After")


async def test_an_account_guessed_at_is_refused_for_a_while_even_with_its_password(
    proxied: School,
) -> None:
    s = proxied
    for _ in range(SIGN_INS_PER_ACCOUNT):
        status, body, _ = await _login(s, "anna", "wrong-password", "198.51.100.1")
        assert (status, body["error"]["code"]) == (401, "bad_credentials")
    status, body, retry = await _login(s, "anna", ADMIN_PW, "198.51.100.2")
    assert (status, body["error"]) == (
        429,
        {
            "code": "too_many_attempts",
            "message": "too many failed sign-ins for this account: try again in 15 min",
        },
    )
    assert retry is not None and 890 <= int(retry) <= 900
    # Another account from the same address still signs in.
    await set_up_class(s)
    status, body, _ = await _login(s, "olga", "teacher-pw-1", "198.51.100.1")
    assert (status, body["user"]["login"]) == (200, "olga")


async def test_wrong_invite_links_from_one_address_are_refused_after_a_while(
    proxied: School,
) -> None:
    s = proxied
    teacher, class_id = await set_up_class(s)
    _, invite = await s.call("POST", f"/api/classes/{class_id}/invites", teacher, {"role": "pupil"})
    guesser = {"X-Forwarded-For": "203.0.113.50"}
    for n in range(LINKS_PER_ADDRESS):
        response = await s.client.get(f"/api/invites/guess-{n:04d}-abcdefgh", headers=guesser)
        assert response.status == 404
    response = await s.client.get(f"/api/invites/{invite['id']}", headers=guesser)
    assert response.status == 429
    assert (await response.json())["error"]["code"] == "too_many_attempts"
    assert response.headers["Retry-After"] == "900"
    # A pupil at another address opens the real link.
    response = await s.client.get(
        f"/api/invites/{invite['id']}", headers={"X-Forwarded-For": "203.0.113.51"}
    )
    assert (response.status, (await response.json())["class"]) == (200, "5A")
