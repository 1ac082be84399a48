"""The typeface a composed video writes names and board texts in: DejaVu Sans, from Debian's
fonts-dejavu-core (`make fonts`), which has Cyrillic; Pillow's own font where it is missing
(Latin only: a Russian name would show as boxes, so the Makefile installs the package)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def font(size: int) -> Font:
    """DejaVu Sans at `size` pixels (cached: a label is drawn each time a tile changes)."""
    for path in FONT_PATHS:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)
