"""A pupil on a 300 kbit/s downlink keeps the lesson; the pupil beside them loses nothing.

The weak pupil's Chromium runs in its own network namespace whose link to the server is
shaped by the kernel (`tc tbf`), not simulated: what Chrome's own bandwidth estimate (REMB)
reports is what the server fits that pupil's video to. The teacher's camera is simulcast:
the weak pupil receives its smallest picture, the pupil beside them a larger one.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.netns import Namespace, namespace

from .conftest import Server, server_for_namespace
from .test_lesson import Person, failure_report, sfu_metrics, wait_until

pytestmark = pytest.mark.browser


WINDOW = 20.0
"""Seconds over which the pupils' frames are counted."""


@pytest.fixture(scope="module")
def link() -> Iterator[Namespace]:
    with namespace() as ns:
        ns.shape_downlink(300)
        yield ns


@pytest.fixture(scope="module")
def lan_server(tmp_path_factory: pytest.TempPathFactory, link: Namespace) -> Iterator[Server]:
    with server_for_namespace(tmp_path_factory.mktemp("server-data"), link) as (server, _):
        yield server


def teacher_video(person: Person, teacher_id: str) -> dict[str, float]:
    entry: dict[str, float] = person.stats()["participants"].get(teacher_id, {})
    return entry


class Timeline:
    """A line a second, from a thread, of what the server gives the weak pupil's downlink
    (budget, estimate and its source, sent, each video's layer and frames forwarded) and the
    SFU's NACK, retransmission, PLI and padding counters: a failure shows when and why the
    picture stood still."""

    COUNTERS = ("nacks_received", "retransmissions", "plis_received", "padding_packets")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.participant: str | None = None
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            if self.participant is not None:
                self.lines.append(self._line(sfu_metrics(self.server)))

    def _line(self, metrics: str) -> str:
        values = [f"{time.monotonic() - self._started:5.1f}s"]
        for line in metrics.splitlines():
            name = line.split("{")[0].split(" ")[0]
            short = name.removeprefix("classroom_subscriber_").removeprefix("classroom_sfu_")
            if short.removesuffix("_total") in self.COUNTERS:
                values.append(f"{short.removesuffix('_total')}={float(line.split()[-1]):.0f}")
            elif f'participant="{self.participant}"' in line and "spatial" not in name:
                label = re.search(r'(track|source)="([^"]+)"', line)
                suffix = f"/{label.group(2)[-4:]}" if label else ""
                values.append(f"{short.removesuffix('_bps')}{suffix}={float(line.split()[-1]):.0f}")
        return " ".join(values)

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join()
        return self.lines


@pytest.mark.timeout(240)
def test_a_pupil_at_300_kbit_keeps_decoding_the_teacher_s_smallest_picture(
    browser: Any, far_browser: Any, lan_server: Server, artifacts: Path
) -> None:
    server = lan_server
    people: dict[str, Person] = {}
    timeline = Timeline(server)
    try:
        people["teacher"] = Person.joining(browser, server.teacher_link, "teacher")
        people["wide"] = Person.joining(browser, server.pupil_links[0], "wide")
        people["weak"] = Person.joining(far_browser, server.pupil_links[1], "weak")
        teacher_id = wait_until(lambda: people["teacher"].stats()["self"], "teacher joined")["id"]
        timeline.participant = wait_until(
            lambda: people["weak"].stats()["self"], "weak pupil joined"
        )["id"]
        for role in ("wide", "weak"):
            wait_until(
                lambda r=role: teacher_video(people[r], teacher_id).get("framesDecoded", 0) > 0,
                f"{role} decoding the teacher",
                timeout=60,
            )
        # Chrome's estimate shows the limit and the server drops layers; then they settle.
        note = people["weak"].page.locator(".tile.teacher .quality-note:not([hidden])")
        wait_until(lambda: note.count() == 1, "the weak pupil's video of the teacher reduced", 30)
        time.sleep(4)
        before = {r: teacher_video(people[r], teacher_id) for r in ("wide", "weak")}
        time.sleep(WINDOW)
        after = {r: teacher_video(people[r], teacher_id) for r in ("wide", "weak")}
        fps = {r: (after[r]["framesDecoded"] - before[r]["framesDecoded"]) / WINDOW for r in after}
        freezes = {r: after[r]["freezeCount"] - before[r]["freezeCount"] for r in after}
        frozen = {
            r: after[r]["totalFreezesDuration"] - before[r]["totalFreezesDuration"] for r in after
        }
        people["weak"].page.screenshot(path=str(artifacts / "weak-link-pupil.png"))
        print(f"fps {fps} freezes {freezes} frozen {frozen}")
        print("\n".join(timeline.lines))
        # Chromium's fake camera runs at 20 frames/s: the wide pupil gets them all.
        assert fps["wide"] >= 16, fps
        assert fps["weak"] >= 5, fps  # the small picture, at what frame rate fits (12 here)
        # At 10-12 frames a second a late frame counts as a freeze sooner than at 4 (Chrome's
        # rule is relative to the frame rate): how long the picture stood still says more.
        # Measured here: 0-2.5 s in most runs; once the link's loss cut the budget under audio
        # and the base layer and the video paused until its retry (5 s).
        assert frozen["weak"] <= 0.3 * WINDOW, (frozen, freezes)
        # The smallest layer the teacher sends (a layer Chrome stopped for its CPU shows 0).
        sent = people["teacher"].stats()["sent"]
        smallest = min(layer["width"] for layer in sent if layer["width"])
        assert after["weak"]["frameWidth"] == smallest == 240, (after["weak"], smallest)
        assert after["wide"]["frameWidth"] > smallest, (after["wide"], smallest)
        assert note.count() == 1 and "connection" in note.inner_text()
        assert people["wide"].page.locator(".quality-note:not([hidden])").count() == 0
    except AssertionError as exc:
        lines = "\n".join(timeline.stop())
        raise AssertionError(
            f"{failure_report(exc, people, server)}\n--- timeline ---\n{lines}"
        ) from exc
    finally:
        timeline.stop()
        for person in people.values():
            person.close()
