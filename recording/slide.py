"""The stage's slide in a composed video: the material's page, rasterised with PDFium
(pypdfium2, Apache-2.0/BSD), or the blank white board, with the board's strokes drawn over
it by Pillow, as the live room's pages draw them (web_client/board-draw.js).

The composer runs in a child process (`recording.composition`), so this rendering never
holds up a live room's event loop. A page is rasterised once per size and zoom and each
drawn stage is kept until its strokes change: a slide shown for ten minutes costs one
rendering, not 15,000.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from .fonts import font
from .layout import Tile, even, fit
from .stage import Stage, material_file

BOARD_WIDTH, BOARD_HEIGHT = 1600, 900
"""The board's frame (classroom/board.py): a stroke's units are 1/1600 of the page's width."""
PAPER = (255, 255, 255)
"""The page's background, which the eraser tool paints."""
HIGHLIGHT = 0.35
"""The highlighter's opacity, as the live board's."""
MIN_LINE = 3
"""Pixels: a pen's 4 units on a 960-pixel page are 2.4, which H.264's 4:2:0 colour (one
sample per 2x2 pixels) washes into the page; a line stays its colour from 3."""


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) != 6:
        return (0, 0, 0)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


class Slides:
    """The recording's materials (kept in its directory), rendered as the stage needs them."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._documents: dict[str, pdfium.PdfDocument | None] = {}
        self._pages: dict[tuple[str, int, int, int, int], Image.Image] = {}
        self._drawn: tuple[Any, ...] | None = None
        self._frame: tuple[Tile, av.VideoFrame] | None = None

    def frame(self, stage: Stage, tile: Tile) -> tuple[Tile, av.VideoFrame]:
        """The stage drawn to fit `tile`: where it lands, and the picture (yuv420p)."""
        key = (stage.key, stage.zoom, tuple(s.get("seq") for s in stage.strokes), tile)
        if key != self._drawn or self._frame is None:
            image = self.image(stage, tile)
            place = Tile(
                tile.x + even((tile.width - image.width) / 2),
                tile.y + even((tile.height - image.height) / 2),
                image.width,
                image.height,
            )
            frame = av.VideoFrame.from_image(image).reformat(format="yuv420p")
            self._drawn, self._frame = key, (place, frame)
        return self._frame

    def image(self, stage: Stage, tile: Tile) -> Image.Image:
        """The page (or the blank board) at its zoom, no larger than `tile`, strokes on it."""
        page = self._page(stage, tile) if stage.material is not None else None
        if page is None:
            board = fit(tile, BOARD_WIDTH, BOARD_HEIGHT)
            page = Image.new("RGB", (board.width, board.height), PAPER)
        else:
            page = page.copy()
        draw_strokes(page, stage.strokes, page.width / BOARD_WIDTH)
        return self._cropped(page, stage.zoom, tile)

    def _cropped(self, page: Image.Image, zoom: float, tile: Tile) -> Image.Image:
        """A zoomed page larger than the stage: what an unscrolled stage shows of it (its
        top, centred across, as web_client/materials.css places it)."""
        width, height = min(page.width, tile.width), min(page.height, tile.height)
        left = (page.width - width) // 2
        if zoom <= 1:
            return page
        return page.crop((left, 0, left + even(width), even(height)))

    def _document(self, material_id: str) -> pdfium.PdfDocument | None:
        if material_id not in self._documents:
            path = self._directory / material_file(material_id)
            try:
                self._documents[material_id] = pdfium.PdfDocument(path)
            except (OSError, pdfium.PdfiumError):
                self._documents[material_id] = None  # not kept: the stage shows the board
        return self._documents[material_id]

    def _page(self, stage: Stage, tile: Tile) -> Image.Image | None:
        """The page rasterised as the stage shows it: the whole page fits `tile` at zoom 1,
        `zoom` times that larger (even sizes, for 4:2:0)."""
        material = stage.material
        assert material is not None
        document = self._document(str(material["id"]))
        if document is None or not 1 <= stage.page <= len(document):
            return None
        key = (str(material["id"]), stage.page, tile.width, tile.height, round(stage.zoom * 1000))
        cached = self._pages.get(key)
        if cached is None:
            page = document[stage.page - 1]
            width, height = page.get_size()
            scale = min(tile.width / width, tile.height / height) * stage.zoom
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil().convert("RGB")
            cached = image.crop((0, 0, max(2, even(image.width)), max(2, even(image.height))))
            self._pages[key] = cached
        return cached

    def close(self) -> None:
        for document in self._documents.values():
            if document is not None:
                document.close()
        self._documents.clear()


def draw_strokes(image: Image.Image, strokes: tuple[dict[str, Any], ...], scale: float) -> None:
    """Each stroke on `image` in order, `scale` pixels per board unit."""
    for stroke in strokes:
        if stroke.get("tool") == "highlighter":
            layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
            _draw(ImageDraw.Draw(layer), stroke, scale)
            alpha = layer.getchannel("A").point(lambda a: round(a * HIGHLIGHT))
            layer.putalpha(alpha)
            image.paste(layer, (0, 0), layer)
        else:
            _draw(ImageDraw.Draw(image), stroke, scale)


def _draw(draw: ImageDraw.ImageDraw, stroke: dict[str, Any], scale: float) -> None:
    tool = stroke.get("tool")
    points = [float(v) * scale for v in stroke.get("points") or []]
    if len(points) < 2:
        return
    colour = PAPER if tool == "eraser" else _rgb(str(stroke.get("color", "#000000")))
    width = max(MIN_LINE, round(float(stroke.get("width", 1)) * scale))
    if tool == "text":
        size = max(8, round(float(stroke.get("width", 1)) * 4 * scale))
        text = str(stroke.get("text") or "")
        draw.text((points[0], points[1]), text, fill=colour, font=font(size))
    elif tool in ("rect", "ellipse") and len(points) >= 4:
        box = (
            min(points[0], points[2]),
            min(points[1], points[3]),
            max(points[0], points[2]),
            max(points[1], points[3]),
        )
        shape = draw.rectangle if tool == "rect" else draw.ellipse
        shape(box, outline=colour, width=width)
    else:
        xy = list(zip(points[0::2], points[1::2], strict=False))
        if len(xy) > 1:
            draw.line(xy, fill=colour, width=width, joint="curve")
        # Round caps, as the browser's lineCap: a dot for a single point.
        r = width / 2
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
