"""The whiteboard in real Chromium: the teacher opens the blank board and calls a pupil to it;
the pupil draws a red line with the mouse; the teacher's board shows it (red pixels on the
board's canvas) and a pupil joining late gets it; the pupil undoes it and it is gone for the
teacher. A screenshot of the teacher's page (computer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .school_site import LESSON_URL, STATS, Demo, Pages, class_card, poll, sign_in, without_toasts

pytestmark = pytest.mark.browser

RED = (0xE5, 0x39, 0x35)
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


def red_pixels(page: Any) -> int:
    count: int = page.evaluate(COLOURED_PIXELS, list(RED))
    return count


def join(page: Any) -> dict[str, Any]:
    page.click("#join-button")
    me: dict[str, Any] = poll(lambda: page.evaluate(STATS).get("self"), "joined")
    return me


def strokes(page: Any, count: int) -> None:
    page.locator(f'#board-canvas[data-strokes="{count}"]').wait_for()


def test_a_called_pupil_draws_and_the_teacher_sees_it(
    pages: Pages, demo: Demo, artifacts: Path
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
    box = pupil.locator("#board-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3
    pupil.mouse.move(x, y)
    pupil.mouse.down()
    for step in range(1, 21):
        pupil.mouse.move(x + step * box["width"] * 0.02, y + step * box["height"] * 0.015)
    pupil.mouse.up()

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
