"""Every page works under its Content-Security-Policy (nothing refused while it is used), and
carries the security headers."""

from __future__ import annotations

from typing import Any

import pytest

from signaling.headers import CONTENT_SECURITY_POLICY

from .school_site import LESSON_URL, STATS, Demo, Pages, class_card, poll, sign_in

pytestmark = pytest.mark.browser

LISTEN = """
window.refused = [];
document.addEventListener('securitypolicyviolation', (ev) => {
  window.refused.push(`${ev.violatedDirective} ${ev.blockedURI}`);
});
"""


def _refused(page: Any) -> list[str]:
    refused: list[str] = page.evaluate("() => window.refused")
    return refused


def test_the_pages_run_under_their_policy_and_carry_the_headers(pages: Pages, demo: Demo) -> None:
    admin = pages.open("/signin")
    admin.context.add_init_script(LISTEN)
    response = admin.goto(pages.url("/signin"))
    assert response is not None
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (headers["referrer-policy"], headers["x-frame-options"]) == ("no-referrer", "DENY")
    assert headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in headers  # plain HTTP on loopback
    sign_in(admin, demo.account("admin"))
    assert _refused(admin) == []
    for path in (
        "/school?lang=en",
        "/join/no-such-invite",
        "/event/no-such-event",
        "/broadcast/no-such-event",
        "/recordings/no-such/recording",
        "/lesson/no-such-lesson",
    ):
        admin.goto(pages.url(path))
        admin.wait_for_load_state("networkidle")
        assert _refused(admin) == [], path

    # A real lesson: camera preview, the room, the host panel, a poll dialog.
    teacher = pages.open("/signin")
    teacher.context.add_init_script(LISTEN)
    teacher.reload()
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    teacher.click("#join-button")
    poll(lambda: teacher.evaluate(STATS).get("self"), "the teacher in the room")
    teacher.click("#ctl-host")
    teacher.locator("#host-panel").wait_for()
    assert _refused(teacher) == []
    # An injected inline script (what an unescaped name would be) does not run.
    teacher.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
        }"""
    )
    assert teacher.evaluate("() => window.injected === true") is False
    assert _refused(teacher) == ["script-src-elem inline"]
    # That refusal was this test's own doing: the page's error check must not count it.
    assert [e for e in pages.errors if "Executing inline script violates" in e] != []
    pages.errors[:] = [e for e in pages.errors if "Executing inline script violates" not in e]
