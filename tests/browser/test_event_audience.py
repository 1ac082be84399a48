"""An event's audience in real Chromium: the teacher performs, a guest holding the event's link
watches, coming in by the link's page with a name. The guest's page asks for no camera or
microphone (getUserMedia is never called),
shows none of their controls, and decodes the performer's video and sound; the guest is counted
in the audience, not shown as a tile."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .school_site import (
    LESSON_URL,
    STATS,
    Pages,
    poll,
    session_row,
    sign_in,
    text,
    without_toasts,
)

pytestmark = pytest.mark.browser

COUNT_CAMERA_PROMPTS = """
window.cameraPrompts = 0;
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => {
  window.cameraPrompts += 1;
  return ask(constraints);
};
"""


def test_a_guest_with_the_event_link_watches_without_a_camera_prompt(
    pages: Pages, demo: Any, artifacts: Path
) -> None:
    teacher = pages.open("/signin", clipboard=True)
    account = demo.account("teacher")
    sign_in(teacher, account)
    # The organiser creates the event on /school and picks who performs.
    teacher.click("#event-button")
    form = teacher.locator("#event-form")
    form.locator("input[name=title]").fill("Концерт")
    performers = form.locator(".performer")
    assert performers.count() == 4  # the teacher and the class's three pupils; no parent
    assert form.locator(f'.performer:has-text("{account.name}") input').is_checked()
    form.locator("input[name=filter]").fill("петр")
    visible = form.locator(".performer:visible span:not(.badge)").all_inner_texts()
    assert visible == ["Аня Петрова"]
    form.locator('.performer:has-text("Аня Петрова") input').check()
    assert text(teacher, "#event-form .performer-count") == "Выбрано: 2 из 20 возможных"
    teacher.screenshot(path=artifacts / "event-form.png")
    teacher.click("#event-submit")
    teacher.wait_for_url(LESSON_URL)
    assert text(teacher, "#join-heading") == "Мероприятие «Концерт»"
    # The performer's camera and microphone are on before they go on stage.
    teacher.wait_for_function("() => document.getElementById('preview-video').srcObject")
    teacher.click("#join-button")
    performer_id = poll(lambda: (teacher.evaluate(STATS).get("self") or {}).get("id"), "joined")

    # The session list says who performs and hands out the guest link.
    school = teacher.context.new_page()
    school.goto(pages.url("/school"))
    row = session_row(school, "Концерт", "live")
    assert row.locator(".performers").inner_text() == f"Выступают: {account.name}, Аня Петрова"
    row.locator("button", has_text="Ссылка для гостей").click()
    link_url = row.locator("input.event-link").input_value()
    assert re.fullmatch(re.escape(pages.url("/event/")) + r"[A-Za-z0-9_-]{32}", link_url), link_url
    row.locator("button", has_text="Копировать").click()
    assert school.evaluate("() => navigator.clipboard.readText()") == link_url
    without_toasts(school).screenshot(path=artifacts / "event-row.png")
    school.close()

    # A wrong link explains itself.
    wrong = pages.open("/event/not-a-real-link")
    wrong.locator("#dead-title", has_text="Ссылка не работает").wait_for()
    wrong.screenshot(path=artifacts / "event-link-dead.png")

    # The guest opens the link, sees which event it is, and gives a name.
    guest = pages.open("/signin")
    guest.context.add_init_script(COUNT_CAMERA_PROMPTS)
    guest.goto(link_url)
    guest.locator("#event-title", has_text="Концерт").wait_for()
    assert text(guest, "#event-school") == "Школа №1"
    assert text(guest, "#event-lead").startswith("Уже идёт")
    guest.click("#event-submit")
    guest.locator("[data-error-for=name]").wait_for()  # a name is needed
    guest.fill("#event-name", "Бабушка Маши")
    guest.screenshot(path=artifacts / "event-link.png")
    guest.click("#event-submit")
    guest.wait_for_url(LESSON_URL)
    button = guest.locator("#join-button")
    button.filter(has_text=re.compile("^Смотреть$")).wait_for()
    assert text(guest, "#join-hint") == "Вы смотрите и слушаете: камера и микрофон не нужны."
    assert guest.locator(".preview").is_hidden()
    assert text(guest, "#join-heading") == "Мероприятие «Концерт»"
    guest.screenshot(path=artifacts / "event-guest-join.png")
    button.click()
    poll(
        lambda: (lambda p: p and p["framesDecoded"] > 0 and p["packetsReceived"] > 0)(
            guest.evaluate(STATS)["participants"].get(performer_id)
        ),
        "the guest to see and hear the performer",
    )
    for control in ("#ctl-mic", "#ctl-cam", "#ctl-screen", "#ctl-hand"):
        assert guest.locator(control).is_hidden(), control
    assert guest.locator("#ctl-leave").is_visible()
    assert guest.evaluate("() => window.cameraPrompts") == 0
    # The guest is counted, not shown: no tile of their own, and none on the performer's page.
    assert guest.locator("#grid .tile").count() == 1
    guest_id = guest.evaluate(STATS)["self"]["id"]
    assert teacher.locator(f'#grid .tile[data-key="{guest_id}"]').count() == 0
    poll(lambda: text(teacher, "#audience-count") == "Смотрят: 1", "the audience count")
    assert text(teacher, "#participant-count") == "Участники: 1"
    assert text(guest, "#audience-count") == "Смотрят: 1"
    assert (guest.evaluate(STATS).get("self") or {}).get("role") == "guest"
    # The stage has the screen: the chat is closed until the guest opens it.
    assert guest.locator("#side").is_hidden()
    assert guest.locator("#ctl-chat").get_attribute("aria-expanded") == "false"
    guest.screenshot(path=artifacts / "event-guest.png")
    guest.click("#ctl-chat")
    guest.locator("#chat-input").wait_for()
    assert guest.locator("#chat-input").get_attribute("placeholder") == "Сообщение…"
    guest.screenshot(path=artifacts / "event-guest-chat.png")

    # Leaving speaks of the event, not of a lesson.
    guest.click("#ctl-leave")
    guest.locator("#end-view").wait_for()
    assert text(guest, "#end-title") == "Вы вышли с мероприятия"
    assert text(guest, "#rejoin-button") == "Смотреть снова"
