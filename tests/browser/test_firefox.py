"""A Firefox pupil (Debian's firefox-esr) in a lesson beside Chromium pages: it publishes and
receives; the Chromium teacher decodes its camera and shows its tile.

Firefox gathers no ICE candidate on loopback, so the server, Chromium and Firefox all run
inside one network namespace of the test's own (`tests/netns.py`, `enclosure`): the pages are
on 127.0.0.1 there (a secure context, so the camera works) and the media goes over the
namespace's one address, the server's `ICE_ADDRESSES`. Firefox is driven over WebDriver BiDi by
puppeteer-core (`tests/browser/firefox/`, installed by `make firefox`). Without any of that the
test fails: it runs in `make test`, which installs it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.netns import Enclosure, can_make_namespaces, enclosure
from tests.server_process import running_server

from .conftest import Server, _links
from .firefox_driver import FirefoxPage, missing
from .test_lesson import Person, failure_report, wait_until, with_params

pytestmark = pytest.mark.browser

STATS = "() => window.classroom.stats()"


@pytest.fixture(scope="module")
def room() -> Iterator[Enclosure]:
    lacking = missing()
    if not os.path.exists(CHROMIUM):
        lacking.append(f"{CHROMIUM} (make chromium)")
    if not can_make_namespaces():
        lacking.append("root, to make a network namespace")
    if lacking:
        pytest.fail("a Firefox pupil needs " + ", ".join(lacking) + " (make firefox)")
    with enclosure() as ns:
        yield ns


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, room: Enclosure) -> Iterator[Server]:
    """The server inside the namespace: pages on its 127.0.0.1, media on its one address."""
    data = tmp_path_factory.mktemp("firefox-data")
    with running_server(data, prefix=room.command(), ICE_ADDRESSES=room.address) as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        yield Server(running.base_url, teacher, pupils, running.output)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory, room: Enclosure) -> Iterator[Any]:
    """Debian's Chromium inside the namespace (Playwright starts it through a wrapper)."""
    from playwright.sync_api import sync_playwright

    wrapper = room.wrapper(tmp_path_factory.mktemp("chromium"), CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(wrapper), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def from_(stats: dict[str, Any], participant: str) -> dict[str, Any]:
    entry: dict[str, Any] = stats["participants"].get(participant, {})
    return entry


def decoding(evaluate: Callable[[str], Any], participant: str, counters: tuple[str, ...]) -> bool:
    """`counters` of `participant` (in one page's stats) are above zero and go up in 1.5 s."""
    before = from_(evaluate(STATS), participant)
    if not all(before.get(c, 0) > 0 for c in counters):
        return False
    time.sleep(1.5)
    after = from_(evaluate(STATS), participant)
    return all(after[c] > before[c] for c in counters)


@pytest.mark.timeout(240)
def test_a_firefox_pupil_publishes_and_receives_beside_chromium_pages(
    room: Enclosure, chromium: Any, server: Server, artifacts: Path
) -> None:
    people: dict[str, Person] = {}
    with FirefoxPage.launched(prefix=room.command()) as firefox:
        try:
            people["teacher"] = Person.joining(chromium, server.teacher_link, "teacher")
            people["pupil"] = Person.joining(chromium, server.pupil_links[0], "pupil")
            teacher, pupil = people["teacher"], people["pupil"]
            firefox.goto(with_params(server.pupil_links[1], autojoin="1", lang="en"))
            me = wait_until(lambda: firefox.evaluate(STATS)["self"], "Firefox to join", 40)
            teacher_id = wait_until(lambda: teacher.stats()["self"], "teacher joined")["id"]
            pupil_id = wait_until(lambda: pupil.stats()["self"], "pupil joined")["id"]

            # The teacher's and the other pupil's Chromium decode Firefox's camera...
            for person in (teacher, pupil):
                wait_until(
                    lambda p=person: decoding(p.page.evaluate, me["id"], ("framesDecoded",)),
                    f"the {person.role}'s Chromium decoding Firefox's camera",
                    timeout=60,
                )
            # ...and hear it.
            wait_until(
                lambda: decoding(teacher.page.evaluate, me["id"], ("packetsReceived",)),
                "Firefox's microphone reaching the teacher",
            )
            # Firefox decodes both Chromium cameras and their sound arrives.
            for other in (teacher_id, pupil_id):
                wait_until(
                    lambda o=other: decoding(
                        firefox.evaluate, o, ("framesDecoded", "packetsReceived")
                    ),
                    f"Firefox decoding {other}'s camera and receiving their sound",
                    timeout=60,
                )
            # Firefox publishes the camera in three sizes too (simulcast, RIDs q, h, f), and
            # sends the ones the Chromium pages watch (the smallest always).
            layers = wait_until(
                lambda: (lambda sent: sent if len(sent) == 3 and sent[-1]["width"] else None)(
                    firefox.evaluate(STATS)["sent"]
                ),
                "Firefox sending its camera's layers",
            )
            assert sorted(s["rid"] for s in layers) == ["f", "h", "q"]
            sending = [(s["rid"], s["width"]) for s in layers if s["width"]]
            assert sending == [("q", 240), ("h", 480), ("f", 960)][: len(sending)], layers
            routes = firefox.evaluate(STATS)["routes"]
            assert routes == {"publish": "host/udp", "subscribe": "host/udp"}, routes

            # Firefox's pupil has a tile in the teacher's gallery, with the picture playing.
            tile = teacher.page.locator(f'#grid .tile[data-key="{me["id"]}"]')
            tile.wait_for(state="visible")
            assert tile.get_attribute("data-name") == me["name"]
            assert "video-off" not in (tile.get_attribute("class") or "")
            wait_until(
                lambda: tile.locator("video").evaluate("(v) => v.videoWidth > 0"),
                "Firefox's camera playing in its tile",
            )
            teacher.page.screenshot(path=artifacts / "firefox-pupil-teacher.png")
            firefox.screenshot(artifacts / "firefox-pupil-firefox.png")
            assert firefox.errors() == []
            for person in people.values():
                assert not person.errors, f"uncaught errors on {person.role}'s page"
        except AssertionError as exc:
            firefox_state = json.dumps(_safe_stats(firefox), default=str)
            raise AssertionError(
                failure_report(exc, people, server)
                + f"\n--- firefox {firefox.version} ---\n{firefox_state}\n{firefox.log_tail()}"
            ) from exc
        finally:
            for person in people.values():
                person.close()


def _safe_stats(firefox: FirefoxPage) -> Any:
    try:
        return firefox.evaluate(STATS)
    except RuntimeError as exc:
        return f"(no stats: {exc})"
