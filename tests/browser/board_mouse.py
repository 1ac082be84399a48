"""Drawing on the whiteboard with the mouse, as a person does (the board, breakout and
recorded-slides browser tests)."""

from __future__ import annotations

from typing import Any


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drags the mouse across the board canvas, from and to fractions of its size."""
    box = page.locator("#board-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    dx, dy = (end[0] - start[0]) * box["width"] / 20, (end[1] - start[1]) * box["height"] / 20
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + step * dx, y + step * dy)
    page.mouse.up()
