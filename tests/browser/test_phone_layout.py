"""A lesson on a phone: the controls and the chat fit the screen without scrolling, the chat
button counts unread messages, and screen sharing is offered only where the browser can share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .test_lesson import with_params

if TYPE_CHECKING:
    from .conftest import Server

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 390, "height": 844}
SMALL = {"width": 375, "height": 740}
LANDSCAPE = {"width": 844, "height": 390}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 20_000
CONTROLS = (
    "#ctl-mic",
    "#ctl-cam",
    "#ctl-screen",
    "#ctl-hand",
    "#ctl-host",
    "#ctl-chat",
    "#ctl-leave",
)
# A teacher on a browser that shares screens sees every control; a pupil on a phone's browser
# has no class panel and no screen sharing.
TEACHER_CONTROLS = set(CONTROLS)
PUPIL_CONTROLS = TEACHER_CONTROLS - {"#ctl-screen", "#ctl-host"}
# What Chrome on Android and Safari on an iPhone lack: a way to capture the screen.
NO_SCREEN_CAPTURE = "delete MediaDevices.prototype.getDisplayMedia;"


class Phone:
    """A touch-screen page of the lesson in Russian, joined at once."""

    def __init__(self, browser: Any, link: str, role: str, *, screen_capture: bool) -> None:
        self.role = role
        self.context = browser.new_context(
            viewport=PORTRAIT, is_mobile=True, has_touch=True, locale="ru-RU"
        )
        if not screen_capture:
            self.context.add_init_script(NO_SCREEN_CAPTURE)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        # A style or script the Content-Security-Policy refused is a page that does not work.
        self.page.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        self.page.goto(with_params(link, autojoin="1", lang="ru"))
        self.page.locator("#lesson-view").wait_for(state="visible", timeout=WAIT_MS)

    def inside(self, selector: str) -> None:
        """`selector` is on screen, whole, in the viewport as it is now."""
        size = self.page.viewport_size
        box = self.page.locator(selector).bounding_box()
        assert box is not None, f"{self.role}: {selector} has no box"
        assert box["x"] >= 0 and box["y"] >= 0, f"{self.role}: {selector} at {box}"
        assert box["x"] + box["width"] <= size["width"], f"{self.role}: {selector} at {box}"
        assert box["y"] + box["height"] <= size["height"], f"{self.role}: {selector} at {box}"

    def fits(self, controls: set[str]) -> None:
        """Exactly `controls` are shown, all of them on screen, and the page does not scroll."""
        shown = {c for c in CONTROLS if self.page.locator(c).is_visible()}
        assert shown == controls, f"{self.role}: controls shown {sorted(shown)}"
        for control in controls:
            self.inside(control)
        width, height, inner_width, inner_height = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
            " innerWidth, innerHeight]"
        )
        assert width <= inner_width and height <= inner_height, (
            f"{self.role}: the page scrolls: {width}x{height} in {inner_width}x{inner_height}"
        )

    def chat_button(self) -> tuple[str | None, str | None, str | None]:
        """The chat button's badge, accessible name and tooltip."""
        button = self.page.locator("#ctl-chat")
        return (
            button.get_attribute("data-unread"),
            button.get_attribute("aria-label"),
            button.get_attribute("title"),
        )

    def say(self, text: str) -> None:
        self.page.fill("#chat-input", text)
        self.page.click("#chat-send")
        self.page.locator(".chat-message.own .chat-text", has_text=text).wait_for(timeout=WAIT_MS)

    def close(self) -> None:
        self.context.close()


