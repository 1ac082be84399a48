"""The size a lesson page draws its camera tiles at, as it tells the server, and the simulcast
layer that covers it (bench/tile_sizes.py, measured on the real page)."""

from __future__ import annotations

import pytest

from bench.gallery import COMPUTER, PHONE, PageSize
from bench.simulcast import CAMERA_LAYERS
from bench.tile_sizes import (
    SIZE_STEP,
    TILE_CSS,
    drawn_size,
    layer_for,
    shown_size,
    tiles_on_screen,
)

LAYERS = [(layer.width, layer.height) for layer in CAMERA_LAYERS]
"""240x135, 480x270, 960x540."""


def test_a_phone_s_page_of_four_and_its_own_draws_4_3_tiles_sent_as_192x128() -> None:
    tiles = tiles_on_screen(PHONE.cameras)
    assert tiles == 5
    assert drawn_size(PHONE, tiles) == (183, 137)  # 183 x 137.25 CSS pixels, Math.round
    assert shown_size(PHONE, tiles) == (192, 128)  # seen.js: the nearest 32
    assert layer_for((192, 128), LAYERS) == 0  # 240x135 covers it
    # Rounded up (as the page did before), 240x135 missed 85 % of 160 (136) by a pixel.
    assert layer_for((192, 160), LAYERS) == 1


def test_a_computer_s_page_of_nine_and_its_own_is_covered_by_the_smallest_layer() -> None:
    tiles = tiles_on_screen(COMPUTER.cameras)
    assert tiles == 10
    assert drawn_size(COMPUTER, tiles) == (218, 123)
    assert shown_size(COMPUTER, tiles) == (224, 128)
    assert layer_for((224, 128), LAYERS) == 0


@pytest.mark.parametrize(
    ("page", "tiles", "shown", "layer"),
    [
        (PHONE, 2, (384, 288), 1),
        (PHONE, 3, (320, 224), 1),
        (PHONE, 4, (224, 160), 1),
        (COMPUTER, 2, (448, 256), 1),
        (COMPUTER, 4, (448, 256), 1),
        (COMPUTER, 6, (288, 160), 1),
        (COMPUTER, 9, (288, 160), 1),
    ],
)
def test_fewer_tiles_are_larger(
    page: PageSize, tiles: int, shown: tuple[int, int], layer: int
) -> None:
    assert shown_size(page, tiles) == shown
    assert layer_for(shown, LAYERS) == layer


def test_a_grid_holds_no_more_than_a_page_and_no_remote_tile_has_no_size() -> None:
    assert shown_size(PHONE, 12) == shown_size(PHONE, 5)
    assert drawn_size(PHONE, 1) is None and shown_size(COMPUTER, 0) is None
    assert tiles_on_screen(3, own_tile=False) == 3
    assert max(TILE_CSS[PHONE]) == PHONE.cameras + 1
    assert max(TILE_CSS[COMPUTER]) == COMPUTER.cameras + 1


def test_screens_of_3_device_pixels_or_more_count_css_pixels_twice() -> None:
    # A phone at devicePixelRatio 3: 366 x 274.5 → 366 x 275 → 352 x 288: 480x270 (not 960x540,
    # which its 549 x 412 device pixels would ask for).
    assert drawn_size(PHONE, 5, dpr=3) == (366, 275)
    assert shown_size(PHONE, 5, dpr=3) == (352, 288)
    assert layer_for((352, 288), LAYERS) == 1
    assert shown_size(PHONE, 5, dpr=2) == shown_size(PHONE, 5)
    for page, table in TILE_CSS.items():
        for tiles in table:
            size = shown_size(page, tiles, dpr=2)
            assert size is not None and all(v % SIZE_STEP == 0 for v in size)


def test_the_smallest_layer_covering_85_percent_each_way_else_the_largest() -> None:
    assert layer_for((282, 158), LAYERS) == 0  # 240 ≥ 239.7, 135 ≥ 134.3
    assert layer_for((283, 158), LAYERS) == 1
    assert layer_for((240, 159), LAYERS) == 1
    assert layer_for((2000, 1000), LAYERS) == 2
    assert layer_for((0, 0), LAYERS) == 0
