"""How large a lesson page draws each camera, as it tells the server, and the layer that fits.

The page (``web_client/tiles.js`` ``shownSizes``, ``seen.js``) sends ``set_video_sizes`` with
the size each remote video is drawn at: its ``<video>``'s CSS box (doubled on screens of 3
device pixels to one or more), each rounded, then rounded to the nearest 32 pixels
(docs/protocol.md). In the grid
view every tile of a page has one size, set by the stylesheet from how many tiles the grid
holds (the remote people on the page and one's own tile; ``style.css`` ``.grid[data-count]``)
and the screen. ``TILE_CSS`` is that size, measured once on the real page with Playwright and
Debian's Chromium (5 December 2026, the page at commit 04efabe), at ``devicePixelRatio`` 1 as
the browser tests run it:

- ``gallery.PHONE``: a 390x844 viewport, ``is_mobile``, upright: a page of 4 cameras and our
  own is 2 columns of 4:3 tiles, 183x137.25 CSS pixels, sent as 192x128;
- ``gallery.COMPUTER``: 1280x800 with the chat open (the default): a page of 9 and our own is
  4 columns of 16:9 tiles, 218x122.625, sent as 224x128.

A server that takes simulcast sends the smallest layer covering 85 % of the size in both
directions (``layer_for``; our server's ``allocation.spatial_cap``, which the bench does not
import); a bench page on Janus asks for that layer itself (``substream``).

Not modelled: a stage (a pinned person or a shared screen) and speaker view, other screens,
a rotated phone. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .gallery import COMPUTER, PHONE, PageSize

Size = tuple[int, int]

TILE_CSS: dict[PageSize, dict[int, tuple[float, float]]] = {
    PHONE: {
        2: (374.0, 280.5),
        3: (312.0, 234.0),
        4: (231.328125, 173.484375),
        5: (183.0, 137.25),
    },
    COMPUTER: {
        **dict.fromkeys((2, 3, 4), (448.0, 252.0)),
        **dict.fromkeys((5, 6, 7, 8, 9), (294.65625, 165.734375)),
        10: (218.0, 122.625),
    },
}
"""CSS pixels of every tile's ``<video>`` by the number of tiles in the grid (measured)."""
SIZE_STEP = 32
"""seen.js's SIZE_STEP: sizes are rounded to it, so a tile growing a little asks nothing."""
COVERS = 0.85
"""A layer covers a tile down to 85 % of its size in each direction (docs/protocol.md)."""


def tiles_on_screen(remote: int, own_tile: bool = True) -> int:
    """The grid's tile count: the remote people on the page, and one's own tile (a page that
    may publish shows it, camera on or off)."""
    return remote + (1 if own_tile else 0)


def drawn_size(page: PageSize, tiles: int, dpr: float = 1.0) -> Size | None:
    """Pixels of each tile's video in a grid of ``tiles`` as tiles.js ``shownSizes`` counts
    them (CSS size, × 2 where ``dpr`` ≥ 3, rounded); None for a grid of fewer than 2 (no
    remote tile)."""
    table = TILE_CSS[page]
    if tiles < min(table):
        return None
    width, height = table[min(tiles, max(table))]
    scale = 2 if dpr >= 3 else 1
    return _js_round(width * scale), _js_round(height * scale)


def shown_size(page: PageSize, tiles: int, dpr: float = 1.0) -> Size | None:
    """What the page sends for each tile in ``set_video_sizes`` (``drawn_size`` rounded to
    the nearest ``SIZE_STEP``, at least one, as seen.js does)."""
    drawn = drawn_size(page, tiles, dpr)
    if drawn is None:
        return None
    return _to_step(drawn[0]), _to_step(drawn[1])


def layer_for(shown: Size, layers: Sequence[Size]) -> int:
    """The index of the smallest of ``layers`` (smallest first) covering ``COVERS`` of
    ``shown`` in width and height; the largest when none does."""
    width, height = shown
    for index, (layer_width, layer_height) in enumerate(layers):
        if layer_width >= width * COVERS and layer_height >= height * COVERS:
            return index
    return len(layers) - 1


def _js_round(value: float) -> int:
    """JavaScript's Math.round (halves go up)."""
    return math.floor(value + 0.5)


def _to_step(value: int) -> int:
    return max(SIZE_STEP, _js_round(value / SIZE_STEP) * SIZE_STEP)
