"""A recorded lesson keeps what was shown (issue 18): in real Chromium the teacher records, shows
a PDF whose pages are each one colour (page 3 red), turns to page 3 and draws a blue line on it.
The recording keeps the PDF and its timeline every page turn and the stroke; the composed video
has the red page with the blue line on its stage and the two cameras, named, in its strip; and
the playback page, seeked after the stroke, shows page 3 with the line, seeked before it page 3
without, and seeked before the PDF no slide; a poll asked after the stroke shows with the counts
the class saw, then closed, and not before it was asked. Screenshots of the playback (computer
and phone) and a frame of the composed video."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from recording.layout import arrange
from recording.stage import material_file, stage_at
from recording.timeline import read_timeline
from tests.pdfs import SLIDE_COLOURS, coloured_pdf
from tests.unit.test_recording_stage import EVENTS

from .board_mouse import drag
from .school_site import (
    LESSON_URL,
    STATS,
    Demo,
    Pages,
    api_call,
    class_card,
    fits_width,
    poll,
    sign_in,
)

pytestmark = pytest.mark.browser

RED = SLIDE_COLOURS[2]
BLUE = (0x1E, 0x88, 0xE5)
QUESTION = "Какого цвета третья страница?"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
COLOURED = """([id, [r, g, b]]) => {
    const canvas = document.getElementById(id);
    if (!canvas) return -1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (i, value) => Math.abs(data[i] - value) < 30;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
        // A thin line's edges are partly transparent (their colour kept): counted too.
        if (data[i + 3] > 60 && near(i, r) && near(i + 1, g) && near(i + 2, b)) count++;
    }
    return {count, share: count / (canvas.width * canvas.height)};
}"""
SEEK = "(at) => { const v = document.getElementById('video'); v.pause(); v.currentTime = at; }"

Frame = npt.NDArray[np.uint8]


def coloured(page: Any, canvas: str, colour: tuple[int, int, int]) -> dict[str, float]:
    found: dict[str, float] = page.evaluate(COLOURED, [canvas, list(colour)])
    return found


def sees(page: Any, participant_id: str) -> bool:
    entry = page.evaluate(STATS)["participants"].get(participant_id)
    return bool(entry and entry["framesDecoded"] > 0 and entry["packetsReceived"] > 0)


def join(page: Any) -> str:
    page.click("#join-button")
    return str(poll(lambda: (page.evaluate(STATS).get("self") or {}).get("id"), "joined"))


def frame_at(path: Path, seconds: float) -> Frame:
    """The composed video's first frame at or after `seconds`, as RGB."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= seconds:
                picture: Frame = frame.to_ndarray(format="rgb24")
                return picture
    raise AssertionError(f"no frame at {seconds} s")


def near(pixels: Frame, colour: tuple[int, int, int], tolerance: int = 40) -> Any:
    return (np.abs(pixels.astype(np.int16) - np.array(colour, np.int16)) < tolerance).all(axis=-1)


def bluish(pixels: Frame) -> Any:
    """Pixels more blue than red: the blue pen's line on the red page."""
    rgb = pixels.astype(np.int16)
    return rgb[..., 2] > rgb[..., 0] + 40


