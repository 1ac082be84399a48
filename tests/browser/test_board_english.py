"""The whiteboard's page in English, in real Chromium: the teacher's toolbar says its tools,
widths, undo, clear and who draws in English; the width picker draws a thick line wider than
a thin one; a pupil joining a large board gets all of it (sent in parts). Screenshots in
English (computer, phone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .board_mouse import drag
from .school_site import LESSON_URL, Demo, Pages, class_card, sign_in, without_toasts
from .test_board import join, red_pixels, strokes

pytestmark = pytest.mark.browser

ENGLISH = {
    "#board-tool-pen": "Pen",
    "#board-tool-highlighter": "Highlighter",
    "#board-tool-line": "Line",
    "#board-tool-rect": "Rectangle",
    "#board-tool-ellipse": "Ellipse",
    "#board-tool-text": "Text",
    "#board-tool-eraser": "Eraser",
    "#board-undo": "Undo",
    "#board-clear": "Clear",
    "#board-open": "Close the whiteboard",
}


FILL_THE_BOARD = """async (count) => {
    const client = window.classroom.client;
    for (let i = 0; i < count; i++) {
        const points = [];
        for (let j = 0; j < 1000; j++) points.push(100 + ((i * 7 + j) % 1400), 100 + (j % 700));
        await client.request('board_stroke', {
            page: 'blank', tool: 'pen', color: '#000000', width: 2, points,
        });
    }
    return count;
}"""


def test_the_board_in_english_and_its_width_picker(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher = pages.open("/signin", locale="en-US")
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Start lesson").click()
    teacher.wait_for_url(LESSON_URL)
    join(teacher)
    teacher.click("#ctl-host")
    assert teacher.locator("#board-open").inner_text().strip() == "Whiteboard"
    teacher.click("#board-open")
    teacher.locator("#board-stage #board-canvas").wait_for()
    teacher.locator("#board-toolbar").wait_for()

    labels = {s: teacher.locator(s).inner_text().strip() for s in ENGLISH}
    assert labels == ENGLISH
    widths = teacher.locator(".board-widths button")
    assert [widths.nth(i).get_attribute("aria-label") for i in range(3)] == [
        "Thin line",
        "Medium line",
        "Thick line",
    ]
    options = teacher.locator("#board-allow option").all_inner_texts()
    assert options[:2] == ["Only the teacher draws", "Everyone draws"]
    swatch = teacher.locator('.board-swatch[data-color="#e53935"]')
    assert swatch.get_attribute("aria-label") == "Colour #e53935"

    # The width picker: the same stroke, thick then thin; the text tool has no width.
    teacher.click("#board-tool-pen")
    teacher.click("#board-width-thick")
    drag(teacher, (0.2, 0.3), (0.7, 0.6))
    strokes(teacher, 1)
    thick = red_pixels(teacher)
    teacher.click("#board-undo")
    strokes(teacher, 0)
    teacher.click("#board-width-thin")
    assert teacher.locator("#board-width-thin").get_attribute("aria-checked") == "true"
    drag(teacher, (0.2, 0.3), (0.7, 0.6))
    strokes(teacher, 1)
    thin = red_pixels(teacher)
    assert thin > 100 and thick > 3 * thin, (thick, thin)
    teacher.click("#board-tool-text")
    assert teacher.locator("#board-width-thick").is_disabled()
    teacher.click("#board-tool-pen")
    teacher.click("#board-width-thick")
    drag(teacher, (0.2, 0.7), (0.7, 0.8))
    strokes(teacher, 2)

    # A large board (1.8 MB of strokes): a pupil joining late gets it in parts (`joined`, then
    # `board_strokes`), every stroke of it.
    sent = teacher.evaluate(FILL_THE_BOARD, 150)
    assert sent == 150
    strokes(teacher, 152)
    pupil = pages.open("/signin", locale="en-US")
    sign_in(pupil, demo.account("pupil"))
    pupil.goto(teacher.url)
    join(pupil)
    strokes(pupil, 152)

    if teacher.locator("#side-close").is_visible():
        teacher.click("#side-close")
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "board-english.png")
    teacher.set_viewport_size({"width": 390, "height": 844})
    teacher.locator("#board-toolbar").wait_for()
    without_toasts(teacher)
    teacher.screenshot(path=artifacts / "board-english-phone.png")
