"""An event's audience past the WebRTC room, in real Chromium: the server here takes one
WebRTC watcher (MAX_AUDIENCE=1), so the second guest's page plays the event's live HLS through
hls.js; when the organiser sends the whole audience to HLS, a new guest plays it too. The
video's currentTime advances and its frames are decoded, 1280x720 (the composed stage)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import running_server
from .school_site import (
    LESSON_URL,
    STATS,
    Demo,
    Pages,
    api_call,
    demo_accounts,
    poll,
    session_row,
    sign_in,
    text,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo school on a server that takes one WebRTC watcher per event."""
    data = tmp_path_factory.mktemp("hls-data")
    with running_server(data, DEMO_SCHOOL="1", SFU_WORKERS="0", MAX_AUDIENCE="1") as running:
        accounts = running.wait_for(demo_accounts, "demo accounts")
        yield Demo(running.base_url, accounts, running.output)


def guest(pages: Pages, link: str, name: str) -> Any:
    page = pages.open("/signin")
    page.goto(link)
    page.fill("#event-name", name)
    page.click("#event-submit")
    page.wait_for_url(LESSON_URL)
    page.click("#join-button")
    return page


def plays_hls(page: Any) -> dict[str, Any]:
    first = poll(lambda: (page.evaluate(STATS).get("stream") or {}).get("currentTime"), "HLS")
    later = poll(
        lambda: (lambda s: s if s["currentTime"] > first + 2 else None)(
            page.evaluate(STATS)["stream"]
        ),
        "the HLS video to go on",
    )
    return dict(later)


def test_past_the_rooms_audience_the_page_plays_the_broadcast(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    event = api_call(teacher, "POST", "/api/sessions", {"kind": "event", "title": "Концерт"})
    api_call(teacher, "POST", f"/api/sessions/{event['id']}/start")
    link = api_call(teacher, "GET", f"/api/sessions/{event['id']}/event-link")["url"]
    entry = api_call(teacher, "POST", f"/api/sessions/{event['id']}/join")
    assert entry["hls"].startswith(f"/hls/{event['id']}.")
    teacher.goto(entry["url"])
    teacher.wait_for_function("() => document.getElementById('preview-video').srcObject")
    teacher.click("#join-button")
    poll(lambda: (teacher.evaluate(STATS).get("self") or {}).get("id"), "the performer on stage")

    first = guest(pages, link, "Бабушка Маши")
    poll(lambda: first.evaluate(STATS)["phase"] == "live", "the first guest in the room")
    assert first.evaluate(STATS)["stream"] is None  # WebRTC, while the room has room

    second = guest(pages, link, "Дедушка Маши")
    stream = plays_hls(second)
    assert stream["engine"] == "hls.js"
    assert stream["framesDecoded"] > 0
    assert (stream["width"], stream["height"]) == (1280, 720)
    assert text(second, "#stream-title") == "Концерт"
    assert text(second, "#stream-note").startswith("Мест в зале нет")
    second.screenshot(path=artifacts / "event-hls.png")

    # The organiser sends the whole audience to the broadcast.
    school = teacher.context.new_page()
    school.goto(pages.url("/school"))
    row = session_row(school, "Концерт", "live")
    row.locator("button", has_text="Ссылка для гостей").click()
    switch = row.get_by_role("switch", name="Все зрители смотрят трансляцию")
    assert not switch.is_checked()
    switch.check()
    school.locator(".toast", has_text="Зрители теперь смотрят трансляцию.").wait_for()
    school.screenshot(path=artifacts / "event-hls-switch.png")
    assert api_call(teacher, "GET", f"/api/sessions/{event['id']}")["hls_only"] is True
    third = guest(pages, link, "Тётя Маши")
    assert plays_hls(third)["framesDecoded"] > 0
    assert text(third, "#stream-note").startswith("Организатор показывает зрителям трансляцию")

    # After the event its broadcast is the school's video of it, on demand.
    api_call(teacher, "POST", f"/api/sessions/{event['id']}/end")
    parent = pages.open("/signin")
    sign_in(parent, demo.account("parent"))
    row = session_row(parent, "Концерт", "ended")
    row.get_by_role("link", name="Смотреть трансляцию").click()
    parent.wait_for_url(re.compile(r"/broadcast/"))
    parent.locator("#broadcast-title", has_text="Концерт").wait_for()
    assert text(parent, "#broadcast-state") == "Всё мероприятие, чтобы посмотреть ещё раз."
    video = parent.locator("#video")
    poll(lambda: video.evaluate("v => v.currentTime > 1 && Number.isFinite(v.duration)"), "VOD")
    duration = video.evaluate("v => v.duration")
    assert duration > 8, duration  # the whole event, from its first segment
    parent.screenshot(path=artifacts / "event-broadcast-vod.png")
    refused = pages.open("/signin")
    sign_in(refused, demo.account("parent"))
    refused.goto(pages.url("/broadcast/no-such-event"))
    refused.locator("#refused-title", has_text="Трансляции нет").wait_for()
