"""A pupil whose network drops for 5 s comes back into the same place; the teacher never sees
them leave.

The pupil's Chromium runs in its own network namespace: the test takes its link down (ICE
and the WebSocket both lose their way, as in a tunnel) and breaks its TCP connections, then
brings the link back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.netns import Forwarders, Namespace
from tests.server_process import free_port

from .conftest import (
    Server,
    _links,
    running_server,
    server_for_namespace,
)
from .test_lesson import Person, failure_report, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lan(
    tmp_path_factory: pytest.TempPathFactory, link: Namespace
) -> Iterator[tuple[Server, Forwarders]]:
    with server_for_namespace(tmp_path_factory.mktemp("server-data"), link) as served:
        yield served


def decoded(person: Person, other: str) -> int:
    entry = person.stats()["participants"].get(other)
    return int(entry["framesDecoded"]) if entry else 0


@pytest.mark.timeout(240)
def test_a_pupil_cut_off_for_5_s_is_back_within_5_s_and_never_left(
    browser: Any,
    far_browser: Any,
    lan: tuple[Server, Forwarders],
    link: Namespace,
    artifacts: Path,
) -> None:
    server, forwarders = lan
    people: dict[str, Person] = {}
    try:
        people["teacher"] = Person.joining(browser, server.teacher_link, "teacher")
        people["pupil"] = Person.joining(far_browser, server.pupil_links[0], "pupil")
        teacher, pupil = people["teacher"], people["pupil"]
        teacher_id = wait_until(lambda: teacher.stats()["self"], "teacher joined")["id"]
        pupil_self = wait_until(lambda: pupil.stats()["self"], "pupil joined")
        wait_until(lambda: decoded(pupil, teacher_id) > 10, "pupil decoding the teacher", 60)
        wait_until(lambda: decoded(teacher, pupil_self["id"]) > 10, "teacher decoding the pupil")

        link.set_link(False)
        forwarders.restart_inside()  # its connections are gone, as on a network change
        seen_on_teacher: list[bool] = []
        reconnecting_shown = False
        cut_until = time.monotonic() + 5
        while time.monotonic() < cut_until:
            stats = teacher.stats()
            seen_on_teacher.append(
                pupil_self["id"] in stats["participants"] and pupil_self["name"] in stats["names"]
            )
            if teacher.page.locator(".tile.reconnecting").count():
                reconnecting_shown = True
                teacher.page.screenshot(path=str(artifacts / "reconnecting-teacher.png"))
            time.sleep(0.25)
        link.set_link(True)
        back_at = time.monotonic()
        before = (decoded(pupil, teacher_id), decoded(teacher, pupil_self["id"]))

        def both_flowing() -> bool:
            stats = teacher.stats()
            seen_on_teacher.append(pupil_self["id"] in stats["participants"])
            now = (decoded(pupil, teacher_id), decoded(teacher, pupil_self["id"]))
            return pupil.stats()["phase"] == "live" and now[0] > before[0] and now[1] > before[1]

        wait_until(both_flowing, "video both ways again", timeout=15, interval=0.2)
        took = time.monotonic() - back_at
        print(f"back after {took:.1f} s; reconnecting shown: {reconnecting_shown}")
        assert took < 5, took
        assert all(seen_on_teacher), "the teacher's page showed the pupil leaving"
        assert pupil.stats()["self"]["id"] == pupil_self["id"]  # the same place
        assert teacher.page.locator(".tile.reconnecting").count() == 0
    except AssertionError as exc:
        raise AssertionError(failure_report(exc, people, server)) from exc
    finally:
        for person in people.values():
            person.close()


@pytest.mark.timeout(240)
def test_after_a_server_restart_everyone_is_told_and_comes_back(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A deploy restarts the server: the pages say so, keep trying, and rejoin by themselves."""
    data = tmp_path_factory.mktemp("restart-data")
    env = {"SECRET": "restart-test-secret-0123456789abcdef", "PORT": str(free_port())}
    people: dict[str, Person] = {}
    first = running_server(data, **env)
    running = first.__enter__()
    try:
        teacher_link, pupil_links = running.wait_for(_links, "lesson links")
        people["teacher"] = Person.joining(browser, teacher_link, "teacher")
        people["pupil"] = Person.joining(browser, pupil_links[0], "pupil")
        teacher, pupil = people["teacher"], people["pupil"]
        teacher_id = wait_until(lambda: teacher.stats()["self"], "teacher joined")["id"]
        wait_until(lambda: decoded(pupil, teacher_id) > 10, "pupil decoding the teacher", 60)
    except BaseException:
        first.__exit__(None, None, None)
        raise
    first.__exit__(None, None, None)  # SIGTERM: a graceful stop
    status = wait_until(
        lambda: pupil.page.evaluate("() => document.querySelector('#status')?.textContent || ''"),
        "the restart notice",
    )
    assert "restarting" in status
    with running_server(data, **env):
        # A restarted server remembers no one: the pages join afresh (new ids).
        new_teacher = wait_until(
            lambda: (me := teacher.stats()["self"]) and me["id"] != teacher_id and me["id"],
            "the teacher back in the lesson",
            60,
        )
        wait_until(
            lambda: pupil.stats()["phase"] == "live" and decoded(pupil, new_teacher) > 10,
            "the pupil back in the lesson, decoding the teacher",
            60,
        )
    for person in people.values():
        person.close()
