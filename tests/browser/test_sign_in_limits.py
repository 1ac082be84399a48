"""Someone guessing a teacher's password is stopped, and the page says for how long."""

from __future__ import annotations

from pathlib import Path

import pytest

from signaling.throttle import SIGN_INS_PER_ACCOUNT

from .school_site import Demo, Pages, text

pytestmark = pytest.mark.browser


def test_the_sign_in_page_says_when_to_try_again(pages: Pages, demo: Demo, artifacts: Path) -> None:
    teacher = demo.account("teacher")
    page = pages.open("/signin")
    for attempt in range(SIGN_INS_PER_ACCOUNT):
        page.fill("#signin-login", teacher.login)
        page.fill("#signin-password", f"guess-number-{attempt}")
        page.click("#signin-button")
        page.locator("#signin-error", has_text="Неверный логин или пароль").wait_for()
        page.evaluate("() => { document.getElementById('signin-error').hidden = true; }")
    page.fill("#signin-password", teacher.password)  # even the right one, for now
    page.click("#signin-button")
    page.locator("#signin-error", has_text="Слишком много").wait_for()
    assert text(page, "#signin-error") == (
        "Слишком много неудачных попыток. Попробуйте снова через 15 мин."
    )
    assert "/signin" in page.url
    page.screenshot(path=artifacts / "signin-too-many.png")
