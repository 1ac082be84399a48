"""A lesson's record in real Chromium (issue 18): the teacher asks a quick quiz in the room and
sees each pupil's answer as it comes, the pupil answers and learns when it closes that they
were right, and after the lesson the teacher's session row on /school opens its record: the
pupil's answer to the quiz, and the whole class's attendance with the pupils who never came.
Screenshots on a desktop and a phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .school_site import (
    DESKTOP,
    LESSON_URL,
    PHONE,
    STATS,
    Demo,
    Pages,
    class_card,
    fits_width,
    poll,
    sign_in,
    text,
)

pytestmark = pytest.mark.browser

QUESTION = "Сколько будет 1/2 + 1/4?"


def _in_lesson(pages: Pages, demo: Demo) -> tuple[Any, Any]:
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


def _ask_quiz(teacher: Any, artifacts: Path) -> None:
    teacher.click("#ctl-host")
    teacher.click("#host-new-poll")
    dialog = teacher.locator("#poll-dialog")
    dialog.wait_for()
    teacher.fill("#poll-question", QUESTION)
    options = teacher.locator("#poll-options .poll-option-input")
    options.nth(0).fill("2/6")
    options.nth(1).fill("3/4")
    teacher.click("#poll-add-option")
    options.nth(2).fill("1")
    teacher.check("#poll-quiz")
    assert teacher.locator("#poll-multiple").is_disabled()
    teacher.uncheck("#poll-show-results")
    teacher.click("#poll-start")
    assert text(teacher, "#poll-error") == "Отметьте верный ответ."
    teacher.locator("#poll-options .poll-correct-input").nth(1).check()
    teacher.screenshot(path=artifacts / "record-quiz-dialog.png")
    teacher.click("#poll-start")
    dialog.wait_for(state="hidden")


def test_a_quiz_in_the_room_and_the_lessons_record_on_school(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher, pupil = _in_lesson(pages, demo)
    lesson = teacher.url.split("/lesson/")[1].split("?")[0]
    pupil_name = demo.account("pupil").name
    _ask_quiz(teacher, artifacts)

    # The pupil answers; the teacher sees who chose what, and how many were right.
    card = pupil.locator(".poll-card", has_text=QUESTION)
    card.wait_for()
    assert text(pupil, ".poll-card .poll-kicker") == "ВИКТОРИНА"
    assert card.locator(".poll-option.correct").count() == 0  # the answer is not given away
    # The teacher sees who is here and has not answered yet, until they do.
    waiting = teacher.locator(".poll-card", has_text=QUESTION).locator(".poll-waiting")
    assert waiting.inner_text() == f"Ещё не ответили (1): {pupil_name}"
    assert card.locator(".poll-waiting").is_hidden()  # the pupil's card has no such line
    teacher.screenshot(path=artifacts / "record-poll-waiting.png")
    card.get_by_text("3/4").click()
    card.get_by_role("button", name="Ответить").click()
    card.locator(".poll-status", has_text="Ответ отправлен.").wait_for()
    host_card = teacher.locator(".poll-card", has_text=QUESTION)
    person = host_card.locator(".poll-person", has_text=pupil_name)
    person.wait_for()
    assert person.locator(".poll-person-choice").inner_text() == "3/4"
    assert person.locator(".poll-mark").inner_text() == "✓"
    assert text(teacher, ".poll-card .poll-score") == "Верно: 1 из 1 (100%)"
    assert host_card.locator(".poll-option.correct .poll-text").inner_text() == "3/4"
    assert waiting.inner_text() == "Ответили все, кто на уроке."
    teacher.screenshot(path=artifacts / "record-room-teacher.png")
    teacher.set_viewport_size(PHONE)
    teacher.screenshot(path=artifacts / "record-room-teacher-phone.png", full_page=True)
    fits_width(teacher, PHONE["width"])
    teacher.set_viewport_size(DESKTOP)

    # Closed: the pupil learns they were right.
    host_card.get_by_role("button", name="Завершить опрос").click()
    verdict = card.locator(".poll-status.verdict-right")
    verdict.wait_for()
    assert verdict.inner_text() == "Верно! Ответ: «3/4»."
    assert card.locator(".poll-option.correct .poll-mark").inner_text() == "✓"
    close_notices(pupil)
    pupil.screenshot(path=artifacts / "record-room-pupil.png")
    pupil.set_viewport_size(PHONE)
    close_notices(pupil)
    pupil.screenshot(path=artifacts / "record-room-pupil-phone.png", full_page=True)
    fits_width(pupil, PHONE["width"])

    # The lesson ends; its record stays on /school.
    teacher.click("#host-end")
    teacher.locator("#confirm-dialog").get_by_role("button", name="Завершить для всех").click()
    teacher.locator("#end-view").wait_for()
    teacher.goto(pages.url("/school"))
    row = teacher.locator(f".session-row[data-session-id='{lesson}'][data-state=ended]")
    row.wait_for()
    row.get_by_role("button", name="Итоги урока").click()
    panel = row.locator(".record-panel")
    answer = panel.locator(".record-answer", has_text=pupil_name)
    answer.wait_for()
    assert answer.locator(".record-answer-choice").inner_text() == "3/4"
    assert answer.locator(".poll-mark").inner_text() == "✓"
    assert panel.locator(".record-facts").inner_text() == "Верно: 1 из 1 (100%)"
    summary = panel.locator(".record-summary").inner_text()
    assert summary == "Пришли: 1 из 3. Не было: Maria Lopez, Ваня Смирнов."
    absent = [a.strip() for a in panel.locator("tr.absent .roll-name").all_inner_texts()]
    assert absent == ["Maria Lopez", "Ваня Смирнов"]
    present = panel.locator("tr.present", has_text=pupil_name)
    assert re.fullmatch(r"\d\d:\d\d", present.locator(".roll-time").first.inner_text())
    assert panel.locator(".record-zone").inner_text() == "Время школы (Europe/Moscow)."
    close_notices(teacher)
    row.screenshot(path=artifacts / "record-school-teacher.png")
    teacher.set_viewport_size(PHONE)
    row.scroll_into_view_if_needed()
    row.screenshot(path=artifacts / "record-school-teacher-phone.png")
    fits_width(teacher, PHONE["width"])
    # In English, the same record.
    teacher.click("#lang-switch [data-lang=en]")
    panel.locator(".record-summary", has_text="Came: 1 of 3.").wait_for()
    summary = panel.locator(".record-summary").inner_text()
    assert summary == "Came: 1 of 3. Absent: Maria Lopez, Ваня Смирнов."
    assert panel.locator("tr.absent .roll-absent").first.inner_text() == "absent"
    assert panel.locator(".record-facts").inner_text() == "Right: 1 of 1 (100%)"
    row.screenshot(path=artifacts / "record-school-teacher-phone-en.png")
    teacher.click("#lang-switch [data-lang=ru]")

    # The class's quiz history on its card: every pupil's score, not answering counting.
    quizzes = class_card(teacher, "7Б").locator("details.quizzes")
    quizzes.locator("summary").click()
    quizzes.locator(".quiz-scores").wait_for()
    assert quiz_scores(quizzes) == {
        pupil_name: "1 из 1 (100%)",
        "Maria Lopez": "0 из 1 (0%)",
        "Ваня Смирнов": "0 из 1 (0%)",
    }
    assert quizzes.locator(".quiz-question").all_inner_texts() == [QUESTION]
    quizzes.scroll_into_view_if_needed()
    quizzes.screenshot(path=artifacts / "record-quizzes-teacher-phone.png")
    fits_width(teacher, PHONE["width"])
    teacher.set_viewport_size(DESKTOP)
    quizzes.screenshot(path=artifacts / "record-quizzes-teacher.png")

    # The pupil's own record: their answer, right.
    pupil.set_viewport_size(DESKTOP)
    pupil.goto(pages.url("/school"))
    mine = pupil.locator(f".session-row[data-session-id='{lesson}'][data-state=ended]")
    mine.get_by_role("button", name="Итоги урока").click()
    line = mine.locator(".record-mine")
    line.wait_for()
    assert line.inner_text() == "Ваш ответ: 3/4 ✓ верно"
    assert mine.locator(".record-attendance").count() == 0
    mine.screenshot(path=artifacts / "record-school-pupil.png")
    # Their own quiz score on the class's card, nobody else's.
    own = class_card(pupil, "7Б").locator("details.quizzes")
    own.locator("summary").click()
    own.locator(".quiz-scores").wait_for()
    assert quiz_scores(own) == {pupil_name: "1 из 1 (100%)"}
    own.screenshot(path=artifacts / "record-quizzes-pupil.png")


def quiz_scores(section: Any) -> dict[str, str]:
    """Name → score of the rows of a class's quiz results."""
    names = section.locator(".quiz-scores tbody .quiz-name").all_inner_texts()
    scores = section.locator(".quiz-scores tbody .quiz-score").all_inner_texts()
    return dict(zip(names, scores, strict=True))


