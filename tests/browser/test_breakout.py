"""Breakout groups in real Chromium (issue 18): a teacher's page and two pupils' pages (one a
phone), and two bots filling the class to four pupils. The teacher splits them by hand into
two groups: a pupil's page shows only its group's tile (its video decoding) and its banner;
the teacher visits group 1 and decodes its two cameras, and opens group 1's own whiteboard, on
which a pupil there draws; "End groups" brings everyone back.
Then groups of six seconds at random: the timer ends them by itself, every pupil's page shows
the whole class again and says everyone is back. Screenshots of the teacher's panel (setting
up, running) and of a pupil in a group, on a computer and a phone."""

from __future__ import annotations

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

from .board_mouse import drag
from .school_site import DESKTOP, PHONE, STATS, poll, without_toasts

pytestmark = pytest.mark.browser

SECRET = "breakout-test-secret-0123456789abcdef"
ROOM = "breakout"
SILENT = -127

RECEIVED_VIDEOS = """() => [...new Set([...window.classroom.client.subscribed.values()]
  .filter((info) => info.kind === 'video').map((info) => info.participantId))].sort()"""
SHOWN_TILES = """() => [...document.querySelectorAll('#grid .tile:not(.self):not(.out-of-scope)')]
  .map((tile) => tile.dataset.key).sort()"""


@dataclass
class Classroom:
    url: str
    loop: LoopThread
    bots: dict[str, PublisherBot]
    output: list[str]


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    """A server whose breakouts may be 5 s short, and two pupils that are bots."""
    data = tmp_path_factory.mktemp("breakout-data")
    with (
        running_server(data, SECRET=SECRET, SFU_WORKERS="0", BREAKOUT_MIN_SECONDS="5") as server,
        loop_thread() as loop,
    ):
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        stack = AsyncExitStack()
        bots: dict[str, PublisherBot] = {}

        async def start() -> None:
            for identity, name in (("gleb", "Глеб"), ("dasha", "Даша")):
                token = mint_token(SECRET, identity, ROOM, role="pupil", name=name)
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


