"""The school pages in real Chromium: sign-in, a teacher's classes and invite links, a pupil
signing up through a link, lessons started and joined, dead links, and an admin verifying a
teacher. Runs its own server with the demo school (DEMO_SCHOOL=1) and reads the demo accounts
it prints."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .school_site import (
    INVITE_URL,
    LESSON_URL,
    PHONE,
    STATS,
    Account,
    Demo,
    Pages,
    api_call,
    auth_cookie,
    class_card,
    fits_width,
    poll,
    session_row,
    sign_in,
    text,
    without_toasts,
)

pytestmark = pytest.mark.browser


def teacher_hears(page: Any, participant_id: str) -> int:
    """inbound-rtp packets of `participant_id`'s microphone received by `page`."""
    entry = page.evaluate(STATS)["participants"].get(participant_id)
    return int(entry["packetsReceived"]) if entry else 0


def test_signin_speaks_russian_and_english_and_explains_failures(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher = demo.account("teacher")
    page = pages.open("/signin")  # a Russian browser, no ?lang
    assert text(page, "#signin-heading") == "Вход"
    assert text(page, "#signin-button") == "Войти"
    assert page.locator("html").get_attribute("lang") == "ru"
    page.fill("#signin-login", teacher.login)
    page.fill("#signin-password", "not-the-password")
    page.click("#signin-button")
    error = page.locator("#signin-error")
    error.wait_for()
    assert error.inner_text() == "Неверный логин или пароль. Проверьте их и попробуйте ещё раз."
    assert auth_cookie(page) is None
    page.screenshot(path=artifacts / "signin-ru.png")

    # The switch translates in place, the error included, and keeps the choice in the address.
    page.click("#lang-switch [data-lang=en]")
    page.locator("#signin-heading", has_text="Sign in").wait_for()
    assert error.inner_text() == "Wrong login or password. Check them and try again."
    assert "lang=en" in page.url

    # No connection: a different message, not "wrong password".
    page.route("**/api/auth/login", lambda route: route.abort())
    page.click("#signin-button")
    page.locator("#signin-error", has_text="Could not reach the server").wait_for()
    assert error.inner_text() == "Could not reach the server. Check your connection and try again."
    page.unroute("**/api/auth/login")

    english = pages.open("/signin?lang=en")
    assert text(english, "#signin-heading") == "Sign in"
    assert english.locator("html").get_attribute("lang") == "en"
    english.screenshot(path=artifacts / "signin-en.png")

    # Without a token, /school sends the person to sign in, in the language they asked for.
    anonymous = pages.open("/school?lang=en")
    anonymous.wait_for_url(re.compile(r"/signin\?lang=en$"))


def test_a_pupil_invited_by_link_joins_the_lesson_is_heard_then_muted_at_the_sfu(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    olga = demo.account("teacher")
    teacher = pages.open("/signin", clipboard=True)
    sign_in(teacher, olga)
    assert text(teacher, "#school-name") == "Школа №1"
    assert text(teacher, "#user-badge") == "Учитель ✓ проверен"
    assert text(teacher, "#classes-heading") == "Мои классы"
    card = class_card(teacher, "7Б")
    assert card.locator(".class-sub").inner_text().startswith(f"Учитель: {olga.name}")

    card.get_by_role("button", name="Скопировать ссылку-приглашение для учеников").click()
    toast = teacher.locator(".toast", has_text="Ссылка-приглашение для учеников 7Б скопирована")
    toast.wait_for()
    link = card.locator(".invite-row.highlight input").input_value()
    assert INVITE_URL.match(link), link
    assert teacher.evaluate("() => navigator.clipboard.readText()") == link
    without_toasts(teacher).screenshot(path=artifacts / "school-teacher.png", full_page=True)

    # The pupil, in another browser: the link says where it leads, and makes the account.
    pupil = pages.open(link)
    lead = pupil.locator("#invite-lead")
    lead.wait_for()
    assert lead.inner_text() == "Вас приглашают в класс 7Б (Школа №1) как ученика."
    assert text(pupil, "#invite-school") == "Школа №1"
    assert pupil.locator("#child-field").is_hidden()
    pupil.screenshot(path=artifacts / "invite-valid.png", full_page=True)

    pupil.fill("#invite-name", "Петя Васильев")
    pupil.fill("#invite-login", "anya")  # an existing pupil's login
    pupil.fill("#invite-password", "short")
    pupil.click("#invite-submit")
    password_error = pupil.locator("[data-error-for=password]")
    password_error.wait_for()
    assert password_error.inner_text() == "Пароль должен быть не короче 8 символов."
    pupil.fill("#invite-password", "petya-secret-1")
    pupil.click("#invite-submit")
    login_error = pupil.locator("[data-error-for=login]")
    login_error.filter(has_text="занят").wait_for()
    assert login_error.inner_text() == "Этот логин уже занят. Выберите другой."
    assert password_error.is_hidden()
    pupil.fill("#invite-login", "petya")
    pupil.click("#invite-submit")
    pupil.wait_for_url(re.compile(r"/school$"))
    cookie = auth_cookie(pupil)
    assert cookie is not None and (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert pupil.evaluate("() => document.cookie") == ""  # out of every script's reach
    pupil.locator("#user-name", has_text="Петя Васильев").wait_for()
    assert text(pupil, "#user-badge") == "Ученик"
    assert text(pupil, "#classes-heading") == "Мой класс"
    class_card(pupil, "7Б")
    assert pupil.locator(".class-card .actions").count() == 0  # pupils get no teacher buttons
    assert text(pupil, "#sessions-empty").startswith("Пока ничего не запланировано.")

    # The teacher starts the lesson and lands in its room.
    teacher.reload()
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Начать урок").click()
    teacher.wait_for_url(LESSON_URL)
    assert "token" not in teacher.url  # the address names the lesson, not the teacher
    teacher.locator("#join-button", has_text="Войти на урок").wait_for()

    # The pupil's page looks again when the pupil comes back to the tab (and every 15 s);
    # the live lesson appears with a Join button that opens the room.
    pupil.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    row = pupil.locator(".session-row[data-state=live]")
    row.wait_for()
    assert row.locator(".session-title").inner_text().startswith("7Б — ")
    assert row.locator(".state").inner_text() == "Идёт"
    pupil.screenshot(path=artifacts / "school-pupil.png", full_page=True)
    row.get_by_role("button", name="Войти").click()
    pupil.wait_for_url(LESSON_URL)
    pupil.locator("#join-button").wait_for()

    # Both enter the room: the teacher sees and hears the pupil, then mutes them without
    # leave to unmute, and the pupil's sound stops reaching the teacher (it stops at the SFU).
    teacher.click("#join-button")
    pupil.click("#join-button")
    pupil_id = poll(lambda: (pupil.evaluate(STATS).get("self") or {}).get("id"), "pupil joined")
    poll(
        lambda: (lambda p: p and p["framesDecoded"] > 0 and p["packetsReceived"] > 0)(
            teacher.evaluate(STATS)["participants"].get(pupil_id)
        ),
        "the teacher to see and hear the pupil",
    )
    heard = teacher_hears(teacher, pupil_id)
    poll(lambda: teacher_hears(teacher, pupil_id) > heard, "the pupil's sound to keep coming")
    pupil_tile = teacher.locator(f'#grid .tile[data-key="{pupil_id}"]')
    assert pupil_tile.locator(".tile-label .name").inner_text().startswith("Петя Васильев")
    pupil_tile.locator(".tile-menu-button").click()
    teacher.locator("#tile-menu").get_by_text("Выключить без права включить").click()
    pupil.locator("#ctl-mic[disabled]").wait_for()
    time.sleep(1.0)  # packets already on the wire when the SFU stopped forwarding
    muted_at = teacher_hears(teacher, pupil_id)
    time.sleep(1.5)
    assert teacher_hears(teacher, pupil_id) == muted_at, "the muted pupil is still heard"

    # Back on /school, the class offers the running lesson instead of a second one; the
    # teacher ends it (asked twice) and downloads the attendance.
    teacher.goto(pages.url("/school"))
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Войти на идущий урок").wait_for()
    live = teacher.locator(".session-row[data-state=live]")
    end = live.get_by_role("button", name="Завершить")
    end.click()
    live.get_by_role("button", name="Завершить для всех?").click()
    ended = teacher.locator(".session-row[data-state=ended]")
    ended.wait_for()
    assert ended.locator(".state").inner_text() == "Завершено"
    ended.get_by_role("button", name="Итоги урока").click()
    with teacher.expect_download() as download_info:
        ended.get_by_role("button", name="Скачать CSV").click()
    download = download_info.value
    assert re.fullmatch(r"attendance-\w+\.csv", download.suggested_filename)
    # For Excel in Russian: a byte-order mark, ';' between columns, CRLF.
    assert Path(download.path()).read_bytes().split(b"\r\n")[0] == (
        "\ufeffИмя;Из класса;Присутствие;Пришёл;Ушёл;Минут;Заходов".encode()
    )
    card.get_by_role("button", name="Начать урок").wait_for()


def test_dead_invite_links_explain_themselves(pages: Pages, demo: Demo, artifacts: Path) -> None:
    teacher = pages.open("/signin", clipboard=True)
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Скопировать ссылку-приглашение для родителей").click()
    row = card.locator(".invite-row.highlight")
    link = row.locator("input").input_value()
    assert INVITE_URL.match(link), link

    # While alive, a parent link asks which child is theirs.
    parent = pages.open(link)
    parent.locator("#invite-lead").wait_for()
    assert text(parent, "#invite-lead") == "Вас приглашают в класс 7Б (Школа №1) как родителя."
    options = parent.locator("#invite-child option").all_inner_texts()
    assert options[0] == "Выберите…" and {"Аня", "Ваня", "Maria"} <= set(options[1:]), options
    parent.fill("#invite-name", "Олег Смирнов")
    parent.fill("#invite-login", "oleg")
    parent.fill("#invite-password", "oleg-secret-1")
    parent.click("#invite-submit")
    child_error = parent.locator("[data-error-for=child_id]")
    child_error.wait_for()
    assert child_error.inner_text() == "Выберите своего ребёнка."

    row.get_by_role("button", name="Отозвать").click()
    row.get_by_role("button", name="Точно отозвать?").click()
    teacher.locator(".toast", has_text="Ссылка отозвана").wait_for()
    assert card.locator(f'.invite-row input[value="{link}"]').count() == 0

    # The same link now, in a fresh browser: why it stopped working, and no form.
    late = pages.open(link)
    late.locator("#dead-title").wait_for()
    assert text(late, "#dead-title") == "Ссылка отозвана"
    assert text(late, "#dead-text") == (
        "Учитель отключил эту ссылку-приглашение. Попросите у учителя новую."
    )
    assert late.locator("#invite-form").is_hidden()
    late.screenshot(path=artifacts / "invite-dead.png")

    # The parent who had the form open is told the same when they submit.
    parent.select_option("#invite-child", label="Ваня")
    parent.click("#invite-submit")
    parent.locator("#dead-title", has_text="Ссылка отозвана").wait_for()

    missing = pages.open("/join/no-such-invite-0000000000?lang=en")
    missing.locator("#dead-title").wait_for()
    assert text(missing, "#dead-title") == "This link does not work"


def test_admin_creates_assigns_and_verifies_a_teacher(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin?lang=en", locale="en-US")
    sign_in(admin, demo.account("admin"))
    assert text(admin, "#user-badge") == "Admin"
    assert text(admin, "#classes-heading") == "Classes"
    class_card(admin, "7Б")

    form = admin.locator("#create-teacher-form")
    form.locator("[name=name]").fill("Pyotr Nikolaev")
    form.locator("[name=login]").fill("Pyotr")  # logins are lower-cased, as the server does
    form.locator("[name=password]").fill("pyotr-secret-1")
    form.get_by_role("button", name="Create teacher").click()
    admin.locator(".toast", has_text="Pyotr Nikolaev can now sign in as “pyotr”").wait_for()
    row = admin.locator(
        ".people-table li", has=admin.locator(".person-name", has_text="Pyotr Nikolaev")
    )
    assert row.locator(".badge").inner_text() == "not verified"
    assert row.locator(".person-classes").inner_text() == "no classes yet"

    # The same login again is refused next to the field.
    form.locator("[name=name]").fill("Another Pyotr")
    form.locator("[name=login]").fill("pyotr")
    form.locator("[name=password]").fill("pyotr-secret-2")
    form.get_by_role("button", name="Create teacher").click()
    login_error = form.locator("[data-error-for=login]")
    login_error.wait_for()
    assert login_error.inner_text() == "This login is already taken. Choose another one."

    # Before verification the teacher may sign in, but is told to wait.
    pyotr = Account("teacher", "pyotr", "pyotr-secret-1", "Pyotr Nikolaev")
    new_teacher = pages.open("/signin?lang=en", locale="en-US")
    sign_in(new_teacher, pyotr)
    assert text(new_teacher, "#user-badge") == "Teacher · not verified"
    new_teacher.locator("#unverified-notice").wait_for()
    assert text(new_teacher, "#unverified-notice").startswith(
        "An administrator of your school has to verify your account"
    )
    assert new_teacher.locator("#classes-section").is_hidden()
    new_teacher.screenshot(path=artifacts / "school-unverified.png")

    assign = admin.locator("#assign-form")
    assign.locator("[name=teacher]").select_option(label="Pyotr Nikolaev (not verified)")
    assign.locator("[name=class]").select_option(label="7Б")
    assign.get_by_role("button", name="Assign").click()
    admin.locator(".toast", has_text="Pyotr Nikolaev now teaches 7Б.").wait_for()
    assert row.locator(".person-classes").inner_text() == "teaches 7Б"

    row.get_by_role("button", name="Verify").click()
    row.locator(".badge.verified").wait_for()
    assert row.locator(".badge").inner_text() == "✓ verified"
    assert row.get_by_role("button", name="Verify").count() == 0

    class_form = admin.locator("#create-class-form")
    class_form.locator("[name=name]").fill("8A")
    class_form.get_by_role("button", name="Create class").click()
    class_card(admin, "8A")
    assert "No teacher yet" in class_card(admin, "8A").locator(".class-sub").inner_text()
    assert admin.url.endswith("/school?lang=en")  # the language chosen at sign-in carried over
    without_toasts(admin).screenshot(path=artifacts / "school-admin.png", full_page=True)

    # The switch redraws everything drawn from the API too, in place.
    admin.click("#lang-switch [data-lang=ru]")
    admin.locator("#classes-heading", has_text="Классы").wait_for()
    assert text(admin, "#admin-heading") == "Администрирование"
    assert row.locator(".badge").inner_text() == "✓ проверен"
    assert "Учитель не назначен" in class_card(admin, "8A").locator(".class-sub").inner_text()

    new_teacher.reload()
    new_teacher.locator("#user-badge", has_text="Teacher ✓ verified").wait_for()
    assert new_teacher.locator("#unverified-notice").is_hidden()
    class_card(new_teacher, "7Б")

    # Signing out ends the sign-in: the cookie is gone.
    new_teacher.click("#sign-out")
    new_teacher.wait_for_url(re.compile(r"/signin\?lang=en$"))
    assert auth_cookie(new_teacher) is None


def test_parent_sees_the_meeting_the_teacher_scheduled(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher = pages.open("/signin")
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Назначить собрание").click()
    form = card.locator(".meeting-form")
    when = (datetime.now() + timedelta(days=2)).replace(hour=18, minute=30, second=0)
    form.locator("[name=when]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    assert form.locator("[name=title]").input_value() == "Родительское собрание — 7Б"
    form.get_by_role("button", name="Назначить").click()
    teacher.locator(".toast", has_text="Родительское собрание 7Б назначено").wait_for()
    # Coming: in the timetable, once (the sessions list leaves it to the timetable).
    row = teacher.locator("#timetable .timetable-row[data-state=scheduled]")
    assert row.locator(".session-title").inner_text() == "Родительское собрание — 7Б"
    assert teacher.locator(".session-row[data-state=scheduled]").count() == 0
    row.get_by_role("button", name="Начать").wait_for()

    irina = demo.account("parent")
    parent = pages.open("/signin")
    sign_in(parent, irina)
    assert text(parent, "#user-badge") == "Родитель"
    assert text(parent, "#classes-heading") == "Класс ребёнка"
    card = class_card(parent, "7Б")
    assert "Ваш ребёнок: Аня Петрова" in card.locator(".class-sub").inner_text()
    meeting = parent.locator("#timetable .timetable-row[data-state=scheduled]")
    meeting.wait_for()
    assert meeting.locator(".badge").inner_text() == "Родительское собрание"
    assert meeting.locator(".waiting").inner_text() == "Ждём учителя"
    assert meeting.get_by_role("button").count() == 0


def test_school_and_invite_pages_fit_a_phone(pages: Pages, demo: Demo, artifacts: Path) -> None:
    teacher = pages.open("/signin", viewport=PHONE, clipboard=True)
    fits_width(teacher, PHONE["width"])
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Скопировать ссылку-приглашение для учеников").click()
    link = card.locator(".invite-row.highlight input").input_value()
    card.locator("details.members summary").click()
    for selector in ("#sign-out", "#lang-switch", ".class-card .primary"):
        box = teacher.locator(selector).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    fits_width(teacher, PHONE["width"])
    without_toasts(teacher).screenshot(path=artifacts / "school-phone.png", full_page=True)

    invited = pages.open(link, viewport=PHONE)
    invited.locator("#invite-lead").wait_for()
    fits_width(invited, PHONE["width"])
    invited.screenshot(path=artifacts / "invite-phone.png", full_page=True)


# ---- consultations, staff meetings, school settings, passwords, invites for the signed-in ----


def make_teacher(admin: Any, name: str, login: str, password: str) -> Account:
    """A verified teacher made by the signed-in admin's page."""
    teacher = api_call(
        admin, "POST", "/api/users", {"name": name, "login": login, "password": password}
    )
    api_call(admin, "POST", f"/api/users/{teacher['id']}/verify")
    return Account("teacher", login, password, name)


def test_teacher_consults_a_pupil_who_sees_and_joins_it(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    olga, vanya = demo.account("teacher"), demo.accounts["vanya"]
    teacher = pages.open("/signin")
    sign_in(teacher, olga)
    card = class_card(teacher, "7Б")
    card.locator("details.members summary").click()
    members = card.locator(".people li")
    # A consultation button beside each pupil, none beside the teacher herself.
    assert members.filter(has_text=olga.name).locator(".consult").count() == 0
    pupil_row = members.filter(has_text=vanya.name)
    consult = pupil_row.get_by_role("button", name=f"Начать консультацию — {vanya.name}")
    assert consult.inner_text() == "Консультация"
    pupils = teacher.evaluate(
        "() => school.state.classes.find((c) => c.name === '7Б').pupils.length"
    )
    assert card.locator(".people").first.locator(".consult").count() == pupils
    # The pupils' parents come after them, each with the child's name and a button too.
    irina = demo.account("parent")
    parent_row = card.locator(".people li").filter(has_text=irina.name)
    assert parent_row.locator(".person-note").inner_text() == "родитель: Аня Петрова"
    parent_row.get_by_role("button", name=f"Начать консультацию — {irina.name}").wait_for()
    assert text(teacher, "#staff-button") == "Педсовет"
    teacher.screenshot(path=artifacts / "school-teacher-consult.png", full_page=True)

    consult.click()
    teacher.wait_for_url(LESSON_URL)
    teacher.locator("#join-button").wait_for()

    # The pupil finds it among the sessions, live, with a Join button into the room.
    title = f"{olga.name} · {vanya.name}"
    pupil = pages.open("/signin")
    sign_in(pupil, vanya)
    row = session_row(pupil, title, "live")
    assert row.locator(".badge").inner_text() == "Консультация"
    assert row.locator(".state").inner_text() == "Идёт"
    assert row.get_by_role("button").all_inner_texts() == ["Войти"]
    row.get_by_role("button", name="Войти").click()
    pupil.wait_for_url(LESSON_URL)
    pupil.locator("#join-button").wait_for()

    # Nobody else of the class is invited to a one-to-one.
    anya = pages.open("/signin")
    sign_in(anya, demo.accounts["anya"])
    anya.locator("#sessions-section").wait_for()
    assert anya.locator(".session-row[data-kind=consultation]").count() == 0

    # Back on /school, the teacher ends it (asked twice).
    teacher.goto(pages.url("/school"))
    live = session_row(teacher, title, "live")
    live.get_by_role("button", name="Завершить").click()
    live.get_by_role("button", name="Завершить для всех?").click()
    session_row(teacher, title, "ended")


def test_staff_meeting_reaches_the_other_teachers_and_the_admin(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin?lang=en", locale="en-US")
    sign_in(admin, demo.account("admin"))
    marina = make_teacher(admin, "Marina Volkova", "marina", "marina-secret-1")

    olga = pages.open("/signin?lang=en", locale="en-US")
    sign_in(olga, demo.account("teacher"))
    olga.get_by_role("button", name="Staff meeting").click()
    form = olga.locator("#staff-form")
    assert form.locator("[name=title]").input_value() == "Staff meeting"
    assert form.locator("[name=when]").is_hidden()
    assert olga.locator("#staff-submit").inner_text() == "Start now"
    form.locator("[name=title]").fill("Staff meeting: term marks")
    olga.locator("#staff-submit").click()
    olga.wait_for_url(LESSON_URL)
    olga.locator("#join-button").wait_for()
    assert olga.locator("#join-heading").inner_text() == "Staff meeting “Staff meeting: term marks”"

    # Another teacher, who teaches no class, is invited and goes in.
    other = pages.open("/signin?lang=en", locale="en-US")
    sign_in(other, marina)
    row = session_row(other, "Staff meeting: term marks", "live")
    assert row.locator(".badge").inner_text() == "Staff meeting"
    assert row.get_by_role("button").all_inner_texts() == ["Join"]

    # She schedules the next one herself: a date field, and Schedule instead of Start now.
    other.get_by_role("button", name="Staff meeting").click()
    other.locator("#staff-form").get_by_label("At a set time").check()
    assert other.locator("#staff-submit").inner_text() == "Schedule"
    when = (datetime.now() + timedelta(days=3)).replace(hour=15, minute=0, second=0)
    other.locator("#staff-form [name=when]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    other.locator("#staff-form [name=title]").fill("Planning the new term")
    other.locator("#staff-submit").click()
    other.locator(".toast", has_text="“Planning the new term” is scheduled for").wait_for()
    assert other.locator("#staff-form").is_hidden()
    # Coming: in the timetable (the sessions list leaves it there), where its organiser
    # may also move or cancel it.
    planned = timetable_row(other, "Planning the new term")
    assert planned.get_by_role("button").all_inner_texts() == ["Start", "Change", "Cancel"]

    row.get_by_role("button", name="Join").click()
    other.wait_for_url(LESSON_URL)
    other.locator("#join-button").wait_for()

    # The admin sees both and hosts them; Olga waits for Marina's.
    admin.reload()
    live = session_row(admin, "Staff meeting: term marks", "live")
    assert live.get_by_role("button").all_inner_texts() == ["Join", "End", "Lesson record"]
    assert timetable_row(admin, "Planning the new term").get_by_role(
        "button"
    ).all_inner_texts() == ["Start", "Change", "Cancel"]
    olga.goto(pages.url("/school?lang=en"))
    waiting = timetable_row(olga, "Planning the new term")
    assert waiting.locator(".waiting").inner_text() == "Waiting for the organiser"
    assert waiting.get_by_role("button").count() == 0
    live.get_by_role("button", name="End", exact=True).click()
    live.get_by_role("button", name="End for everyone?").click()
    session_row(admin, "Staff meeting: term marks", "ended")


def timetable_row(page: Any, title: str) -> Any:
    """A scheduled session's row in the timetable, once there."""
    row = page.locator("#timetable .timetable-row[data-state=scheduled]").filter(
        has=page.locator(".session-title", has_text=title)
    )
    row.wait_for()
    return row


def test_admin_renames_the_school_and_lets_parents_watch_recordings(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    settings = admin.locator("#school-form")
    assert settings.locator("h3").inner_text() == "Школа"
    name = settings.locator("[name=name]")
    assert name.input_value() == "Школа №1"
    switch = admin.get_by_role(
        "switch", name="Родители могут смотреть записи уроков класса своего ребёнка"
    )
    assert not switch.is_checked()

    switch.click()
    admin.locator(
        ".toast", has_text="Теперь родители могут смотреть записи уроков класса своего ребёнка."
    ).wait_for()
    admin.locator("#parents-recordings:enabled").wait_for()
    assert switch.is_checked()
    name.fill("")
    settings.get_by_role("button", name="Переименовать").click()
    name_error = settings.locator("[data-error-for=name]")
    name_error.wait_for()
    assert name_error.inner_text() == "Заполните это поле."
    name.fill("Гимназия №1")
    settings.get_by_role("button", name="Переименовать").click()
    admin.locator(".toast", has_text="Школа теперь называется «Гимназия №1».").wait_for()
    assert name_error.is_hidden()
    assert text(admin, "#school-name") == "Гимназия №1"
    assert admin.title() == "Гимназия №1 — Класс"
    without_toasts(admin)
    settings.screenshot(path=artifacts / "school-admin-settings.png")

    # Both persist: a reload reads them back from the server.
    admin.reload()
    admin.locator("#school-name", has_text="Гимназия №1").wait_for()
    assert name.input_value() == "Гимназия №1"
    assert switch.is_checked()
    assert api_call(admin, "GET", "/api/school")["parents_see_recordings"] is True
    admin.screenshot(path=artifacts / "school-admin-full.png", full_page=True)

    # And back, for the other tests' sake.
    switch.click()
    admin.locator(".toast", has_text="Родители больше не могут смотреть записи уроков.").wait_for()
    name.fill("Школа №1")
    settings.get_by_role("button", name="Переименовать").click()
    admin.locator("#school-name", has_text="Школа №1").wait_for()
    admin.reload()
    admin.locator("#school-name", has_text="Школа №1").wait_for()
    assert not switch.is_checked()


def test_password_change_then_sign_in_with_the_new_one(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin?lang=en", locale="en-US")
    sign_in(admin, demo.account("admin"))
    nina = make_teacher(admin, "Nina Orlova", "nina", "nina-secret-1")

    page = pages.open("/signin?lang=en", locale="en-US")
    sign_in(page, nina)
    page.locator("#user-menu-button").click()
    menu = page.locator("#user-menu")
    assert text(page, "#user-menu-login") == "Login: nina"
    menu.get_by_role("button", name="Change password").click()
    dialog = page.get_by_role("dialog", name="Change password")
    dialog.wait_for()
    assert menu.is_hidden()

    # Checked here first: too short, and two different new passwords.
    dialog.get_by_label("Current password").fill("nina-secret-1")
    dialog.get_by_label("New password", exact=True).fill("short")
    dialog.get_by_label("New password again").fill("short!")
    dialog.get_by_role("button", name="Change password").click()
    new_error = dialog.locator("[data-error-for=new]")
    assert new_error.inner_text() == "The password must be at least 8 characters."
    dialog.get_by_label("New password", exact=True).fill("nina-new-secret")
    dialog.get_by_label("New password again").fill("nina-new-secret!")
    dialog.get_by_role("button", name="Change password").click()
    repeat_error = dialog.locator("[data-error-for=repeat]")
    assert repeat_error.inner_text() == "The two new passwords differ. Type the same one twice."
    assert new_error.is_hidden()

    # The server's answer: a wrong current password (a 401 that must not sign her out).
    dialog.get_by_label("Current password").fill("not-my-password")
    dialog.get_by_label("New password again").fill("nina-new-secret")
    dialog.get_by_role("button", name="Change password").click()
    old_error = dialog.locator("[data-error-for=old]")
    old_error.wait_for()
    assert old_error.inner_text() == "This is not your current password."
    assert dialog.get_by_label("Current password").get_attribute("aria-invalid") == "true"
    assert "/school" in page.url
    page.screenshot(path=artifacts / "school-password-dialog.png")

    dialog.get_by_label("Current password").fill("nina-secret-1")
    dialog.get_by_role("button", name="Change password").click()
    page.locator(
        ".toast", has_text="Your password is changed. Use the new one next time you sign in."
    ).wait_for()
    assert dialog.is_hidden()

    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/signin\?lang=en$"))
    page.fill("#signin-login", "nina")
    page.fill("#signin-password", "nina-secret-1")
    page.click("#signin-button")
    page.locator("#signin-error", has_text="Wrong login or password").wait_for()
    sign_in(page, Account("teacher", "nina", "nina-new-secret", "Nina Orlova"))


def test_signed_in_parent_adds_a_second_child_with_an_invite(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    teacher = pages.open("/signin", clipboard=True)
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.get_by_role("button", name="Скопировать ссылку-приглашение для родителей").click()
    link = card.locator(".invite-row.highlight input").input_value()
    assert INVITE_URL.match(link), link

    # Not signed in yet: "Already have an account? Sign in" comes back to the link.
    irina = demo.account("parent")
    parent = pages.open(link)
    parent.locator("#invite-form").wait_for()
    parent.get_by_role("link", name="Уже есть аккаунт? Войти").click()
    parent.wait_for_url(re.compile(r"/signin\?next="))
    parent.fill("#signin-login", irina.login)
    parent.fill("#signin-password", irina.password)
    parent.click("#signin-button")
    parent.wait_for_url(link)

    accept = parent.locator("#accept-box")
    accept.wait_for()
    assert text(parent, "#accept-who") == f"Вы вошли как {irina.name}."
    assert parent.locator("#invite-form").is_hidden()
    options = parent.locator("#invite-child option")
    assert options.all_inner_texts()[:2] == ["Выберите…", "Аня — уже в вашем аккаунте"]
    assert options.nth(1).is_disabled()
    submit = parent.locator("#accept-submit")
    assert submit.inner_text() == "Добавить этот класс в мой аккаунт"
    parent.screenshot(path=artifacts / "join-signed-in.png", full_page=True)

    submit.click()
    child_error = parent.locator("#accept-form [data-error-for=child_id]")
    child_error.wait_for()
    assert child_error.inner_text() == "Выберите своего ребёнка."
    parent.select_option("#invite-child", label="Ваня")
    submit.click()
    parent.wait_for_url(re.compile(r"/school$"))
    parent.locator(".toast", has_text="Ваня (7Б) теперь в вашем аккаунте.").wait_for()
    child_line = class_card(parent, "7Б").locator(".class-sub")
    assert "Ваш ребёнок: Аня Петрова, Ваня Смирнов" in child_line.inner_text()

    # The same link again: both children are hers now.
    parent.goto(link)
    accept.wait_for()
    assert options.all_inner_texts()[1:3] == [
        "Аня — уже в вашем аккаунте",
        "Ваня — уже в вашем аккаунте",
    ]
    # "Not you?" signs out and offers the new-account form instead.
    parent.get_by_role("button", name="Это не вы? Выйти и создать новый аккаунт").click()
    parent.locator("#invite-form").wait_for()
    assert accept.is_hidden()
    assert auth_cookie(parent) is None


def test_new_controls_fit_a_phone(pages: Pages, demo: Demo, artifacts: Path) -> None:
    teacher = pages.open("/signin", viewport=PHONE)
    sign_in(teacher, demo.account("teacher"))
    card = class_card(teacher, "7Б")
    card.locator("details.members summary").click()
    teacher.get_by_role("button", name="Педсовет").click()
    teacher.locator("#staff-form").get_by_label("В назначенное время").check()
    teacher.get_by_role("button", name="Мероприятие").click()
    teacher.locator("#user-menu-button").click()
    for selector in (
        "#user-menu",
        "#staff-submit",
        "#event-submit",
        "#event-form .performer-list",
        ".class-card .consult",
        "#staff-form [name=when]",
    ):
        box = teacher.locator(selector).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    fits_width(teacher, PHONE["width"])
    teacher.screenshot(path=artifacts / "school-phone-new.png", full_page=True)

    teacher.get_by_role("button", name="Сменить пароль").click()
    dialog = teacher.get_by_role("dialog", name="Сменить пароль")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    teacher.screenshot(path=artifacts / "school-phone-password.png")

    parent = pages.open("/signin", viewport=PHONE)
    sign_in(parent, demo.account("parent"))
    link = card.get_by_role("button", name="Скопировать ссылку-приглашение для родителей")
    dialog.get_by_role("button", name="Отмена").click()
    link.click()
    url = card.locator(".invite-row.highlight input").input_value()
    parent.goto(url)
    parent.locator("#accept-box").wait_for()
    fits_width(parent, PHONE["width"])
    parent.screenshot(path=artifacts / "join-signed-in-phone.png", full_page=True)
