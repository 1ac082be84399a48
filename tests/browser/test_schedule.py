"""The timetable in real Chromium: a teacher schedules a lesson on /school (the server's
refusal shown beside the field it is about), the class's pupil and a parent see it coming with
its teacher and time, and when the teacher starts it the pupil's open page shows it started,
with a Join button, pushed by the server: no reload, no polling."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.server_process import free_port, running_server

from .school_site import (
    PHONE,
    Demo,
    Pages,
    api_call,
    demo_accounts,
    fits_width,
    poll,
    sign_in,
    text,
    without_toasts,
)

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")


def timetable_row(page: Any, title: str, state: str) -> Any:
    row = page.locator(f"#timetable .timetable-row[data-state={state}]").filter(has_text=title)
    row.wait_for()
    return row


@pytest.mark.timeout(240)
def test_a_scheduled_lesson_is_seen_coming_and_its_start_reaches_the_open_page(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    olga = demo.account("teacher")
    teacher = pages.open("/signin")
    sign_in(teacher, olga)
    teacher.click("#schedule-button")
    form = teacher.locator("#schedule-form")
    form.wait_for()
    assert teacher.locator("#schedule-zone").inner_text() == "Время школы: Москва UTC+3"
    # Tomorrow at 9 on the school's clock, 45 minutes, unless the teacher changes them.
    tomorrow = (datetime.now(MOSCOW) + timedelta(days=1)).date()
    assert form.locator("[name=starts_at]").input_value() == f"{tomorrow}T09:00"
    assert form.locator("[name=duration_minutes]").input_value() == "45"
    form.locator("[name=title]").fill("Дроби: сложение")
    teacher.screenshot(path=artifacts / "schedule-form-desktop.png")

    # A start that has passed: the server's refusal (time_in_past) beside the time.
    yesterday = (datetime.now(MOSCOW) - timedelta(days=1)).date()
    form.locator("[name=starts_at]").fill(f"{yesterday}T09:00")
    teacher.click("#schedule-submit")
    error = form.locator("[data-error-for=starts_at]")
    error.wait_for()
    assert error.inner_text() == "Это время уже прошло. Выберите более позднее."
    form.locator("[name=starts_at]").fill(f"{tomorrow}T09:00")
    teacher.click("#schedule-submit")
    form.wait_for(state="hidden")
    row = timetable_row(teacher, "Дроби: сложение", "scheduled")
    assert row.locator(".slot-day").inner_text() == "Завтра"
    assert row.locator(".slot-time").inner_text() == "09:00"
    assert row.locator(".slot-length").inner_text() == "45 мин"
    assert row.get_by_role("button").all_inner_texts() == ["Начать", "Изменить", "Отменить"]
    # Changed by its teacher: the form comes back filled, its class and kind fixed.
    row.get_by_role("button", name="Изменить").click()
    form.wait_for()
    assert form.locator("#schedule-form-heading").inner_text() == "Изменить время или название"
    assert form.locator("[name=title]").input_value() == "Дроби: сложение"
    assert form.locator("[name=starts_at]").input_value() == f"{tomorrow}T09:00"
    assert form.locator("[name=class_id]").is_disabled()
    form.locator("[name=duration_minutes]").fill("40")
    teacher.click("#schedule-submit")
    form.wait_for(state="hidden")
    teacher.locator("#timetable .slot-length", has_text="40 мин").wait_for()
    teacher.click("#lang-switch [data-lang=en]")
    teacher.locator("#schedule-heading", has_text="Timetable").wait_for()
    row = timetable_row(teacher, "Дроби: сложение", "scheduled")
    assert row.locator(".slot-day").inner_text() == "Tomorrow"
    assert row.get_by_role("button").all_inner_texts() == ["Start", "Change", "Cancel"]
    without_toasts(teacher).screenshot(path=artifacts / "schedule-teacher-en.png")
    (lesson,) = [
        s
        for s in api_call(teacher, "GET", "/api/sessions/upcoming")["sessions"]
        if s["title"] == "Дроби: сложение"
    ]

    # The class's pupil (desktop) and a parent (a phone) see it coming.
    pupil = pages.open("/signin")
    sign_in(pupil, demo.account("pupil"))
    seen = timetable_row(pupil, "Дроби: сложение", "scheduled")
    assert seen.locator(".teacher").inner_text() == f"учитель: {olga.name}"
    assert seen.locator(".waiting").inner_text() == "Ждём учителя"
    # Its time on the school's clock (not the browser's UTC), and once on the page: the
    # sessions list below ("Lessons and meetings") leaves what is coming to the timetable.
    assert seen.locator(".slot-time").inner_text() == "09:00"
    ours = f"[data-session-id='{lesson['id']}']"
    assert pupil.locator(f".timetable-row{ours}, .session-row{ours}").count() == 1
    pupil.screenshot(path=artifacts / "schedule-upcoming-desktop.png")
    parent = pages.open("/signin", viewport=PHONE)
    sign_in(parent, demo.account("parent"))
    timetable_row(parent, "Дроби: сложение", "scheduled")
    assert text(parent, "#sessions-empty").startswith("Предстоящее — в расписании выше.")
    fits_width(parent, PHONE["width"])
    parent.screenshot(path=artifacts / "schedule-upcoming-phone.png", full_page=True)

    # The teacher starts it (REST, as another client would): the open pages learn it at once.
    pupil.evaluate("() => { window.notReloaded = true; }")
    api_call(teacher, "POST", f"/api/sessions/{lesson['id']}/start")
    started = timetable_row(pupil, "Дроби: сложение", "live")
    assert started.locator(".state.live").inner_text() == "Идёт"
    join = started.get_by_role("button", name="Войти")
    join.wait_for()
    pupil.locator(".toast", has_text="Началось: «Дроби: сложение»").wait_for()
    assert pupil.evaluate("() => window.notReloaded") is True
    started_on_phone = timetable_row(parent, "Дроби: сложение", "live")
    # A parent watches a lesson come; only the class's pupils and teachers go in.
    assert started_on_phone.locator(".state.live").inner_text() == "Идёт"
    assert started_on_phone.get_by_role("button").count() == 0
    assert started_on_phone.locator(".waiting").inner_text() == "Для учеников класса"
    pupil.screenshot(path=artifacts / "schedule-started-desktop.png")
    without_toasts(parent).screenshot(path=artifacts / "schedule-started-phone.png", full_page=True)
    join.click()
    pupil.wait_for_url(f"**/lesson/{lesson['id']}*")

    # The teacher's form on a phone.
    phone = pages.open("/signin", viewport=PHONE)
    sign_in(phone, olga)
    phone.click("#schedule-button")
    phone.locator("#schedule-form").wait_for()
    fits_width(phone, PHONE["width"])
    phone.screenshot(path=artifacts / "schedule-form-phone.png", full_page=True)


def _start_behind_the_servers_back(database: Path, title: str) -> None:
    """Starts the lesson `title` in the school's database itself, as a node the page is not
    connected to would (no news reaches the page for it)."""
    with sqlite3.connect(database) as db:
        changed = db.execute(
            "UPDATE sessions SET state = 'live', started_at = ? WHERE title = ?",
            (time.time(), title),
        ).rowcount
    assert changed == 1


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.timeout(240)
def test_a_page_whose_stream_dropped_catches_up_when_it_reconnects(
    browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    data, port = tmp_path / "data", str(free_port())
    settings = {"DEMO_SCHOOL": "1", "SFU_WORKERS": "0", "PORT": port, "SECRET": "s" * 40}
    with running_server(data, **settings) as first:
        accounts = first.wait_for(demo_accounts, "demo accounts")
        demo = Demo(first.base_url, accounts, data, first.output)
        pages = Pages(browser, demo)
        try:
            pupil = pages.open("/signin")
            sign_in(pupil, demo.account("pupil"))
            teacher = requests.post(
                first.base_url + "/api/auth/login",
                json={
                    "login": demo.account("teacher").login,
                    "password": demo.account("teacher").password,
                },
                timeout=10,
            ).json()["token"]
            (class_id,) = [
                c["id"]
                for c in requests.get(
                    first.base_url + "/api/classes",
                    headers={"Authorization": f"Bearer {teacher}"},
                    timeout=10,
                ).json()["classes"]
            ]
            tomorrow = (datetime.now(MOSCOW) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
            made = requests.post(
                first.base_url + "/api/sessions",
                headers={"Authorization": f"Bearer {teacher}"},
                json={
                    "kind": "lesson",
                    "title": "Химия",
                    "class_id": class_id,
                    "starts_at": tomorrow,
                },
                timeout=10,
            )
            assert made.status_code == 200, made.text
            timetable_row(pupil, "Химия", "scheduled")  # told by the stream
            pupil.evaluate("() => { window.notReloaded = true; }")
            first.process.terminate()  # the stream ends; the page's EventSource retries
            first.process.wait(timeout=60)
            # Started while the page had no stream at all: no news of it can ever arrive.
            _start_behind_the_servers_back(data / "classroom.sqlite3", "Химия")
            with running_server(data, **settings) as second:
                poll(lambda: _healthy(second.base_url), "the server back")
                # The page reconnects by itself and fetches its lists again.
                row = timetable_row(pupil, "Химия", "live")
                row.get_by_role("button", name="Войти").wait_for()
                assert pupil.evaluate("() => window.notReloaded") is True
                pupil.screenshot(path=artifacts / "schedule-caught-up.png")
        finally:
            pages.close()
        assert not pages.errors, pages.errors
