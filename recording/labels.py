"""A person's name on their picture in a composed video: white letters on a dark box at its
bottom left, as the live room's tiles show it, so a pupil rewatching knows who speaks.

Drawn straight into the output's Y, U and V planes: the letters are a Pillow mask rendered
once per name and size (DejaVu Sans, Cyrillic included) and kept; each frame only copies it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from .fonts import font
from .layout import Tile, even

BOX_Y = 40
"""The box's luma (video range 16..235): a dark grey the camera behind rarely matches."""
TEXT_Y = 235
"""The letters' luma: white."""
NEUTRAL = 128
"""Chroma of a grey."""
MAX_NAME = 40
"""Characters of a name shown; a longer one ends in "…"."""

Plane = npt.NDArray[np.uint8]


@lru_cache(maxsize=256)
def label_mask(name: str, width: int, height: int) -> npt.NDArray[np.uint8]:
    """The label for a picture `width` x `height`: a box (even sizes), its letters' coverage
    0..255, or an empty array when the picture is too small to hold one."""
    size = max(10, min(22, height // 9))
    pad = max(2, size // 3)
    text = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
    face = font(size)
    left, top, right, bottom = face.getbbox(text)
    box_w = even(min(width - 2 * pad, right - left + 2 * pad) + 1)
    box_h = even(size + 2 * pad + 1)
    if box_w < 4 * pad or box_h > height // 2:
        return np.zeros((0, 0), np.uint8)
    mask = Image.new("L", (box_w, box_h), 0)
    at = (pad - left, pad + (size - (bottom - top)) // 2 - top)
    ImageDraw.Draw(mask).text(at, text, 255, face)
    return np.asarray(mask, np.uint8).copy()


def draw_label(planes: tuple[Plane, Plane, Plane], place: Tile, name: str) -> None:
    """`name` at the bottom left of the picture at `place`, inside it."""
    mask = label_mask(name, place.width, place.height)
    if not mask.size:
        return
    h, w = mask.shape
    margin = max(2, even(place.height / 40))
    x, y = place.x + margin, place.y + place.height - margin - h
    y_plane, u_plane, v_plane = planes
    letters = mask.astype(np.uint16)
    y_plane[y : y + h, x : x + w] = (BOX_Y + (letters * (TEXT_Y - BOX_Y)) // 255).astype(np.uint8)
    u_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = NEUTRAL
    v_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = NEUTRAL
