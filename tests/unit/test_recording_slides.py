"""A composed video shows what the recorded room's stage showed: the material's page with the
board's strokes as of each frame's time on the stage, the cameras in the strip under it, each
with its person's name (Cyrillic too); and back to the people when the material is put away."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from recording.compose import compose
from recording.labels import BOX_Y
from recording.sidecar import write_sidecar
from recording.stage import material_file
from recording.timeline import TIMELINE
from tests.pdfs import SLIDE_COLOURS, coloured_pdf
from tests.recording_media import encode_opus, encode_vp8, recorded_track, solid

WALL = 1_795_000_000.0
BLUE = (0x1E, 0x88, 0xE5)

Frame = npt.NDArray[np.uint8]


def rgb_frames_at(path: Path, times: list[float]) -> list[Frame]:
    """The first frame at or after each of `times`, as RGB."""
    out = []
    with av.open(str(path)) as container:
        pending = list(times)
        for frame in container.decode(video=0):
            while pending and frame.time is not None and frame.time >= pending[0] - 1e-6:
                out.append(frame.to_ndarray(format="rgb24"))
                pending.pop(0)
    assert len(out) == len(times)
    return out


def luma_frames_at(path: Path, times: list[float]) -> list[Frame]:
    out = []
    with av.open(str(path)) as container:
        pending = list(times)
        for frame in container.decode(video=0):
            while pending and frame.time is not None and frame.time >= pending[0] - 1e-6:
                out.append(frame.to_ndarray()[:720])
                pending.pop(0)
    return out


def near(pixels: Frame, colour: tuple[int, int, int], tolerance: int = 30) -> Any:
    return (np.abs(pixels.astype(np.int16) - np.array(colour, np.int16)) < tolerance).all(axis=-1)


def lesson(directory: Path) -> None:
    """Two cameras for 6 s; page 1 shown at 1 s, page 3 at 2 s, a blue stroke across page 3 at
    3.5 s, the material put away at 5 s."""
    tracks = [
        recorded_track(directory, "olga-camera", encode_vp8(180, pictures=solid(200)), WALL),
        recorded_track(directory, "anya-camera", encode_vp8(180, pictures=solid(90)), WALL),
        recorded_track(directory, "olga-microphone", encode_opus(6.0), WALL),
    ]
    write_sidecar(directory, {"tracks": tracks})
    (directory / material_file("m1")).write_bytes(coloured_pdf())
    shown = {"id": "m1", "title": "Дроби.pdf", "pages": 4, "zoom": 1.0}
    stroke = {
        "seq": 1,
        "by": "olga",
        "page": "m1:3",
        "tool": "pen",
        "color": "#1e88e5",
        "width": 24,
        "points": [200.0, 450.0, 1400.0, 450.0],
    }
    people = [
        {"id": "olga", "name": "Ольга Петровна", "host": True},
        {"id": "anya", "name": "Аня", "host": False},
    ]
    events = [
        {"at": WALL, "type": "present", "participants": people},
        {"at": WALL + 1.0, "type": "material", "material": {**shown, "page": 1}, "by": "olga"},
        {"at": WALL + 2.0, "type": "material", "material": {**shown, "page": 3}, "by": "olga"},
        {"at": WALL + 3.5, "type": "board_stroke", "stroke": stroke},
        {"at": WALL + 5.0, "type": "material", "material": None, "by": "olga"},
    ]
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    (directory / TIMELINE).write_text(text, encoding="utf-8")


def test_the_slide_and_its_strokes_on_the_stage_and_named_cameras_below(tmp_path: Path) -> None:
    lesson(tmp_path)
    path = compose(tmp_path)
    people, first, before, after, again = rgb_frames_at(path, [0.5, 1.5, 3.0, 4.5, 5.5])
    # The stage (1280x540): a 16:9 page fitted is 960x540, centred.
    stage = (slice(20, 520), slice(180, 1100))
    assert near(first[stage], SLIDE_COLOURS[0]).mean() > 0.95
    assert near(before[stage], SLIDE_COLOURS[2]).mean() > 0.95
    assert near(before[stage], BLUE).sum() == 0
    # The stroke: y 450 of 900 board units, the page's middle; 24 units thick = 14 px.
    line = after[264:276, 320:960]
    assert near(line, BLUE).mean() > 0.9
    assert near(after[100:200, 320:960], SLIDE_COLOURS[2]).mean() > 0.95
    # Both cameras side by side in the strip's middle (two 320x180 cells from x 320; each 4:3
    # camera 240x180 in its own: x 360..600 and 680..920), no black slot between: Olga's
    # bright, Anya's darker.
    luma_people, luma_after = luma_frames_at(path, [0.5, 4.5])
    strip = luma_after[540:720]
    assert strip[20:120, 400:560].mean() == pytest.approx(200, abs=5)
    assert strip[20:120, 720:880].mean() == pytest.approx(90, abs=5)
    assert strip[:, :350].max() < 30 and strip[:, 930:].max() < 30  # black only around them
    assert strip[:, 610:670].max() < 30  # the 4:3 pictures' own bars: 80 px, not a slot
    # Each camera's name at its bottom left: white letters on the dark box.
    for left in (360, 680):
        box = strip[140:176, left + 4 : left + 120]
        assert (box > 200).sum() > 40, left  # letters
        assert (np.abs(box.astype(int) - BOX_Y) < 12).sum() > box.size // 3, left  # the box
    # Before the material and after it: people on the stage again (Olga, the teacher, large).
    for frame in (luma_people, luma_frames_at(path, [5.5])[0]):
        assert frame[100:400, 400:880].mean() == pytest.approx(200, abs=5)
    assert near(people[stage], SLIDE_COLOURS[0]).mean() < 0.01
    assert near(again[stage], SLIDE_COLOURS[2]).mean() < 0.01


def test_a_material_not_kept_shows_a_blank_page_with_its_strokes(tmp_path: Path) -> None:
    lesson(tmp_path)
    (tmp_path / material_file("m1")).unlink()
    (after,) = rgb_frames_at(compose(tmp_path), [4.5])
    assert near(after[100:200, 320:960], (255, 255, 255), 20).mean() > 0.95
    assert near(after[264:276, 320:960], BLUE).mean() > 0.9