def open_lesson(
    browser: Any, classroom: Classroom, identity: str, name: str, role: str, phone: bool = False
) -> tuple[Any, Any]:
    options: dict[str, Any] = {"viewport": PHONE if phone else DESKTOP, "locale": "ru-RU"}
    if phone:
        options.update(is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    page = context.new_page()
    token = mint_token(SECRET, identity, ROOM, role=role, name=name)
    page.goto(f"{classroom.url}/lesson?token={token}&autojoin=1&lang=ru")
    poll(lambda: page.evaluate(STATS)["phase"] == "live", f"{identity} in the lesson")
    return context, page


def decoding(page: Any, ids: list[str]) -> bool:
    """Whether every one of `ids` has decoded more frames than a moment ago."""
    before = page.evaluate(STATS)["participants"]
    page.wait_for_timeout(1500)
    after = page.evaluate(STATS)["participants"]
    return all(
        i in before and i in after and after[i]["framesDecoded"] > before[i]["framesDecoded"]
        for i in ids
    )


def panel_open(page: Any) -> None:
    if not page.locator("#host-breakout").is_visible():
        page.click("#ctl-host")
    page.locator("#host-breakout").wait_for()
    page.locator("#host-breakout").scroll_into_view_if_needed()


def shoot(page: Any, path: Path) -> None:
    without_toasts(page)
    page.screenshot(path=path)


def test_breakout_of_four_pupils_into_two_groups_the_teacher_visits_the_timer_returns_all(
    browser: Any, classroom: Classroom, artifacts: Path
) -> None:
    contexts = []
    errors: list[str] = []
    try:
        people = {}
        for identity, name, role, phone in (
            ("olga", "Ольга Ивановна", "teacher", False),
            ("anya", "Аня", "pupil", False),
            ("boris", "Борис", "pupil", True),
        ):
            context, page = open_lesson(browser, classroom, identity, name, role, phone)
            page.on("pageerror", lambda error: errors.append(str(error)))
            contexts.append(context)
            people[identity] = page
        teacher, anya, boris = people["olga"], people["anya"], people["boris"]
        ids = {
            "olga": teacher.evaluate(STATS)["self"]["id"],
            "anya": anya.evaluate(STATS)["self"]["id"],
            "boris": boris.evaluate(STATS)["self"]["id"],
            "gleb": classroom.bots["gleb"].participant_id,
            "dasha": classroom.bots["dasha"].participant_id,
        }
        for identity, page in people.items():
            others = sorted(v for k, v in ids.items() if k != identity)
            poll(lambda page=page, others=others: page.evaluate(SHOWN_TILES) == others, "all in")

        # The teacher's panel: groups by hand.
        panel_open(teacher)
        teacher.click("#breakout-mode-hand")
        for identity, group in (("anya", "0"), ("gleb", "0"), ("boris", "1"), ("dasha", "1")):
            teacher.locator(f'#host-breakout select[data-identity="{identity}"]').select_option(
                group
            )
        teacher.fill("#breakout-minutes", "10")
        shoot(teacher, artifacts / "breakout-setup-teacher.png")
        teacher.set_viewport_size(PHONE)
        panel_open(teacher)
        shoot(teacher, artifacts / "breakout-setup-teacher-phone.png")
        teacher.set_viewport_size(DESKTOP)
        panel_open(teacher)
        teacher.click("#breakout-start")

        # A pupil sees (and receives the video of) their group only, and their banner.
        for page, mate, group in ((anya, "gleb", "1"), (boris, "dasha", "2")):
            page.locator(f'#breakout-banner[data-group="{group}"]').wait_for()
            assert page.locator("#breakout-banner .breakout-title").inner_text() == (
                f"Вы в группе {group}"
            )
            poll(lambda page=page, mate=mate: page.evaluate(SHOWN_TILES) == [ids[mate]], "group")
            poll(
                lambda page=page, mate=mate: page.evaluate(RECEIVED_VIDEOS) == [ids[mate]],
                "only the group's video",
            )
            poll(lambda page=page, mate=mate: decoding(page, [ids[mate]]), "the mate's video")
        assert "осталось" in anya.locator("#breakout-banner .breakout-time").inner_text()
        # The teacher, in the main room, sees nobody; visiting group 1, its two cameras.
        poll(lambda: teacher.evaluate(SHOWN_TILES) == [], "the teacher alone in the main room")
        teacher.click('.breakout-group[data-group="1"] .breakout-visit')
        group_one = sorted([ids["anya"], ids["gleb"]])
        poll(lambda: teacher.evaluate(SHOWN_TILES) == group_one, "group 1's tiles")
        poll(lambda: teacher.evaluate(RECEIVED_VIDEOS) == group_one, "group 1's videos")
        poll(lambda: decoding(teacher, group_one), "group 1's cameras decoding")
        poll(lambda: ids["olga"] in anya.evaluate(SHOWN_TILES), "group 1 sees the teacher")
        assert ids["olga"] not in boris.evaluate(SHOWN_TILES)
        assert teacher.locator("#breakout-banner .breakout-title").inner_text() == (
            "Вы в гостях у группы 1"
        )
        shoot(teacher, artifacts / "breakout-running-teacher.png")
        shoot(anya, artifacts / "breakout-pupil.png")
        shoot(boris, artifacts / "breakout-pupil-phone.png")
        teacher.set_viewport_size(PHONE)
        panel_open(teacher)
        shoot(teacher, artifacts / "breakout-running-teacher-phone.png")
        teacher.set_viewport_size(DESKTOP)
        # Group 1's own whiteboard: the visiting teacher opens it, a pupil there draws on it;
        # group 2 sees none of it.
        teacher.click("#board-open")
        anya.locator("#board-stage #board-canvas").wait_for()
        anya.click("#board-tool-pen")
        drag(anya, (0.2, 0.3), (0.6, 0.6))
        for page in (teacher, anya):
            page.locator('#board-canvas[data-strokes="1"]').wait_for()
        assert boris.locator("#board-stage").is_hidden()
        shoot(anya, artifacts / "breakout-board-pupil.png")
        # A group's chat: the teacher reads it, tagged with the group; the other group does not.
        anya.fill("#chat-input", "Мы решили первую задачу")
        anya.click("#chat-send")
        teacher.click("#tab-chat")
        said = teacher.locator("#chat-list .chat-message", has_text="Мы решили первую задачу")
        assert said.locator(".chat-group").inner_text() == "Группа 1"
        assert boris.locator("#chat-list .chat-message").count() == 0
        shoot(teacher, artifacts / "breakout-chat-teacher.png")
        panel_open(teacher)
        teacher.click("#breakout-end")
        for page in (anya, boris):
            page.locator("#breakout-banner").wait_for(state="hidden")
        anya.locator("#board-stage").wait_for(state="hidden")  # the room's board is closed

        # Groups of six seconds, at random: the timer brings everyone back by itself.
        teacher.click("#breakout-mode-random")
        teacher.fill("#breakout-minutes", "0.1")
        teacher.click("#breakout-start")
        for page in (anya, boris):
            page.locator("#breakout-banner:not([hidden])").wait_for()
            poll(lambda page=page: len(page.evaluate(SHOWN_TILES)) == 1, "a group of two")
        for identity, page in (("anya", anya), ("boris", boris)):
            page.locator("#breakout-banner").wait_for(state="hidden", timeout=30_000)
            others = sorted(v for k, v in ids.items() if k != identity)
            poll(lambda page=page, others=others: page.evaluate(SHOWN_TILES) == others, "all back")
            poll(
                lambda page=page, others=others: page.evaluate(RECEIVED_VIDEOS) == others,
                "everyone's video again",
            )
            notice = page.locator("#chat-list .chat-system", has_text="Все вернулись в общий урок")
            assert notice.count() == 2  # after the teacher's end, and after the timer's
        assert teacher.evaluate(STATS)["breakout"] is None

        # Pupils choose: a button per group on their banner; the teacher's panel follows.
        teacher.click("#breakout-mode-choose")
        teacher.fill("#breakout-minutes", "10")
        teacher.click("#breakout-start")
        anya.locator('#breakout-banner button[data-group="2"]').click()
        anya.locator('#breakout-banner[data-group="2"]').wait_for()
        teacher.locator('.breakout-group[data-group="2"] select[data-identity="anya"]').wait_for()
        boris.locator('#breakout-banner button[data-group="1"]').wait_for()
        poll(lambda: anya.evaluate(SHOWN_TILES) == [], "Anya alone in group 2")
        shoot(anya, artifacts / "breakout-choose-pupil.png")
        shoot(boris, artifacts / "breakout-choose-pupil-phone.png")
        teacher.click("#breakout-end")
        anya.locator("#breakout-banner").wait_for(state="hidden")
        assert errors == []
    finally:
        for context in contexts:
            context.close()
