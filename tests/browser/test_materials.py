"""A PDF on the lesson's stage in real Chromium: the teacher uploads one to the class from its
card, starts the lesson, uploads another in the room, turns to page 3 (a button, then the
keyboard) and zooms; the pupil's page shows page 3, drawn (the page's own red number in its
pixels), at the teacher's zoom; a pupil on a phone who joins late and a pupil whose page
reloads open the same page; a pupil's arrows turn nothing; and the teacher stops showing.
Screenshots of both views (computer and phone) and of the class's materials list."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.pdfs import PAGE_COLOUR, numbered_pdf

from .school_site import (
    LESSON_URL,
    PHONE,
    STATS,
    Demo,
    Pages,
    class_card,
    fits_width,
    poll,
    sign_in,
    text,
    without_toasts,
)

pytestmark = pytest.mark.browser

COLOURED_PIXELS = """([r, g, b]) => {
    const canvas = document.getElementById('material-canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (i, value) => Math.abs(data[i] - value) < 30;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (near(i, r) && near(i + 1, g) && near(i + 2, b)) count++;
    }
    return {count, width: canvas.width, height: canvas.height};
}"""


def red_pixels(page: Any) -> dict[str, int]:
    """How many of the material's canvas pixels are the PDF's numbers' red."""
    counted: dict[str, int] = page.evaluate(COLOURED_PIXELS, list(PAGE_COLOUR))
    return counted


def rendered(page: Any, number: int, zoom: str = "1") -> None:
    """Until the page's stage has drawn `number` at `zoom` (materials.js marks it once drawn)."""
    page.locator(
        f'#material-stage[data-rendered-page="{number}"][data-rendered-zoom="{zoom}"]'
    ).wait_for()


def join(page: Any) -> dict[str, Any]:
    page.click("#join-button")
    me: dict[str, Any] = poll(lambda: page.evaluate(STATS).get("self"), "joined")
    return me


def test_the_pupils_page_follows_the_teachers_pdf(
    pages: Pages, demo: Demo, artifacts: Path, tmp_path: Path
) -> None:
    before, slides = tmp_path / "Повторение.pdf", tmp_path / "Дроби.pdf"
    before.write_bytes(numbered_pdf(2))
    slides.write_bytes(numbered_pdf(5))

    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.locator("details.materials summary").click()
    card.locator("input.material-file").set_input_files(str(before))
    card.locator(".material-row", has_text="Повторение.pdf").wait_for()
    assert "2 стр." in text(card, ".material-row")
    card.scroll_into_view_if_needed()
    without_toasts(teacher).screenshot(path=artifacts / "materials-class-list.png", full_page=True)

    card.get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    join(teacher)
    pupil = pages.open("/signin")
    sign_in(pupil, demo.account("pupil"))
    pupil.goto(teacher.url)
    pupil_self = join(pupil)
    poll(lambda: pupil_self["id"] in teacher.evaluate(STATS)["participants"], "the pupil in")

    # The class panel lists the class's material; a new one is uploaded in the room and shown.
    teacher.click("#ctl-host")
    teacher.locator("#host-materials-list .material-item", has_text="Повторение.pdf").wait_for()
    teacher.locator("#host-material-file").set_input_files(str(slides))
    for page in (teacher, pupil):
        rendered(page, 1)
    first = red_pixels(pupil)
    assert first["count"] > 1000, first

    teacher.click("#material-next")
    rendered(teacher, 2)
    teacher.keyboard.press("ArrowRight")
    rendered(pupil, 3)
    assert text(pupil, "#material-page-label") == "Страница 3 из 5"
    assert text(pupil, "#material-title") == "Дроби.pdf"
    third = red_pixels(pupil)
    # The page's big red "3" is on the pupil's canvas: drawn, and not page 1's "1".
    assert third["count"] > 1000 and third["count"] != first["count"], (first, third)

    # A pupil has no page buttons, and their arrows turn nothing.
    assert pupil.locator("#material-controls").is_hidden()
    pupil.keyboard.press("ArrowRight")
    pupil.keyboard.press("ArrowLeft")
    time.sleep(0.5)
    assert teacher.locator("#material-stage").get_attribute("data-page") == "3"

    teacher.click("#material-zoom-in")
    for page in (teacher, pupil):
        rendered(page, 3, "1.25")
    assert text(teacher, "#material-zoom-label") == "125%"

    # Late, on a phone: page 3 at once, at the teacher's zoom.
    pupils = [a for a in demo.accounts.values() if a.role == "pupil"]
    phone = pages.open("/signin", viewport=PHONE)
    sign_in(phone, pupils[1])
    phone.goto(teacher.url)
    join(phone)
    rendered(phone, 3, "1.25")
    assert red_pixels(phone)["count"] > 200

    teacher.click("#material-zoom-out")
    for page in (teacher, pupil, phone):
        rendered(page, 3)
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "materials-teacher.png")
    pupil.screenshot(path=artifacts / "materials-pupil.png")
    phone.screenshot(path=artifacts / "materials-pupil-phone.png")
    teacher.set_viewport_size(PHONE)
    rendered(teacher, 3)
    if teacher.locator("#side-close").is_visible():  # the class panel is a sheet on a phone
        teacher.click("#side-close")
        teacher.locator("#side").wait_for(state="hidden")
    teacher.screenshot(path=artifacts / "materials-teacher-phone.png")

    # A page that reloads comes back to the same page.
    pupil.reload()
    join(pupil)
    rendered(pupil, 3)

    teacher.click("#material-stop")
    for page in (teacher, pupil, phone):
        page.locator("#material-stage").wait_for(state="hidden")
    assert pupil.locator("#grid .tile").count() >= 2

    # The class's list on a phone: both materials, the lesson's one marked so.
    listing = pages.open("/signin", viewport=PHONE)
    sign_in(listing, demo.account("teacher"))
    card = class_card(listing, "7Б")
    card.locator("details.materials summary", has_text="Материалы: 2").click()
    rows = card.locator(".material-row")
    assert rows.count() == 2
    assert "к уроку" in text(card, ".material-row >> nth=0")
    fits_width(listing, PHONE["width"])
    card.locator("details.materials").scroll_into_view_if_needed()
    listing.screenshot(path=artifacts / "materials-class-list-phone.png")
