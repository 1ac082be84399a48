"""A lesson ends: the teacher's Leave asks whether to end it for everyone; "End for everyone"
in the host panel does; a lesson its teacher left ends by itself after HOSTLESS_MINUTES, and
the pupils are told why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server_process import running_server

from .school_site import (
    LESSON_URL,
    STATS,
    Demo,
    Pages,
    class_card,
    demo_accounts,
    poll,
    sign_in,
    text,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo school on a server whose lessons end 3 s after their teacher left."""
    data = tmp_path_factory.mktemp("lesson-end-data")
    with running_server(data, SFU_WORKERS="0", HOSTLESS_MINUTES="0.05") as running:
        accounts = running.wait_for(demo_accounts, "demo accounts")
        yield Demo(running.base_url, accounts, data, running.output)


def _in_lesson(pages: Pages, demo: Demo) -> tuple[Any, Any]:
    """The teacher starts a lesson for 7Б and a pupil joins it; both in the room."""
    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    class_card(teacher, "7Б").get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    teacher.click("#join-button")
    pupil = pages.open("/signin")
    sign_in(pupil, demo.account("pupil"))
    pupil.goto(teacher.url)
    pupil.click("#join-button")
    for page in (teacher, pupil):
        poll(lambda page=page: page.evaluate(STATS)["phase"] == "live", "both in the lesson")
    return teacher, pupil


def test_the_teacher_ends_the_lesson_for_everyone(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher, pupil = _in_lesson(pages, demo)
    teacher.click("#ctl-host")
    teacher.click("#host-end")
    dialog = teacher.locator("#confirm-dialog")
    dialog.wait_for()
    assert text(teacher, "#confirm-title") == "Завершить урок для всех?"
    teacher.screenshot(path=artifacts / "lesson-end-confirm.png")
    dialog.get_by_role("button", name="Завершить для всех").click()
    for page in (pupil, teacher):
        page.locator("#end-view").wait_for()
        assert text(page, "#end-title") == "Урок закончился"
    assert text(pupil, "#end-text") == "Учитель завершил урок для всех."
    assert pupil.locator("#rejoin-button").is_hidden()
    lesson = teacher.url.split("/lesson/")[1].split("?")[0]
    teacher.goto(pages.url("/school"))
    teacher.locator(f".session-row[data-session-id='{lesson}'][data-state=ended]").wait_for()


def test_a_lesson_its_teacher_left_ends_by_itself(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher, pupil = _in_lesson(pages, demo)
    lesson = teacher.url.split("/lesson/")[1].split("?")[0]
    teacher.click("#ctl-leave")
    teacher.locator("#leave-dialog").wait_for()
    assert text(teacher, "#leave-title") == "Выйти с урока?"
    teacher.screenshot(path=artifacts / "lesson-end-leave.png")
    teacher.click("#leave-only")
    teacher.locator("#end-view").wait_for()
    assert text(teacher, "#end-title") == "Вы вышли с урока"
    # The pupils stay, without a teacher, for HOSTLESS_MINUTES (3 s here); then it is over.
    pupil.locator("#end-view").wait_for(timeout=30_000)
    assert text(pupil, "#end-title") == "Урок закончился"
    assert text(pupil, "#end-text") == ("Учителя не было на уроке 1 мин., и урок закончился сам.")
    pupil.screenshot(path=artifacts / "lesson-end-no-host.png")
    school = pages.open("/signin")
    sign_in(school, demo.account("teacher"))
    school.locator(f".session-row[data-session-id='{lesson}'][data-state=ended]").wait_for()
    assert school.locator(f".session-row[data-session-id='{lesson}']").count() == 1
