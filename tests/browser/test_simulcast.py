"""Simulcast in real Chromium: a teacher's camera goes out in three sizes, and each pupil
receives the one that fits the tile it is drawn in — a computer's large tile the largest, a
phone's small one a smaller one — switching at keyframes without a freeze. Sizes nobody
watches are not sent at all (the server tells the publisher: `publish_layers`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.tokens import mint_token
from tests.server_process import running_server

from .school_site import PHONE, STATS, lesson_url, poll

pytestmark = pytest.mark.browser

SECRET = "simulcast-test-secret-0123456789abcdef"
ROOM = "simulcast"
DESKTOP = {"width": 1920, "height": 1080}
"""Three tiles of ~620 pixels: the 960x540 layer is the one that covers them."""
METRICS = "/metrics"


@dataclass
class Lesson:
    url: str
    teacher: Any
    teacher_id: str


@pytest.fixture(scope="module")
def lesson(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lesson]:
    data = tmp_path_factory.mktemp("simulcast-data")
    with running_server(data, SECRET=SECRET, SFU_WORKERS="0") as server:
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
        try:
            teacher = context.new_page()
            token = mint_token(SECRET, "teacher", ROOM, role="teacher", name="Учитель")
            teacher.goto(lesson_url(server.base_url, token, autojoin="1", lang="ru"))
            poll(lambda: teacher.evaluate(STATS)["phase"] == "live", "the teacher in the lesson")
            teacher_id = poll(lambda: (teacher.evaluate(STATS)["self"] or {}).get("id"), "an id")
            yield Lesson(server.base_url, teacher, teacher_id)
        finally:
            context.close()


def _join(browser: Any, lesson: Lesson, identity: str, viewport: dict[str, int]) -> Any:
    phone = viewport is PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    token = mint_token(SECRET, identity, ROOM, role="pupil", name=identity)
    page.goto(lesson_url(lesson.url, token, autojoin="1", lang="ru"))
    poll(lambda: page.evaluate(STATS)["phase"] == "live", f"{identity} in the lesson")
    return page


def _teacher_video(page: Any, teacher_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = page.evaluate(STATS)["participants"].get(teacher_id) or {}
    return entry


def test_a_teacher_nobody_watches_sends_only_the_smallest_size(lesson: Lesson) -> None:
    layers = poll(
        lambda: (lambda sent: sent if len(sent) == 3 and sent[0]["width"] else None)(
            [dict(s) for s in lesson.teacher.evaluate(STATS)["sent"]]
        ),
        "three encodings, the small one sending",
    )
    by_rid = {layer["rid"]: layer for layer in layers}
    assert sorted(by_rid) == ["f", "h", "q"]
    poll(
        lambda: (
            [s["active"] for s in sorted(lesson.teacher.evaluate(STATS)["sent"], key=rid)]
            == [False, False, True]
        ),  # f, h, q: the server said only q is watched
        "the larger layers stopped",
    )
    assert by_rid["q"]["width"] == 240


def rid(layer: dict[str, Any]) -> str:
    return str(layer["rid"])


def test_a_large_tile_gets_the_largest_size_and_a_phone_a_smaller_one(
    browser: Any, lesson: Lesson, artifacts: Path
) -> None:
    desktop = _join(browser, lesson, "pupil-desktop", DESKTOP)
    phone = _join(browser, lesson, "pupil-phone", PHONE)
    try:
        # The desktop's large tile is watched in 960x540: the teacher's page sends it again.
        top = poll(
            lambda: (lambda sent: max(sent) if len(sent) == 3 and min(sent) else None)(
                [layer["width"] for layer in lesson.teacher.evaluate(STATS)["sent"]]
            ),
            "the teacher sending all three sizes again",
        )
        assert top == 960
        poll(
            lambda: _teacher_video(desktop, lesson.teacher_id).get("frameWidth") == top,
            f"the desktop pupil decoding the teacher at {top} wide",
        )
        small = poll(
            lambda: (lambda w: w if 0 < w < top else None)(
                _teacher_video(phone, lesson.teacher_id).get("frameWidth", 0)
            ),
            "the phone pupil decoding the teacher smaller",
        )
        sizes = sorted(layer["width"] for layer in lesson.teacher.evaluate(STATS)["sent"])
        for page, got in ((desktop, top), (phone, small)):
            tile = page.evaluate(
                f"() => window.classroom.lesson.ui.grid.shownSizes().get({lesson.teacher_id!r})"
            )
            covering = [w for w in sizes if w >= tile[0] * 0.85 and w * 9 // 16 >= tile[1] * 0.85]
            assert got == (covering[0] if covering else top), (got, tile, sizes)
        before = _teacher_video(phone, lesson.teacher_id)["framesDecoded"]
        phone.wait_for_timeout(2000)
        after = _teacher_video(phone, lesson.teacher_id)
        assert after["framesDecoded"] > before + 20
        desktop.screenshot(path=artifacts / "simulcast-desktop.png")
        phone.screenshot(path=artifacts / "simulcast-phone.png")
    finally:
        desktop.context.close()
        phone.context.close()