def close_notices(page: Any) -> None:
    """Closes the notices that would cover the card in a screenshot."""
    page.evaluate("() => document.querySelectorAll('.toast-close').forEach((b) => b.click())")
    poll(lambda: page.locator(".toast, .toast-wrap").count() == 0, "the notices gone")


def test_the_admin_sets_the_schools_time_zone_and_a_wrong_one_is_refused(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    form = admin.locator("#time-zone-form")
    zone = form.locator("input[name=zone]")
    assert zone.input_value() == "Europe/Moscow"
    zone.fill("Europe/Atlantis")
    form.get_by_role("button", name="Сохранить").click()
    error = form.locator("[data-error-for=zone]")
    error.wait_for()
    assert error.inner_text() == "Такого часового пояса нет. Укажите название вроде Europe/Moscow."
    form.screenshot(path=artifacts / "record-time-zone-refused.png")
    zone.fill("Asia/Yekaterinburg")
    form.get_by_role("button", name="Сохранить").click()
    admin.locator(
        ".toast", has_text="Время посещаемости теперь по поясу Asia/Yekaterinburg."
    ).wait_for()
    assert error.is_hidden()
    admin.set_viewport_size(PHONE)
    form.scroll_into_view_if_needed()
    form.screenshot(path=artifacts / "record-time-zone-phone.png")
    fits_width(admin, PHONE["width"])
    # Back to Moscow: the other tests of this module read times in it.
    zone.fill("Europe/Moscow")
    form.get_by_role("button", name="Сохранить").click()
    admin.locator(".toast", has_text="по поясу Europe/Moscow.").wait_for()
