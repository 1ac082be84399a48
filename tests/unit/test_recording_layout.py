"""Where pictures go in a composed video: the stage, and a strip of the others below it."""

from __future__ import annotations

from recording.layout import HEIGHT, STRIP, WIDTH, Layout, Tile, arrange, fit


def test_one_picture_fills_the_frame_and_more_share_it_as_stage_and_strip() -> None:
    assert arrange(0) == Layout(None, [])
    assert arrange(1) == Layout(Tile(0, 0, WIDTH, HEIGHT), [])
    stage = Tile(0, 0, 1280, 720 - STRIP)
    assert arrange(2) == Layout(stage, [Tile(480, 540, 320, 180)])
    # Four cameras of 320x180 fill the strip's row.
    assert arrange(5) == Layout(stage, [Tile(x, 540, 320, 180) for x in (0, 320, 640, 960)])
    # Two: side by side in the middle, no black cell-wide gap between them.
    assert arrange(3).strip == [Tile(320, 540, 320, 180), Tile(640, 540, 320, 180)]


def test_a_class_of_twenty_five_fits_in_three_rows_and_a_short_last_row_is_centred() -> None:
    tiles = arrange(26).strip
    assert len(tiles) == 25
    assert {(t.width, t.height) for t in tiles} == {(106, 60)}
    assert {t.y for t in tiles} == {540, 600, 660}
    assert [t.x for t in tiles[:9]] == [162 + 106 * n for n in range(9)]
    assert [t.x for t in tiles[18:]] == [268 + 106 * n for n in range(7)]  # 7 of 9: centred
    assert all(fit(t, 16, 9).width == 106 for t in tiles)
    assert all(t.x + t.width <= WIDTH and t.y + t.height <= HEIGHT for t in tiles)


def test_pictures_keep_their_shape_centred_in_their_tile() -> None:
    assert fit(Tile(0, 0, 1280, 540), 640, 360) == Tile(160, 0, 960, 540)
    assert fit(Tile(0, 0, 640, 720), 320, 240) == Tile(0, 120, 640, 480)  # 4:3, letterboxed
    assert fit(Tile(0, 0, 1280, 720), 240, 320) == Tile(370, 0, 540, 720)  # a phone upright
    assert fit(Tile(10, 10, 4, 4), 1000, 10) == Tile(10, 10, 4, 2)  # never below 2 high
