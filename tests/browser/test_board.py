"""The whiteboard in real Chromium: the teacher opens the blank board and calls a pupil to it;
the pupil draws a red line with the mouse; the teacher's board shows it (red pixels on the
board's canvas) and a pupil joining late gets it; the pupil undoes it and it is gone for the
teacher. Then the teacher shows a PDF: the board lies over its page, the teacher's rectangle
and text drawn there reach the pupil, and it stays with that page (page 2 has none). Screenshots of
both pages (computer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pdfs import numbered_pdf

from .board_mouse import drag
from .school_site import (
    LESSON_URL,
    PHONE,
    STATS,
    Demo,
    Pages,
    class_card,
    poll,
    sign_in,
    without_toasts,
)

pytestmark = pytest.mark.browser

RED = (0xE5, 0x39, 0x35)
BLUE = (0x1E, 0x88, 0xE5)
COLOURED_PIXELS = """([r, g, b]) => {
    const canvas = document.getElementById('board-canvas');
    if (!canvas) return -1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (i, value) => Math.abs(data[i] - value) < 30;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && near(i, r) && near(i + 1, g) && near(i + 2, b)) count++;
    }
    return count;
}"""


def red_pixels(page: Any, colour: tuple[int, int, int] = RED) -> int:
    """Pixels of `colour` on the page's board canvas (-1: no board)."""
    count: int = page.evaluate(COLOURED_PIXELS, list(colour))
    return count


def join(page: Any) -> dict[str, Any]:
    page.click("#join-button")
    me: dict[str, Any] = poll(lambda: page.evaluate(STATS).get("self"), "joined")
    return me


def strokes(page: Any, count: int) -> None:
    page.locator(f'#board-canvas[data-strokes="{count}"]').wait_for()


def test_a_called_pupil_draws_and_the_teacher_sees_it(
    pages: Pages, demo: Demo, artifacts: Path, tmp_path: Path
) -> None:
    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    join(teacher)
    pupil = pages.open("/signin")
    sign_in(pupil, demo.account("pupil"))
    pupil.goto(teacher.url)
    pupil_self = join(pupil)
    poll(lambda: pupil_self["id"] in teacher.evaluate(STATS)["participants"], "the pupil in")

    teacher.click("#ctl-host")
    teacher.click("#board-open")
    for page in (teacher, pupil):
        page.locator("#board-stage #board-canvas").wait_for()
    # Not called yet: the pupil has no toolbar, and the board takes no pen.
    assert pupil.locator("#board-toolbar").is_hidden()

    teacher.locator("#board-allow").select_option(pupil_self["id"])
    pupil.locator("#board-toolbar").wait_for()
    pupil.click("#board-tool-pen")
    drag(pupil, (0.2, 0.3), (0.6, 0.6))

    for page in (teacher, pupil):
        strokes(page, 1)
    assert poll(lambda: red_pixels(teacher) > 200 or None, "the red line on the teacher's board")
    if teacher.locator("#side-close").is_visible():
        teacher.click("#side-close")
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "board-teacher.png")
    pupil.screenshot(path=artifacts / "board-pupil.png")

    # Late: the board and its line at once.
    pupils = [a for a in demo.accounts.values() if a.role == "pupil"]
    late = pages.open("/signin")
    sign_in(late, pupils[1])
    late.goto(teacher.url)
    join(late)
    strokes(late, 1)
    assert red_pixels(late) > 200
    assert late.locator("#board-toolbar").is_hidden()  # called: the first pupil, not this one

    pupil.click("#board-undo")
    for page in (teacher, pupil, late):
        strokes(page, 0)
    assert red_pixels(teacher) == 0

    # Over a material: the board lies on its page, and its strokes belong to that page.
    slides = tmp_path / "Дроби.pdf"
    slides.write_bytes(numbered_pdf(3))
    if not teacher.locator("#host-material-file").is_visible():
        teacher.click("#ctl-host")
    teacher.locator("#host-material-file").set_input_files(str(slides))
    for page in (teacher, pupil):
        page.locator('#material-stage[data-rendered-page="1"]').wait_for()
        page.locator("#material-view #board-canvas").wait_for()
        strokes(page, 0)
    assert teacher.locator("#board-stage").is_hidden()
    teacher.click("#board-tool-rect")
    teacher.click('.board-swatch[data-color="#1e88e5"]')
    drag(teacher, (0.3, 0.2), (0.7, 0.5))
    for page in (teacher, pupil):
        strokes(page, 1)
    # A text: typed where the board is clicked, kept on Enter.
    teacher.click("#board-tool-text")
    box = teacher.locator("#board-canvas").bounding_box()
    assert box is not None
    teacher.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.75)
    teacher.locator(".board-text").fill("x = 5")
    teacher.keyboard.press("Enter")
    for page in (teacher, pupil):
        strokes(page, 2)
    teacher.locator(".board-text").wait_for(state="detached")
    assert poll(lambda: red_pixels(pupil, BLUE) > 200 or None, "the blue rectangle on the PDF")
    assert red_pixels(pupil) == 0  # the pupil's red line stays on the blank page
    below_the_title(teacher)
    if teacher.locator("#side-close").is_visible():
        teacher.click("#side-close")
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "board-material-teacher.png")
    pupil.screenshot(path=artifacts / "board-material-pupil.png")
    teacher.click("#material-next")
    for page in (teacher, pupil):
        page.locator('#material-stage[data-rendered-page="2"]').wait_for()
        strokes(page, 0)

    # On a phone: the board over the page, its toolbar above it.
    teacher.click("#material-prev")
    teacher.set_viewport_size(PHONE)
    teacher.locator('#material-stage[data-rendered-page="1"]').wait_for()
    strokes(teacher, 2)
    if teacher.locator("#side-close").is_visible():
        teacher.click("#side-close")
    below_the_title(teacher)
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "board-material-teacher-phone.png")


def below_the_title(page: Any) -> None:
    """The toolbar leaves the material's title and page label in sight: it starts below
    them, and the page's board starts below it."""
    head = page.locator(".material-head").bounding_box()
    bar = page.locator("#board-toolbar").bounding_box()
    board = page.locator("#board-canvas").bounding_box()
    assert head is not None and bar is not None and board is not None
    assert bar["y"] >= head["y"] + head["height"] - 1, (head, bar)
    assert board["y"] >= bar["y"] + bar["height"] - 1, (bar, board)
    assert page.locator("#material-page-label").is_visible()