@pytest.mark.timeout(240)
def test_a_lesson_on_a_phone_fits_the_screen_and_counts_unread_chat(
    browser: Any, server: Server, artifacts: Path
) -> None:
    teacher = Phone(browser, server.teacher_link, "teacher", screen_capture=True)
    pupil = Phone(browser, server.pupil_links[0], "pupil", screen_capture=False)
    try:
        for person in (teacher, pupil):
            person.page.wait_for_function(
                "() => window.classroom.client?.participants?.size === 1", timeout=WAIT_MS
            )
        # Screen sharing where the browser can capture the screen, and nowhere else.
        teacher.fits(TEACHER_CONTROLS)
        pupil.fits(PUPIL_CONTROLS)
        pupil.page.click("#ctl-mic")  # the controls redraw: still no screen sharing
        assert pupil.page.locator("#ctl-mic").get_attribute("aria-pressed") == "true"
        assert pupil.page.locator("#ctl-screen").is_hidden()
        assert pupil.page.locator("#side").is_hidden(), "the chat starts closed on a phone"
        assert pupil.chat_button() == (None, "Чат", "Чат")

        # The teacher's chat opens over the videos, its input and button on screen.
        teacher.page.click("#ctl-chat")
        teacher.page.locator("#chat-input").wait_for(state="visible", timeout=WAIT_MS)
        for part in ("#chat-input", "#chat-send", "#side-close"):
            teacher.inside(part)
        teacher.fits(TEACHER_CONTROLS)
        teacher.say("Откройте учебник на странице 42")
        pupil.page.locator('#ctl-chat[data-unread="1"]').wait_for(timeout=WAIT_MS)
        assert pupil.chat_button() == ("1", "Чат, 1 непрочитанное", "Чат, 1 непрочитанное")
        teacher.say("Упражнение 5")
        teacher.say("Кто готов?")
        pupil.page.locator('#ctl-chat[data-unread="3"]').wait_for(timeout=WAIT_MS)
        assert pupil.chat_button() == ("3", "Чат, 3 непрочитанных", "Чат, 3 непрочитанных")
        pupil.page.screenshot(path=artifacts / "phone-lesson.png")

        # Opening the chat reads them: the badge goes, and what comes while it is open is read.
        pupil.page.tap("#ctl-chat")
        pupil.page.locator("#chat-input").wait_for(state="visible", timeout=WAIT_MS)
        assert pupil.chat_button() == (None, "Чат", "Чат")
        assert pupil.page.locator("#ctl-chat").get_attribute("aria-expanded") == "true"
        for part in ("#chat-input", "#chat-send", "#side-close"):
            pupil.inside(part)
        pupil.fits(PUPIL_CONTROLS)
        teacher.say("Начинаем")
        pupil.page.locator(".chat-text", has_text="Начинаем").wait_for(timeout=WAIT_MS)
        assert pupil.chat_button() == (None, "Чат", "Чат")
        pupil.say("Я готов")
        pupil.page.screenshot(path=artifacts / "phone-chat.png")
        pupil.page.tap("#side-close")
        pupil.page.locator("#side").wait_for(state="hidden", timeout=WAIT_MS)
        assert pupil.page.locator("#ctl-chat").get_attribute("aria-expanded") == "false"

        # The teacher's class panel is a sheet too, with the chat one tab away.
        teacher.page.click("#ctl-host")
        teacher.page.locator("#host-panel").wait_for(state="visible", timeout=WAIT_MS)
        for part in ("#tab-chat", "#tab-host", "#side-close", "#host-lock", "#host-end"):
            teacher.inside(part)
        teacher.fits(TEACHER_CONTROLS)
        teacher.page.screenshot(path=artifacts / "phone-teacher-host.png")

        # A smaller phone, and a phone on its side.
        for person, controls in ((teacher, TEACHER_CONTROLS), (pupil, PUPIL_CONTROLS)):
            person.page.set_viewport_size(SMALL)
            person.fits(controls)
            person.page.screenshot(path=artifacts / f"phone-small-{person.role}.png")
            person.page.set_viewport_size(LANDSCAPE)
            person.fits(controls)
        pupil.page.screenshot(path=artifacts / "phone-landscape.png")
        pupil.page.tap("#ctl-chat")
        for part in ("#chat-input", "#chat-send", "#side-close"):
            pupil.inside(part)
        pupil.fits(PUPIL_CONTROLS)
        pupil.page.screenshot(path=artifacts / "phone-landscape-chat.png")
        pupil.page.focus("#chat-input")
        pupil.page.keyboard.press("Escape")
        pupil.page.locator("#side").wait_for(state="hidden", timeout=WAIT_MS)
        assert pupil.page.evaluate("() => document.activeElement.id") == "ctl-chat"

        # On a computer the class panel is a column beside the videos, with its own chat tab:
        # what comes while the tab shows the class panel is unread until the chat is shown.
        teacher.page.set_viewport_size(DESKTOP)
        assert teacher.page.locator("#host-panel").is_visible()
        pupil.page.tap("#ctl-chat")
        pupil.say("Можно вопрос?")
        teacher.page.locator('#ctl-chat[data-unread="1"]').wait_for(timeout=WAIT_MS)
        assert teacher.chat_button() == ("1", "Чат, 1 непрочитанное", "Чат, 1 непрочитанное")
        teacher.page.click("#tab-chat")
        assert teacher.chat_button() == (None, "Чат", "Чат")

        for person in (teacher, pupil):
            assert not person.problems, f"{person.role}: {person.problems}"
    finally:
        teacher.close()
        pupil.close()
