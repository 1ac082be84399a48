"""A lesson between two real Chromium pages recorded end to end, then rewatched: the track files
decode with PyAV at the camera's size and the recording's length, the composed MP4 decodes
whole, the pupil finds the recording on /school and plays it with the chat beside it, and a
parent of a school that does not share recordings is told it is not for them."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import av
import pytest

from .school_site import (
    LESSON_URL,
    PHONE,
    STATS,
    Pages,
    api_call,
    class_card,
    fits_width,
    poll,
    sign_in,
    text,
)

pytestmark = pytest.mark.browser

CAMERA = (960, 540)
"""What the lesson page asks the (fake) camera for (web_client/media.js): the recording takes
the largest simulcast layer that arrives, so it may begin smaller while Chrome ramps up."""
QUESTION = "Можно ещё раз про дроби?"


def decoded_video(path: Path) -> tuple[int, float, set[tuple[int, int]]]:
    """(frames, seconds from the first to the last, the picture sizes) of a file's video."""
    times, sizes = [], set()
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            times.append(float(frame.time or 0.0))
            sizes.add((frame.width, frame.height))
    return len(times), times[-1] - times[0], sizes


def decoded_audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return sum(f.samples / f.sample_rate for f in container.decode(audio=0))


def enter_lesson(page: Any) -> str:
    """Joins the room the page is on; the participant id."""
    page.click("#join-button")
    return str(poll(lambda: (page.evaluate(STATS).get("self") or {}).get("id"), "joined"))


def sees(page: Any, participant_id: str) -> bool:
    entry = page.evaluate(STATS)["participants"].get(participant_id)
    return bool(entry and entry["framesDecoded"] > 0 and entry["packetsReceived"] > 0)


def test_a_recorded_lesson_is_rewatched_with_its_chat(
    pages: Pages, demo: Any, artifacts: Path
) -> None:
    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    pupil_account = demo.account("pupil")
    pupil = pages.open("/signin")
    sign_in(pupil, pupil_account)
    live = pupil.locator(".session-row[data-state=live]")
    pupil.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    live.wait_for()
    session_id = live.get_attribute("data-session-id")
    live.get_by_role("button", name="Войти").click()
    pupil.wait_for_url(LESSON_URL)
    teacher_id, pupil_id = enter_lesson(teacher), enter_lesson(pupil)
    poll(lambda: sees(teacher, pupil_id) and sees(pupil, teacher_id), "both to see each other")

    # Recorded for 8 s; the pupil asks a question 3 s in.
    switch = f"/api/sessions/{session_id}/recording"
    started = api_call(teacher, "POST", switch, {"on": True})
    began = time.monotonic()
    pupil.locator("#recording-badge").wait_for()
    time.sleep(3.0)
    pupil.fill("#chat-input", QUESTION)
    pupil.click("#chat-send")
    teacher.locator(".chat-text", has_text=QUESTION).wait_for()
    time.sleep(max(0.0, began + 8.0 - time.monotonic()))
    stopped = api_call(teacher, "POST", switch, {"on": False})
    length = time.monotonic() - began
    assert stopped == {"recording": False, "recordingId": started["recordingId"], "tracks": 4}

    # Every track: a file that decodes, as long as the recording (± 1 s), cameras at the size
    # the page asked for (Chrome may start smaller and climb to it).
    directory = next((demo.data / "recordings").glob(f"*/{started['recordingId']}"))
    sidecar = json.loads((directory / "recording.json").read_text())
    tracks = sidecar["tracks"]
    assert sorted((t["participant"], t["kind"]) for t in tracks) == sorted(
        (who, kind) for who in (teacher_id, pupil_id) for kind in ("audio", "video")
    )
    for track in tracks:
        path = directory / track["file"]
        if track["kind"] == "video":
            frames, seconds, sizes = decoded_video(path)
            assert frames == track["frames"], track
            assert max(sizes) == CAMERA, sizes
            assert all(w * CAMERA[1] == h * CAMERA[0] for w, h in sizes), sizes
        else:
            seconds = decoded_audio_seconds(path)
        assert seconds == pytest.approx(length, abs=1.0), track

    # The lesson video: composed in the background, decoded whole.
    detail = poll(
        lambda: (lambda d: d if d["composed"] else None)(
            api_call(
                pupil, "GET", f"/api/sessions/{session_id}/recordings/{started['recordingId']}"
            )
        ),
        "the lesson video to be composed",
        within=120,
    )
    assert detail["composition"]["state"] == "done"
    frames, seconds, sizes = decoded_video(directory / "composed.mp4")
    assert sizes == {(1280, 720)}
    assert seconds == pytest.approx(length, abs=1.0)
    assert frames == pytest.approx(seconds * 25, abs=2)

    # The pupil finds it on /school and watches it, the question beside the video.
    pupil.goto(pages.url("/school"))
    row = pupil.locator(f'.session-row[data-session-id="{session_id}"]')
    row.get_by_role("button", name="Записи (1)").click()
    item = row.locator(".recording-item")
    assert item.locator(".recording-state").inner_text() == "Видео урока готово"
    pupil.screenshot(path=artifacts / "recordings-list.png", full_page=True)
    item.get_by_role("link", name="Смотреть").click()
    pupil.wait_for_url(re.compile(r"/recordings/"))
    video = pupil.locator("video#video[data-source=composed]")
    video.wait_for()
    assert text(pupil, "#recording-title") == sidecar["session"]["title"]
    assert pupil.locator("#sources .chip.active").inner_text() == "Весь урок"
    said = pupil.locator(".replay-item.said")
    assert said.locator(".replay-text").inner_text() == QUESTION
    assert said.locator(".replay-who").inner_text() == pupil_account.name
    offset = said.locator(".replay-time").inner_text()
    assert re.fullmatch(r"0:0[2-5]", offset), offset  # asked ~3 s into the recording
    assert "later" in (said.get_attribute("class") or "")
    pupil.evaluate(
        "() => { const v = document.getElementById('video'); v.muted = true; v.play(); }"
    )
    poll(
        lambda: pupil.evaluate("() => document.getElementById('video').currentTime") > 1.0,
        "playback",
    )
    # Seeking by the question's time: the question is now what was said last.
    said.locator(".replay-time").click()
    poll(lambda: "current" in (said.get_attribute("class") or ""), "the question to be current")
    at = pupil.evaluate("() => document.getElementById('video').currentTime")
    assert at == pytest.approx(int(offset.split(":")[1]), abs=1.5)
    pupil.screenshot(path=artifacts / "playback.png", full_page=True)
    pupil.click("#lang-switch [data-lang=en]")
    assert pupil.locator("#sources .chip.active").inner_text() == "Whole lesson"
    assert text(pupil, "#chat-heading") == "Chat"
    pupil.screenshot(path=artifacts / "playback-en.png", full_page=True)
    pupil.set_viewport_size(PHONE)
    fits_width(pupil, PHONE["width"])
    pupil.screenshot(path=artifacts / "playback-phone.png", full_page=True)

    # A parent, while the school keeps recordings to the class: told so, nothing plays.
    parent = pages.open("/signin")
    sign_in(parent, demo.account("parent"))
    parent.goto(pupil.url.split("?")[0])
    parent.locator("#refused").wait_for()
    assert text(parent, "#refused-title") == "Эта запись не для вас"
    assert parent.locator("video").is_hidden()
    parent.screenshot(path=artifacts / "playback-refused.png", full_page=True)
