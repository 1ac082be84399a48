"""The lesson page rings the tile of whom the server hears speaking: a real bot talks (loud
RFC 6464 levels on its Opus packets) into the demo lesson a teacher's page has joined."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.bots import PublisherBot
from tests.loop_thread import loop_thread

from .test_lesson import Person, people, wait_until, with_params

if TYPE_CHECKING:
    from .conftest import Server

pytestmark = pytest.mark.browser

SPEAKING = "() => [...document.querySelectorAll('.tile.speaking')].map((t) => t.dataset.key)"


def ringed(person: Person) -> list[str]:
    keys: list[str] = person.page.evaluate(SPEAKING)
    return keys


@pytest.mark.timeout(120)
def test_the_tile_of_whoever_talks_is_ringed_until_they_fall_silent(
    browser: Any, server: Server
) -> None:
    token = parse_qs(urlsplit(server.pupil_links[1]).query)["token"][0]
    links = {"teacher": with_params(server.teacher_link, autojoin="1", lang="en")}
    with loop_thread() as looping, people(browser, server, links) as room:
        teacher = room["teacher"]
        wait_until(lambda: teacher.stats()["self"], "the teacher to join")
        bot = PublisherBot(server.base_url, token, video_size=None, audio_level=-127)
        try:
            looping.run(bot.start())
            pupil = bot.participant_id
            assert pupil is not None
            tile = teacher.page.locator(f'.tile[data-key="{pupil}"]')
            tile.wait_for(timeout=20_000)
            assert ringed(teacher) == []

            bot.set_audio_level(-13)  # read by the bot's sender from its next packet on
            wait_until(lambda: ringed(teacher) == [pupil], "the talking pupil's tile ringed")
            assert tile.get_attribute("data-speaking") == "true"
            assert tile.locator(".speaking-mark").get_attribute("aria-label") == "Speaking"

            bot.set_audio_level(-127)
            wait_until(lambda: ringed(teacher) == [], "the ring to go when the pupil is silent")
            assert tile.get_attribute("data-speaking") == "false"
            # The teacher's page publishes Chromium's fake microphone, a short beep twice a
            # second: a sound, not a voice, so nobody is ringed after the pupil either.
            time.sleep(3.0)
            assert ringed(teacher) == []
        finally:
            looping.run(bot.close())
