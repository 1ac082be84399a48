"""Subscribe to what is on screen: a phone shows one page of the class's cameras (4 of 12
here) and receives exactly those videos, and everyone's sound; turning the page swaps the
videos it receives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.bots import PublisherBot
from bench.tokens import mint_token
from tests.loop_thread import LoopThread, loop_thread
from tests.server_process import running_server

from .school_site import DESKTOP, PHONE, STATS, poll

pytestmark = pytest.mark.browser

SECRET = "gallery-test-secret-0123456789abcdef"
ROOM = "gallery"
CLASSMATES = 11
"""Besides the teacher: 12 cameras in all, 3 pages of 4 on a phone."""

RECEIVED = """() => {
  const videos = new Set();
  const sounds = new Set();
  for (const info of window.classroom.client.subscribed.values()) {
    (info.kind === 'video' ? videos : sounds).add(info.participantId);
  }
  return { videos: [...videos].sort(), sounds: [...sounds].sort() };
}"""
SHOWN = "() => window.classroom.lesson.ui.grid.shownParticipants()"


SILENT = -127
LOUD = -13


@dataclass
class Classroom:
    url: str
    loop: LoopThread
    bots: dict[str, PublisherBot]
    output: list[str]
    """What the server printed (for a failure's message)."""


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    """A server and a class of bots publishing small cameras and (silent) sound."""
    data = tmp_path_factory.mktemp("gallery-data")
    with running_server(data, SECRET=SECRET, SFU_WORKERS="0") as server, loop_thread() as loop:
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        stack = AsyncExitStack()
        bots: dict[str, PublisherBot] = {}
        people = [("teacher", "teacher")] + [(f"pupil-{k:02d}", "pupil") for k in range(CLASSMATES)]

        async def start() -> None:
            for identity, role in people:
                token = mint_token(SECRET, identity, ROOM, role=role)
                bot = await stack.enter_async_context(
                    PublisherBot(server.base_url, token, video_size=(320, 180), audio_level=SILENT)
                )
                await bot.start()
                bots[identity] = bot

        loop.run(start())
        try:
            yield Classroom(server.base_url, loop, bots, server.output)
        finally:
            loop.run(stack.aclose())


def _videos(page: Any) -> dict[str, Any]:
    received: dict[str, Any] = page.evaluate(RECEIVED)
    return received


def _decoding(page: Any, ids: list[str]) -> bool:
    """Whether every one of `ids` has decoded more frames than a moment ago."""
    before = page.evaluate(STATS)["participants"]
    page.wait_for_timeout(1500)
    after = page.evaluate(STATS)["participants"]
    return all(after[i]["framesDecoded"] > before[i]["framesDecoded"] for i in ids)


def test_a_phone_receives_the_four_cameras_it_shows_and_everyone_s_sound(
    browser: Any, classroom: Classroom, artifacts: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Any refusal shows as a toast ("Не удалось установить видеосвязь." for an offer the
        # browser would not take: a reused m-line that kept its msid did that once).
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        token = mint_token(SECRET, "watcher", ROOM, role="pupil", name="Наблюдатель")
        page.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=ru")
        poll(lambda: page.evaluate(STATS)["phase"] == "live", "the pupil in the lesson")
        first = poll(lambda: page.evaluate(SHOWN), "a page of the class on screen")
        assert len(first) == 4
        everyone = poll(
            lambda: (lambda got: got if len(got["sounds"]) == 12 else None)(_videos(page)),
            "everyone's sound",
        )["sounds"]
        poll(lambda: _videos(page)["videos"] == sorted(first), "exactly the 4 cameras shown")
        poll(lambda: _decoding(page, first), "the 4 cameras decoding")
        assert page.locator("#pager .pager-label").inner_text() == "1 / 3"
        assert page.locator("#grid .tile:not(.off-page)").count() == 5  # 4 and our own
        page.screenshot(path=artifacts / "gallery-phone-page-1.png")

        page.click("#pager-next")
        second = poll(
            lambda: (lambda shown: shown if shown and shown != first else None)(
                page.evaluate(SHOWN)
            ),
            "the next page",
        )
        assert len(second) == 4 and not set(second) & set(first)
        poll(lambda: _videos(page)["videos"] == sorted(second), "the next 4 cameras instead")
        # A reused m-line gets new SSRCs: with the old ones Chrome decoded no frame of it.
        poll(lambda: _decoding(page, second), "the next 4 decoding")
        assert _videos(page)["sounds"] == everyone  # the whole class still heard
        assert page.locator("#pager .pager-label").inner_text() == "2 / 3"
        page.screenshot(path=artifacts / "gallery-phone-page-2.png")

        page.click("#pager-prev")  # back: the same tracks again, on m-lines they used before
        poll(lambda: _videos(page)["videos"] == sorted(first), "the first 4 cameras again")
        poll(lambda: _decoding(page, first), "the first 4 decoding again")
        assert errors == []
    finally:
        context.close()


def test_someone_off_the_page_who_speaks_comes_on_screen(
    browser: Any, classroom: Classroom, artifacts: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ru-RU")
    try:
        page = context.new_page()
        token = mint_token(SECRET, "listener", ROOM, role="pupil", name="Слушатель")
        page.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=ru")
        poll(lambda: page.evaluate(STATS)["phase"] == "live", "the pupil in the lesson")
        first = poll(lambda: page.evaluate(SHOWN), "a page of the class on screen")
        speaker = classroom.bots["pupil-10"]
        assert speaker.participant_id not in first  # on the last page
        speaker.set_audio_level(LOUD)
        try:
            shown = poll(
                lambda: (lambda now: now if now and now[0] == speaker.participant_id else None)(
                    page.evaluate(SHOWN)
                ),
                "the speaker on the first page",
            )
            assert len(shown) == 4
            poll(lambda: speaker.participant_id in _videos(page)["videos"], "the speaker's video")
            tile = page.locator(f'#grid .tile[data-key="{speaker.participant_id}"]')
            assert tile.get_attribute("data-speaking") == "true"
            page.screenshot(path=artifacts / "gallery-phone-speaker.png")
        finally:
            speaker.set_audio_level(SILENT)
    finally:
        context.close()


# The sharer's "screen": a canvas that keeps drawing (headless Chromium has no screen to pick).
CANVAS_SCREEN = """
navigator.mediaDevices.getDisplayMedia = async () => {
  const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 360 });
  const context = canvas.getContext('2d');
  let frame = 0;
  setInterval(() => {
    frame += 1;
    context.fillStyle = frame % 2 ? '#1d4ed8' : '#1e40af';
    context.fillRect(0, 0, 640, 360);
  }, 66);
  return canvas.captureStream(15);
};
"""
STAGED = "() => [...document.querySelectorAll('#grid .tile.staged')].map((t) => t.dataset.key)"


def test_a_shared_screen_takes_the_stage_and_speaker_view_stages_the_speaker(
    browser: Any, classroom: Classroom, artifacts: Path
) -> None:
    viewer_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    sharer_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        viewer = viewer_context.new_page()
        token = mint_token(SECRET, "viewer", ROOM, role="pupil", name="Viewer")
        viewer.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=en")
        poll(lambda: viewer.evaluate(STATS)["phase"] == "live", "the viewer in the lesson")
        toggle = viewer.locator("#view-toggle")
        assert (toggle.inner_text(), toggle.get_attribute("aria-pressed")) == (
            "Speaker view",
            "false",
        )
        assert viewer.evaluate(STAGED) == []  # the grid: everyone alike

        # Speaker view: whoever speaks is on the stage.
        toggle.click()
        assert (toggle.inner_text(), toggle.get_attribute("aria-pressed")) == ("Grid view", "true")
        teacher = classroom.bots["teacher"]
        teacher.set_audio_level(LOUD)
        try:
            poll(lambda: viewer.evaluate(STAGED) == [teacher.participant_id], "the speaker staged")
            assert viewer.locator("#grid.has-pinned").count() == 1
            viewer.screenshot(path=artifacts / "gallery-speaker-view.png")
        finally:
            teacher.set_audio_level(SILENT)
        toggle.click()  # back to the grid
        poll(lambda: viewer.evaluate(STAGED) == [], "nobody staged in the grid")

        # A shared screen takes the stage, in the grid view too.
        sharer = sharer_context.new_page()
        sharer.add_init_script(CANVAS_SCREEN)
        token = mint_token(SECRET, "sharer", ROOM, role="pupil", name="Sharer")
        sharer.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=en")
        poll(lambda: sharer.evaluate(STATS)["phase"] == "live", "the sharer in the lesson")
        sharer.click("#ctl-screen")
        sharer_id = sharer.evaluate(STATS)["self"]["id"]
        poll(lambda: viewer.evaluate(STAGED) == [f"{sharer_id}:screen"], "the screen staged")
        poll(
            lambda: viewer.evaluate(STATS)["participants"][sharer_id]["screenFramesDecoded"] > 0,
            "the screen decoded",
        )
        viewer.screenshot(path=artifacts / "gallery-screen-stage.png")
    finally:
        sharer_context.close()
        viewer_context.close()


PIN_MENU = "#tile-menu .menu-item"
TILES = "() => [...document.querySelectorAll('#grid .tile')].map((t) => t.dataset.key)"
# What a page tells its person in a toast goes to its console too (for a failure's message).
TOASTS_TO_CONSOLE = """
new MutationObserver((changes) => {
  for (const change of changes) {
    for (const node of change.addedNodes) {
      if (node.nodeType === 1 && (node.matches('.toast') || node.querySelector('.toast'))) {
        console.log('toast', node.innerText);
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def _open_menu(page: Any, key: str) -> list[str]:
    """Opens the menu of the tile `key`; its items' labels."""
    page.locator(f'#grid .tile[data-key="{key}"] .tile-menu-button').click()
    page.locator("#tile-menu:not([hidden])").wait_for()
    items: list[str] = page.locator(PIN_MENU).all_inner_texts()
    return items


def _choose(page: Any, label: str) -> None:
    page.locator(PIN_MENU, has_text=re.compile(f"^{re.escape(label)}$")).click()
    page.locator("#tile-menu").wait_for(state="hidden")


def _room_pin(page: Any) -> tuple[Any, Any]:
    """Whose tile, and which source, the room's pin is on as this page knows it."""
    room = page.evaluate(STATS)["room"]
    return room["pinned"], room["pinnedSource"]


def _pin_of(page: Any, key: str) -> str | None:
    """How the tile `key` is pinned: "room", "local" or "" (None: no such tile)."""
    value: str | None = page.locator(f'#grid .tile[data-key="{key}"]').get_attribute("data-pin")
    return value


def test_a_host_pins_a_shared_screen_for_everyone_and_anyone_pins_it_for_themselves(
    browser: Any, classroom: Classroom, artifacts: Path
) -> None:
    contexts = [browser.new_context(viewport=DESKTOP, locale="en-US") for _ in range(3)]
    try:
        host, viewer, sharer = (context.new_page() for context in contexts)
        pages = {"host": host, "viewer": viewer, "sharer": sharer}
        sharer.add_init_script(CANVAS_SCREEN)
        console: list[str] = []
        for who, page in pages.items():
            page.add_init_script(TOASTS_TO_CONSOLE)
            page.on("console", lambda m, w=who: console.append(f"{w} {m.type}: {m.text}"))
        people = (
            ("host", "teacher", "Host"),
            ("pinner", "pupil", "Pinner"),
            ("presenter", "pupil", "Presenter"),
        )
        for page, (identity, role, name) in zip(pages.values(), people, strict=True):
            token = mint_token(SECRET, identity, ROOM, role=role, name=name)
            page.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=en")
        for who, page in pages.items():
            page.wait_for_function("() => window.classroom !== undefined")
            poll(lambda p=page: p.evaluate(STATS)["phase"] == "live", f"the {who} in the lesson")

        def report() -> str:
            """Each page's stage and tiles, what the pages said (toasts too), the server's log."""
            seen = {who: (p.evaluate(STAGED), p.evaluate(TILES)) for who, p in pages.items()}
            log = [line for line in classroom.output if "aiohttp.access" not in line]
            return f"{seen}\n" + "\n".join(console) + "\n--- server ---\n" + "".join(log[-40:])

        def staged_everywhere(key: str | None, what: str) -> None:
            want = [] if key is None else [key]
            for who, page in pages.items():
                try:
                    poll(lambda p=page: p.evaluate(STAGED) == want, f"{what} on the {who}'s stage")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}\n{report()}") from None

        # A shared screen takes everyone's stage by itself.
        sharer.click("#ctl-screen")
        sharer_id = sharer.evaluate(STATS)["self"]["id"]
        screen = f"{sharer_id}:screen"
        staged_everywhere(screen, "the screen")

        # The host pins a classmate's camera for everyone: a pinned person beats a screen.
        camera = classroom.bots["pupil-00"].participant_id
        assert "Pin for everyone" in _open_menu(host, camera)
        _choose(host, "Pin for everyone")
        staged_everywhere(camera, "the pinned camera")

        # A pupil's screen tile has a menu too: pinning the screen for themselves only.
        assert _open_menu(viewer, screen) == ["Pin for me"]
        _choose(viewer, "Pin for me")
        poll(lambda: viewer.evaluate(STAGED) == [screen], "the screen on the pupil's own stage")
        assert (_pin_of(viewer, screen), _pin_of(viewer, camera)) == ("local", "room")
        assert host.evaluate(STAGED) == [camera]  # a pin for oneself tells no one
        assert sharer.evaluate(STAGED) == [camera]
        viewer.screenshot(path=artifacts / "gallery-screen-pinned-for-me.png")

        # The host pins the screen for everyone: the room's pin replaces the pupil's own.
        assert _open_menu(host, screen) == ["Pin for me", "Pin for everyone"]
        host.screenshot(path=artifacts / "gallery-screen-menu-host.png")
        _choose(host, "Pin for everyone")
        staged_everywhere(screen, "the screen pinned for everyone")
        for who, page in pages.items():
            # Polled: the viewer's stage showed the screen already (its own pin), so the
            # stage alone does not say the room's pin has reached it.
            poll(
                lambda p=page: _room_pin(p) == (sharer_id, "screen"),
                f"the screen pinned for everyone in the {who}'s room state",
            )
            poll(lambda p=page: _pin_of(p, screen) == "room", f"the {who}'s screen tile pinned")
        assert _pin_of(viewer, camera) == ""
        assert _open_menu(viewer, screen) == ["Pin for me"]
        viewer.keyboard.press("Escape")
        assert _open_menu(host, screen) == ["Pin for me", "Unpin for everyone"]
        host.keyboard.press("Escape")
        before = viewer.evaluate(STATS)["participants"][sharer_id]["screenFramesDecoded"]
        poll(
            lambda: (
                viewer.evaluate(STATS)["participants"][sharer_id]["screenFramesDecoded"] > before
            ),
            "the pinned screen decoding",
        )
        host.screenshot(path=artifacts / "gallery-screen-pinned-host.png")

        # The share ends: so does its pin, everywhere (the sharer's camera is not pinned).
        sharer.click("#ctl-screen")
        staged_everywhere(None, "nothing")
        for page in pages.values():
            assert page.evaluate(STATS)["room"]["pinned"] is None
    finally:
        for context in contexts:
            context.close()
