"""A lesson in real browsers: a teacher and two pupils see and hear each other, then one leaves."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from .conftest import Server

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def with_params(link: str, **params: str) -> str:
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def wait_until(
    probe: Callable[[], Any], what: str, timeout: float = 20.0, interval: float = 0.25
) -> Any:
    """Polls `probe` until it returns something truthy; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Person:
    """One browser context with the lesson page open, and what its console said."""

    def __init__(
        self, browser: Any, link: str, role: str, viewport: dict[str, int], locale: str
    ) -> None:
        self.role = role
        self.context = browser.new_context(viewport=viewport, locale=locale)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", self._on_page_error)
        self.pending: dict[int, str] = {}
        """Requests made and not finished yet (what a page that never loads waited for)."""
        self.page.on("request", lambda r: self.pending.__setitem__(id(r), r.url))
        self.page.on("requestfinished", lambda r: self.pending.pop(id(r), None))
        self.page.on("requestfailed", lambda r: self.pending.pop(id(r), None))
        self.page.goto(link)
        try:
            self.page.wait_for_function("() => window.classroom !== undefined")
        except Exception:
            # Seen once in a CI run (test_reconnect's teacher, on the host, no shaping): the
            # page's scripts never ran within 30 s, and the same test passed at once after.
            # Say what it waited for, then load it once more.
            print(f"{role}'s page did not start: pending {sorted(self.pending.values())}")
            print("\n".join(self.console))
            self.page.reload()
            self.page.wait_for_function("() => window.classroom !== undefined")

    def _on_page_error(self, error: Any) -> None:
        self.console.append(f"pageerror: {error}")
        self.errors.append(str(error))

    @classmethod
    def joining(cls, browser: Any, link: str, role: str) -> Person:
        """An English desktop page that joins at once."""
        return cls(browser, with_params(link, autojoin="1", lang="en"), role, DESKTOP, "en-US")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("() => window.classroom.stats()")
        return result

    def close(self) -> None:
        self.context.close()


def page_state(person: Person) -> str:
    """What a page knows of its connection: phase, routes and per-participant receive counters."""
    try:
        stats = person.stats()
    except Exception as exc:  # the page may be the thing that broke
        return f"(no stats: {exc})"
    brief = {key: stats.get(key) for key in ("phase", "self", "routes", "participants")}
    return json.dumps(brief, ensure_ascii=False, default=str)


def sfu_metrics(server: Server) -> str:
    """The server's per-subscriber and per-producer gauges, for a failure message."""
    try:
        with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError as exc:
        return f"(no metrics: {exc})"
    wanted = ("classroom_subscriber_", "classroom_sfu_")
    return "\n".join(line for line in text.splitlines() if line.startswith(wanted))


def failure_report(exc: AssertionError, people: dict[str, Person], server: Server) -> str:
    """The failure, each page's state and last console lines, the SFU's per-subscriber gauges
    and the server's log without the static-file requests."""
    pages = "\n".join(
        f"--- {p.role} ---\n{page_state(p)}\n" + "\n".join(p.console[-30:]) for p in people.values()
    )
    log = [line for line in server.output if not ("aiohttp.access" in line and "/static/" in line)]
    return (
        f"{exc}\n{pages}\n--- metrics ---\n{sfu_metrics(server)}\n"
        f"--- server ---\n{''.join(log[-60:])}"
    )


@contextmanager
def people(browser: Any, server: Server, links: dict[str, str], **kw: Any) -> Iterator[dict]:
    """Opens one page per role; on failure adds the pages' consoles and the server log."""
    opened: dict[str, Person] = {}
    try:
        for role, link in links.items():
            opened[role] = Person(
                browser, link, role, kw.get("viewport", DESKTOP), kw.get("locale", "en-US")
            )
        yield opened
    except AssertionError as exc:
        raise AssertionError(failure_report(exc, opened, server)) from exc
    finally:
        for person in opened.values():
            person.close()


def receiving(stats: dict[str, Any], others: set[str]) -> bool:
    """Video frames decoded and audio arriving from every one of `others`."""
    remote = stats["participants"]
    return all(
        pid in remote and remote[pid]["framesDecoded"] > 0 and remote[pid]["packetsReceived"] > 0
        for pid in others
    )


def growing(before: dict[str, Any], after: dict[str, Any], others: set[str]) -> bool:
    """Every counter of every one of `others` went up between two samples."""
    old, new = before["participants"], after["participants"]
    return all(
        new[pid][counter] > old[pid][counter]
        for pid in others
        for counter in ("framesDecoded", "packetsReceived", "totalSamplesReceived")
    )


