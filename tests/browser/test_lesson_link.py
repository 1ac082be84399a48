"""A lesson's address is safe to copy: it names the lesson, not the teacher. Whoever opens a
copy is asked who they are, and the school's policy answers for their own account; the
teacher stays the teacher. Only the teacher's own second window takes the teacher's place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .school_site import (
    LESSON_URL,
    STATS,
    Demo,
    Pages,
    api_call,
    class_card,
    poll,
    sign_in,
    text,
)

pytestmark = pytest.mark.browser


def _self(page: Any) -> dict[str, Any] | None:
    me: dict[str, Any] | None = page.evaluate(STATS).get("self")
    return me


def _outsider(pages: Pages, admin: Any) -> Any:
    """A pupil of another class of the same school (8А), signed in on a page of their own."""
    made = api_call(admin, "POST", "/api/classes", {"name": "8А"})
    invite = api_call(admin, "POST", f"/api/classes/{made['id']}/invites", {"role": "pupil"})
    outsider = pages.open("/signin")
    outsider.evaluate(
        """async (id) => {
            const response = await fetch(`/api/invites/${id}/redeem`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({
                    name: 'Чужой Ученик', login: 'stranger8', password: 'pupil-pw-88',
                }),
            });
            if (!response.ok) throw new Error(await response.text());
        }""",
        invite["id"],
    )
    return outsider


def test_a_copied_lesson_address_makes_nobody_else_the_teacher(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher_account = demo.account("teacher")
    teacher = pages.open("/signin")
    sign_in(teacher, teacher_account)
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    copied = teacher.url
    assert "token" not in copied
    teacher.click("#join-button")
    me = poll(lambda: _self(teacher), "the teacher in the room")
    assert (me["name"], me["role"], me["host"]) == (teacher_account.name, "teacher", True)

    # Nobody signed in: asked to sign in, offered no camera and no way in.
    stranger = pages.open(copied)
    stranger.locator("#join-signin").wait_for()
    assert text(stranger, "#join-error").startswith("Войдите, чтобы присоединиться.")
    assert stranger.locator("#join-button").is_disabled()
    assert stranger.locator("#join-who").is_hidden()
    stranger.screenshot(path=artifacts / "lesson-link-signin.png")

    # A pupil of another class, signed in: the policy's answer for them is no.
    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    outsider = _outsider(pages, admin)
    outsider.goto(copied)
    outsider.locator("#join-error").wait_for()
    assert text(outsider, "#join-error") == (
        "Эта встреча недоступна для вашей учётной записи."
        " Если вы должны в ней быть, обратитесь к учителю."
    )
    assert outsider.locator("#join-button").is_disabled()
    outsider.screenshot(path=artifacts / "lesson-link-refused.png")

    # A pupil of the class signs in from the stranger's page and comes back as themselves.
    pupil_account = demo.account("pupil")
    stranger.click("#join-signin-link")
    sign_in_page = stranger
    sign_in_page.fill("#signin-login", pupil_account.login)
    sign_in_page.fill("#signin-password", pupil_account.password)
    sign_in_page.click("#signin-button")
    stranger.wait_for_url(copied.split("?")[0] + "*")
    stranger.locator("#join-name", has_text=pupil_account.name).wait_for()
    stranger.click("#join-button")
    pupil = poll(lambda: _self(stranger), "the pupil in the room")
    assert (pupil["name"], pupil["role"], pupil["host"]) == (pupil_account.name, "pupil", False)
    assert stranger.evaluate(STATS)["room"]["host"] is False
    poll(
        lambda: pupil["id"] in teacher.evaluate(STATS)["participants"],
        "the teacher to see the pupil come in",
    )

    # All this time the teacher kept their place and their controls.
    still = teacher.evaluate(STATS)
    assert (still["phase"], still["self"]["id"], still["room"]["host"]) == ("live", me["id"], True)
    assert teacher.locator("#end-view").is_hidden()

    # The teacher's own second window (the same sign-in) takes the teacher's place.
    second = teacher.context.new_page()
    second.goto(copied)
    second.click("#join-button")
    again = poll(lambda: _self(second), "the teacher's second window in the room")
    assert (again["identity"], again["role"], again["host"]) == (me["identity"], "teacher", True)
    teacher.locator("#end-view").wait_for()
    assert text(teacher, "#end-title") == "Урок открыт в другом окне"
