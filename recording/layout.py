"""Where each picture goes in a composed video: one large on the stage, the others in a strip.

The stage shows the screen being shared, or else whoever speaks (the teacher when no one
does); everyone else with a camera on sits in a strip below it, as pupils expect from a
lesson recording. A lone picture fills the whole frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 1280
HEIGHT = 720
STRIP = 180
"""Height of the strip below the stage: four 16:9 cameras of 320x180 side by side."""
STRIP_ROWS = 3
"""At most this many rows of small pictures in the strip (a class of 25: 106x60 each)."""


@dataclass(frozen=True)
class Tile:
    """A rectangle of the frame (even numbers: 4:2:0 chroma)."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Layout:
    stage: Tile | None
    """None when there is no picture at all."""
    strip: list[Tile]


def arrange(pictures: int, width: int = WIDTH, height: int = HEIGHT) -> Layout:
    """The stage for the first of `pictures` and the strip's tiles for the others."""
    if pictures <= 0:
        return Layout(None, [])
    if pictures == 1:
        return Layout(Tile(0, 0, width, height), [])
    return Layout(
        Tile(0, 0, width, height - STRIP),
        strip(pictures - 1, Tile(0, height - STRIP, width, STRIP)),
    )


def strip(count: int, area: Tile) -> list[Tile]:
    """`count` equal cells in `area` row by row, in as many rows (up to `STRIP_ROWS`) as gives
    16:9 pictures the most room, each row centred."""
    if count <= 0:
        return []
    best = (-1, 1, count)
    for rows in range(1, min(count, STRIP_ROWS) + 1):
        columns = math.ceil(count / rows)
        shown = fit(Tile(0, 0, area.width // columns, area.height // rows), 16, 9)
        if shown.width * shown.height > best[0]:
            best = (shown.width * shown.height, rows, columns)
    _, rows, columns = best
    cell_h = even(area.height / rows)
    # A cell no wider than a 16:9 picture of its height: fewer cameras than fill the row sit
    # side by side in its middle, not each in the middle of a wide cell with black between
    # (which looked like an empty slot in the strip).
    cell_w = min(even(area.width / columns), even(cell_h * 16 / 9))
    # Rows are centred, the last one too when it is not full.
    cells = []
    for n in range(count):
        row, column = divmod(n, columns)
        in_row = min(columns, count - row * columns)
        left = area.x + even((area.width - in_row * cell_w) / 2)
        top = area.y + even((area.height - rows * cell_h) / 2)
        cells.append(Tile(left + column * cell_w, top + row * cell_h, cell_w, cell_h))
    return cells


def fit(tile: Tile, width: int, height: int) -> Tile:
    """The part of `tile` a `width`x`height` picture fills, keeping its shape, centred."""
    scale = min(tile.width / width, tile.height / height)
    w, h = max(2, even(width * scale)), max(2, even(height * scale))
    return Tile(tile.x + even((tile.width - w) / 2), tile.y + even((tile.height - h) / 2), w, h)


def even(value: float) -> int:
    return int(value) // 2 * 2