@pytest.mark.timeout(240)
def test_teacher_and_two_pupils_see_and_hear_each_other_until_a_pupil_leaves(
    browser: Any, server: Server, artifacts: Path
) -> None:
    links = {
        "teacher": with_params(server.teacher_link, autojoin="1", lang="en"),
        "pupil1": with_params(server.pupil_links[0], autojoin="1", lang="en"),
        "pupil2": with_params(server.pupil_links[1], autojoin="1", lang="en"),
    }
    with people(browser, server, links) as room:
        selves = {
            role: wait_until(lambda p=person: p.stats()["self"], f"{role} to join")
            for role, person in room.items()
        }
        ids = {role: me["id"] for role, me in selves.items()}
        assert len(set(ids.values())) == 3, selves

        for role, person in room.items():
            others = {ids[r] for r in room if r != role}
            wait_until(
                lambda p=person, o=others: receiving(p.stats(), o),
                f"{role} to decode video and receive audio from both others",
                timeout=40,
            )
        # Not one keyframe and silence: video and audio keep flowing from everyone to everyone.
        for role, person in room.items():
            others = {ids[r] for r in room if r != role}
            first = person.stats()
            wait_until(
                lambda p=person, f=first, o=others: growing(f, p.stats(), o),
                f"{role}'s counters to keep growing for both others",
            )

        teacher, pupil1, pupil2 = room["teacher"], room["pupil1"], room["pupil2"]
        names = set(teacher.stats()["names"])
        assert {selves["pupil1"]["name"], selves["pupil2"]["name"]} <= names, names

        teacher.page.fill("#chat-input", "Good morning, class!")
        teacher.page.click("#chat-send")
        for pupil in (pupil1, pupil2):
            pupil.page.locator(".chat-text", has_text="Good morning, class!").wait_for(
                timeout=20_000
            )

        teacher.page.screenshot(path=artifacts / "lesson.png")
        pupil1.page.set_viewport_size(PHONE)
        pupil1.page.screenshot(path=artifacts / "lesson-phone.png", full_page=True)
        pupil1.page.set_viewport_size(DESKTOP)

        leaver = selves["pupil2"]
        pupil2.page.click("#ctl-leave")
        pupil2.page.locator("#end-view").wait_for(state="visible", timeout=20_000)
        for person in (teacher, pupil1):
            wait_until(
                lambda p=person: (
                    leaver["id"] not in p.stats()["participants"]
                    and leaver["name"] not in p.stats()["names"]
                ),
                f"{leaver['name']} to disappear from {person.role}'s page",
            )
        # The two who stayed still see each other.
        for role, person in (("teacher", teacher), ("pupil1", pupil1)):
            other = ids["pupil1" if role == "teacher" else "teacher"]
            first = person.stats()
            wait_until(
                lambda p=person, f=first, o=other: growing(f, p.stats(), {o}),
                f"{role} to keep receiving after the pupil left",
            )
        for person in room.values():
            assert not person.errors, f"uncaught errors on {person.role}'s page: {person.errors}"


@pytest.mark.parametrize(("lang", "button"), [("ru", "Войти на урок"), ("en", "Join lesson")])
def test_join_page_is_in_the_language_the_link_asks_for(
    browser: Any, server: Server, artifacts: Path, lang: str, button: str
) -> None:
    link = with_params(server.pupil_links[0], lang=lang)
    with people(browser, server, {"pupil": link}) as room:
        page = room["pupil"].page
        page.locator("#join-button").filter(has_text=button).wait_for(timeout=20_000)
        assert page.locator("html").get_attribute("lang") == lang
        # The preview shows the (fake) camera before joining.
        page.wait_for_function(
            "() => document.getElementById('preview-video').videoWidth > 0", timeout=20_000
        )
        page.screenshot(path=artifacts / f"join-{lang}.png")


def test_without_lang_the_page_follows_the_browser_language(browser: Any, server: Server) -> None:
    with people(browser, server, {"pupil": server.pupil_links[0]}, locale="ru-RU") as room:
        page = room["pupil"].page
        page.locator("#join-button").filter(has_text="Войти на урок").wait_for(timeout=20_000)


def test_language_switch_translates_the_page_in_place(browser: Any, server: Server) -> None:
    link = with_params(server.pupil_links[0], lang="ru")
    with people(browser, server, {"pupil": link}) as room:
        page = room["pupil"].page
        page.locator("#join-button").filter(has_text="Войти на урок").wait_for(timeout=20_000)
        page.click("#lang-switch [data-lang=en]")
        page.locator("#join-button").filter(has_text="Join lesson").wait_for(timeout=5_000)
        assert "lang=en" in page.url


def test_join_page_fits_a_phone(browser: Any, server: Server, artifacts: Path) -> None:
    link = with_params(server.pupil_links[0], lang="ru")
    with people(browser, server, {"pupil": link}, viewport=PHONE) as room:
        page = room["pupil"].page
        join = page.locator("#join-button")
        join.wait_for(timeout=20_000)
        box = join.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"], "the page scrolls sideways on a phone"
        page.screenshot(path=artifacts / "join-phone.png", full_page=True)