def test_the_recording_keeps_the_slide_and_its_stroke(
    pages: Pages, demo: Demo, artifacts: Path, tmp_path: Path
) -> None:
    slides = tmp_path / "Цвета.pdf"
    slides.write_bytes(coloured_pdf())
    teacher = pages.open("/signin", viewport=DESKTOP)
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    pupil = pages.open("/signin", viewport=DESKTOP)
    sign_in(pupil, demo.account("pupil"))
    pupil.goto(teacher.url)
    teacher_id, pupil_id = join(teacher), join(pupil)
    poll(lambda: sees(teacher, pupil_id) and sees(pupil, teacher_id), "both to see each other")
    session_id = teacher.url.split("/lesson/")[1].split("?")[0]

    switch = f"/api/sessions/{session_id}/recording"
    recording_id = api_call(teacher, "POST", switch, {"on": True})["recordingId"]
    pupil.locator("#recording-badge").wait_for()
    time.sleep(1.5)
    teacher.click("#ctl-host")
    teacher.locator("#host-material-file").set_input_files(str(slides))
    teacher.locator('#material-stage[data-rendered-page="1"]').wait_for()
    time.sleep(1.0)
    for page in (2, 3):
        teacher.click("#material-next")
        teacher.locator(f'#material-stage[data-rendered-page="{page}"]').wait_for()
        time.sleep(1.0)
    time.sleep(1.0)
    teacher.click("#board-tool-pen")
    teacher.click('.board-swatch[data-color="#1e88e5"]')
    drag(teacher, (0.15, 0.5), (0.85, 0.5))
    teacher.locator('#board-canvas[data-strokes="1"]').wait_for()
    time.sleep(2.5)
    # A poll, answered by the pupil and closed.
    teacher.click("#host-new-poll")
    teacher.locator("#poll-dialog").wait_for()
    teacher.fill("#poll-question", QUESTION)
    options = teacher.locator("#poll-options .poll-option-input")
    options.nth(0).fill("Красная")
    options.nth(1).fill("Синяя")
    teacher.click("#poll-start")
    teacher.locator("#poll-dialog").wait_for(state="hidden")
    card = pupil.locator(".poll-card", has_text=QUESTION)
    card.get_by_text("Красная").click()
    card.get_by_role("button", name="Ответить").click()
    card.locator(".poll-status", has_text="Ответ отправлен.").wait_for()
    time.sleep(1.0)
    closing = teacher.locator(".poll-card", has_text=QUESTION)
    closing.get_by_role("button", name="Завершить опрос").click()
    pupil.locator(".poll-card.closed", has_text=QUESTION).wait_for()
    time.sleep(1.5)
    api_call(teacher, "POST", switch, {"on": False})

    # The recording: the PDF kept, the page turns and the stroke in its timeline.
    directory = next((demo.data / "recordings").glob(f"*/{recording_id}"))
    events = read_timeline(directory)
    shown = [e for e in events if e["type"] == "material"]
    material_id = shown[0]["material"]["id"]
    assert [e["material"]["page"] for e in shown] == [1, 2, 3]
    assert (directory / material_file(material_id)).read_bytes() == coloured_pdf()
    (stroke,) = [e for e in events if e["type"] == "board_stroke"]
    assert stroke["stroke"]["page"] == f"{material_id}:3"
    assert stroke["stroke"]["color"] == "#1e88e5"
    page3_at, stroke_at = shown[2]["at"], stroke["at"]
    assert stroke_at - page3_at > 1.5

    detail = poll(
        lambda: (lambda d: d if d["composed"] else None)(
            api_call(pupil, "GET", f"/api/sessions/{session_id}/recordings/{recording_id}")
        ),
        "the lesson video to be composed",
        within=180,
    )
    assert detail["materials"] == {material_id: material_file(material_id)}
    origin = detail["composed_origin"]

    # The composed video, a second after the stroke: the red page on the stage (1280x540; a
    # 16:9 page fitted is 960x540), the blue line across it, the two cameras in the strip.
    after = frame_at(directory / "composed.mp4", stroke_at - origin + 1.0)
    av.VideoFrame.from_ndarray(after, format="rgb24").to_image().save(
        artifacts / "composed-slide.png"
    )
    page = after[0:540, 160:1120]
    assert near(page, RED).mean() > 0.95
    # The pen's line (3 px, the page's middle row): blue over the red, as far as video keeps it.
    assert bluish(page[260:280]).sum() > 600
    before = frame_at(directory / "composed.mp4", stroke_at - origin - 0.8)
    assert near(before[0:540, 160:1120], RED).mean() > 0.98
    assert bluish(before[0:540, 160:1120]).sum() == 0
    # Each of the strip's two cells holds a camera (no black empty one) and its name: white
    # letters at its bottom left.
    luma = after.astype(np.int32).sum(axis=-1) // 3
    layout = arrange(3)
    assert len(layout.strip) == 2
    for cell in layout.strip:
        middle = luma[
            cell.y + 40 : cell.y + 120,
            cell.x + cell.width // 2 - 60 : cell.x + cell.width // 2 + 60,
        ]
        assert middle.mean() > 40, cell
        assert (luma[cell.y : cell.y + cell.height, cell.x : cell.x + cell.width] > 200).any()
    label_rows = luma[680:720]
    assert (label_rows > 220).sum() > 60  # the names' letters

    # The playback page: the pupil rewatches.
    pupil.goto(pages.url(f"/recordings/{session_id}/{recording_id}"))
    pupil.locator("video#video[data-source=composed]").wait_for()
    poll(lambda: pupil.evaluate("() => document.getElementById('video').readyState") >= 1, "video")
    pupil.evaluate(SEEK, stroke_at - origin + 1.0)
    third = f"{material_id}:3"
    pupil.locator(f'#slide[data-rendered-page="{third}"]').wait_for()
    pupil.locator('#slide-board[data-strokes="1"]').wait_for()
    assert coloured(pupil, "slide-canvas", RED)["share"] > 0.95
    assert coloured(pupil, "slide-board", BLUE)["count"] > 300  # a 4-unit pen, ~1.5 px here
    assert pupil.locator("#replay-poll").is_hidden()  # not asked yet

    # The poll at its moments: asked and answered (the counts the class saw), then closed.
    asked = next(e["at"] for e in events if e["type"] == "poll")
    answered = next(e["at"] for e in events if e["type"] == "poll_results" and e["voters"])
    closed = next(e["at"] for e in events if e["type"] == "poll_closed")
    pupil.evaluate(SEEK, (answered + closed) / 2 - origin)
    poll_card = pupil.locator("#replay-poll")
    poll_card.wait_for()
    assert poll_card.locator("#replay-poll-question").inner_text() == QUESTION
    assert poll_card.locator("#replay-poll-kicker").text_content() == "Опрос"
    counts = poll_card.locator(".replay-poll-option .replay-poll-count").all_inner_texts()
    assert counts == ["1", "0"]
    assert poll_card.locator("#replay-poll-voters").inner_text() == "Ответили: 1"
    pupil.evaluate(SEEK, closed - origin + 0.5)
    pupil.locator("#replay-poll.closed").wait_for()
    assert poll_card.locator("#replay-poll-kicker").text_content() == "Опрос · завершён"
    pupil.locator('#slide-board[data-strokes="1"]').wait_for()
    pupil.screenshot(path=artifacts / "playback-slide.png")
    pupil.set_viewport_size(PHONE)
    pupil.locator('#slide-board[data-strokes="1"]').wait_for()
    fits_width(pupil, PHONE["width"])
    pupil.screenshot(path=artifacts / "playback-slide-phone.png", full_page=True)
    pupil.set_viewport_size(DESKTOP)
    pupil.click("#lang-switch [data-lang=en]")
    assert poll_card.locator("#replay-poll-kicker").text_content() == "Poll · closed"
    assert poll_card.locator("#replay-poll-voters").inner_text() == "Answered: 1"
    pupil.screenshot(path=artifacts / "playback-slide-en.png")
    pupil.evaluate(SEEK, asked - origin - 0.5)
    poll_card.wait_for(state="hidden")

    # Back before the stroke: page 3, no line; before the PDF: no slide, the video alone.
    pupil.evaluate(SEEK, stroke_at - origin - 0.8)
    pupil.locator('#slide-board[data-strokes="0"]').wait_for()
    assert pupil.locator("#slide").get_attribute("data-rendered-page") == third
    assert coloured(pupil, "slide-board", BLUE)["count"] == 0
    assert coloured(pupil, "slide-canvas", RED)["share"] > 0.95
    pupil.evaluate(SEEK, shown[0]["at"] - origin - 0.5)
    pupil.locator("#slide").wait_for(state="hidden")
    assert "with-slide" not in (pupil.locator("#player").get_attribute("class") or "")
    pupil.screenshot(path=artifacts / "playback-no-slide.png")
    pupil.evaluate(SEEK, shown[1]["at"] - origin + 0.5)
    pupil.locator(f'#slide[data-rendered-page="{material_id}:2"]').wait_for()
    assert coloured(pupil, "slide-canvas", SLIDE_COLOURS[1])["share"] > 0.95
    assert json.dumps(detail["timeline"]).count("board_stroke") == 1


def test_the_playback_replays_the_stage_by_the_composers_rules(pages: Pages) -> None:
    """web_client/stage-replay.js and recording/stage.py: the same stage at every moment of a
    timeline with page turns, zoom, strokes on two pages, an undo, the blank board, a
    recording begun mid-lesson (its board snapshot) and one past its board budget."""
    snapshot = {
        "at": 99.0,
        "type": "board",
        "board": {"shown": False, "pages": {"m1:1": [{**EVENTS[4]["stroke"], "seq": 0}]}},
    }
    # ... and a recording whose board budget ran out while the blank board was open.
    events = [snapshot, *EVENTS, {"at": 109.6, "type": "board_unrecorded"}]
    moments = [t / 4 for t in range(396, 446)]
    page = pages.open("/signin")
    replayed = page.evaluate(
        """async ([events, moments]) => {
            const { stageAt, stageEvents } = await import('/static/stage-replay.js');
            const ordered = stageEvents(events);
            return moments.map((t) => {
                const stage = stageAt(ordered, t);
                return stage && [stage.key, stage.zoom, stage.strokes.map((s) => s.seq)];
            });
        }""",
        [events, moments],
    )
    expected = []
    for t in moments:
        stage = stage_at(events, t)
        expected.append(stage and [stage.key, stage.zoom, [s["seq"] for s in stage.strokes]])
    assert replayed == expected
    assert expected.count(None) > 0 and ["m1:1", 1.0, [0]] in expected
    assert expected[moments.index(109.5)] == ["blank", 1.0, [3]]
    assert expected[moments.index(109.75)] is None
