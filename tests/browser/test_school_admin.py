"""Running a school in real Chromium: an admin deactivates a pupil, who can no longer sign in;
imports a class list (a bad row shown in the preview, fixed, imported) whose new people set
their passwords by link; takes a pupil out of a class; and resets a password that the person
then signs in with. Every new screen is photographed on a desktop and on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .school_site import Account, Demo, Pages, class_card, fits_width, sign_in, text, without_toasts

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"^http://127\.0\.0\.1:\d+/reset/[A-Za-z0-9_-]{32}$")

CLASS_LIST = (
    "ФИО;логин;роль;родитель для\r\n"
    "Котов Миша;;;\r\n"
    "Котова Лена;olga;;\r\n"  # the demo teacher's login: taken
    "Котова Ирина;;родитель;Котов Миша\r\n"
)


def person_row(page: Any, name: str) -> Any:
    """A person's line in the admin's people list (pupils and parents unfolded first)."""
    folded = page.locator("#people-list details:not([open]) > summary")
    while folded.count():
        folded.first.click()
    row = page.locator(".people-table li", has=page.locator(".person-name", has_text=name))
    row.wait_for()
    return row


def member_row(card: Any, name: str) -> Any:
    members = card.locator("details.members")
    if members.get_attribute("open") is None:
        members.locator("summary").click()
    row = card.locator(".people li", has=card.page.locator(".person-name", has_text=name))
    row.wait_for()
    return row


def test_a_deactivated_pupil_is_signed_out_and_cannot_sign_in_until_reactivated(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    vanya = demo.accounts["vanya"]
    pupil = pages.open("/signin")
    sign_in(pupil, vanya)

    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    row = person_row(admin, vanya.name)
    deactivate = row.get_by_role("button", name=f"Отключить аккаунт: {vanya.name} не сможет войти")
    deactivate.click()
    assert deactivate.inner_text() == "Точно отключить?"  # a second click is needed
    deactivate.click()
    admin.locator(
        ".toast", has_text=f"Аккаунт отключён: {vanya.name} больше не может войти."
    ).wait_for()
    row = person_row(admin, vanya.name)
    row.locator(".badge", has_text="отключён").wait_for()
    assert row.get_by_role("button", name="Включить").is_visible()
    # The class card no longer offers them as someone to meet.
    card = class_card(admin, "7Б")
    card.locator("details.members > summary").click()
    assert card.locator(".people .person-name", has_text=vanya.name).count() == 0
    without_toasts(admin)
    row.scroll_into_view_if_needed()
    admin.screenshot(path=artifacts / "school-people-deactivated.png", full_page=True)

    # Signed in before: the next request sends them to sign in, which says why it fails.
    pupil.reload()
    pupil.wait_for_url(re.compile(r"/signin(\?|$)"))
    pupil.fill("#signin-login", vanya.login)
    pupil.fill("#signin-password", vanya.password)
    pupil.click("#signin-button")
    error = pupil.locator("#signin-error")
    error.wait_for()
    assert error.inner_text() == "Этот аккаунт отключён. Обратитесь к администратору школы."
    pupil.screenshot(path=artifacts / "signin-deactivated.png")

    phone = pages.open("/signin", viewport=PHONE)
    sign_in(phone, demo.account("admin"))
    person_row(phone, vanya.name).scroll_into_view_if_needed()
    fits_width(phone, PHONE["width"])
    phone.screenshot(path=artifacts / "school-people-phone.png", full_page=True)

    row.get_by_role("button", name="Включить").click()
    admin.locator(".toast", has_text=f"{vanya.name} снова может войти.").wait_for()
    pupil.click("#signin-button")
    pupil.wait_for_url(re.compile(r"/school(\?|$)"))
    pupil.locator("#user-name", has_text=vanya.name).wait_for()


def test_an_imported_class_list_is_previewed_fixed_imported_and_its_links_work(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    admin = pages.open("/signin?lang=en", locale="en-US", clipboard=True)
    sign_in(admin, demo.account("admin"))
    card = class_card(admin, "7Б")
    card.get_by_role("button", name="Import from CSV").click()
    dialog = admin.locator("#import-dialog")
    dialog.get_by_role("heading", name="Import pupils and parents into 7Б").wait_for()
    assert dialog.get_by_role("button", name="Import").is_disabled()

    # Russian Excel's CSV: a BOM, ';' and CRLF. Choosing the file checks it at once.
    dialog.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "7b.csv",
                "mimeType": "text/csv",
                "buffer": ("\ufeff" + CLASS_LIST).encode(),
            }
        ]
    )
    summary = dialog.locator("#import-summary")
    summary.filter(has_text="Problems: 1").wait_for()
    assert summary.inner_text() == (
        "Problems: 1 (rows in the list: 3). Fix them in the list above and check again:"
        " nothing is imported until every row is right."
    )
    rows = dialog.locator("#import-rows tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "kotov.misha\n(from the name)",
        "olga",
        "kotova.irina\n(from the name)",
    ]
    bad = dialog.locator("#import-rows tr.row-bad")
    assert bad.count() == 1 and bad.get_attribute("data-row") == "3"
    assert bad.locator("td.cell-bad").inner_text() == "olga"
    assert bad.locator(".problems").inner_text() == "This login is taken."
    assert dialog.get_by_role("button", name="Import").is_disabled()
    dialog.screenshot(path=artifacts / "import-preview-bad.png")

    # Fixed in place, checked again, imported.
    textarea = dialog.get_by_label("The list: choose a file above or paste it here")
    textarea.fill(textarea.input_value().replace(";olga;", ";lena.k;"))
    dialog.get_by_role("button", name="Check").click()
    summary.filter(has_text="All rows are right (3). Import them?").wait_for()
    assert dialog.locator("#import-rows tr.row-bad").count() == 0
    dialog.get_by_role("button", name="Import").click()
    done = dialog.locator("#import-done-text")
    done.wait_for()
    assert done.inner_text() == (
        "Accounts created in 7Б: 3. Give each person their link: they choose a password with it."
    )
    accounts = dialog.locator(".import-account")
    assert accounts.count() == 3
    assert [accounts.nth(i).locator(".import-who").inner_text() for i in range(3)] == [
        "Котов Миша · Pupil · login kotov.misha",
        "Котова Лена · Pupil · login lena.k",
        "Котова Ирина · Parent · login kotova.irina",
    ]
    links = [accounts.nth(i).locator("input").input_value() for i in range(3)]
    assert all(LINK.match(link) for link in links), links
    dialog.get_by_role("button", name="Copy all: names, logins and links").click()
    copied = admin.evaluate("() => navigator.clipboard.readText()")
    assert copied.splitlines()[0] == f"Котов Миша\tkotov.misha\t{links[0]}"
    without_toasts(admin)
    dialog.screenshot(path=artifacts / "import-results.png")
    dialog.get_by_role("button", name="Done").click()
    member_row(class_card(admin, "7Б"), "Котова Лена")

    # The new pupil opens their link, chooses a password and is in.
    misha = pages.open(links[0] + "?lang=en", locale="en-US")
    heading = misha.locator("#reset-heading")
    heading.wait_for()
    assert heading.inner_text() == "Welcome, Котов Миша! Choose your password"
    assert text(misha, "#reset-lead") == (
        "Your login is kotov.misha. You sign in with it and this password."
    )
    misha.screenshot(path=artifacts / "reset-first.png")
    misha.fill("#reset-password", "misha-secret-1")
    misha.fill("#reset-repeat", "misha-secret-1")
    misha.click("#reset-submit")
    misha.wait_for_url(re.compile(r"/school\?lang=en$"))
    misha.locator("#user-name", has_text="Котов Миша").wait_for()
    class_card(misha, "7Б")

    # A pupil leaves the class (not the school): the teacher's button on the class card.
    card = class_card(admin, "7Б")
    lena = member_row(card, "Котова Лена")
    remove = lena.get_by_role("button", name="Remove Котова Лена from 7Б")
    remove.click()
    remove.click()
    admin.locator(".toast", has_text="Котова Лена is no longer in 7Б.").wait_for()
    card = class_card(admin, "7Б")
    card.locator(".people .person-name", has_text="Котов Миша").wait_for()
    assert card.locator(".people .person-name", has_text="Котова Лена").count() == 0

    # The import on a phone: the dialog and its table fit the screen.
    phone = pages.open("/signin?lang=en", locale="en-US", viewport=PHONE)
    sign_in(phone, demo.account("admin"))
    class_card(phone, "7Б").get_by_role("button", name="Import from CSV").click()
    phone_dialog = phone.locator("#import-dialog")
    phone_dialog.get_by_label("The list: choose a file above or paste it here").fill(
        "name;login\nОрлов Дима;\nЖуков Петя;kotov.misha\n"
    )
    phone_dialog.get_by_role("button", name="Check").click()
    phone_dialog.locator("#import-summary", has_text="Problems: 1").wait_for()
    fits_width(phone, PHONE["width"])
    phone.screenshot(path=artifacts / "import-preview-phone.png")
    phone_reset = pages.open(links[1] + "?lang=ru", viewport=PHONE)
    phone_reset.locator("#reset-heading", has_text="Добро пожаловать, Котова Лена!").wait_for()
    fits_width(phone_reset, PHONE["width"])
    phone_reset.screenshot(path=artifacts / "reset-phone.png", full_page=True)


def test_a_reset_link_sets_a_new_password_once(pages: Pages, demo: Demo, artifacts: Path) -> None:
    anya = demo.accounts["anya"]
    admin = pages.open("/signin", clipboard=True)
    sign_in(admin, demo.account("admin"))
    row = person_row(admin, anya.name)
    row.get_by_role("button", name=f"Создать одноразовую ссылку для пароля: {anya.name}").click()
    admin.locator(
        ".toast", has_text=f"Ссылка для пароля ({anya.name}) создана и скопирована."
    ).wait_for()
    field = row.get_by_label(f"Ссылка для пароля: {anya.name}")
    link = field.input_value()
    assert LINK.match(link), link
    assert admin.evaluate("() => navigator.clipboard.readText()") == link
    assert (
        row.locator(".password-link .field-hint").inner_text().startswith("Действует один раз, до ")
    )
    without_toasts(admin)
    row.screenshot(path=artifacts / "school-password-link.png")

    page = pages.open(link)
    heading = page.locator("#reset-heading")
    heading.wait_for()
    assert heading.inner_text() == f"{anya.name}, придумайте новый пароль"
    page.fill("#reset-password", "anya-new-secret")
    page.fill("#reset-repeat", "anya-new-secreT")
    page.click("#reset-submit")
    mismatch = page.locator("[data-error-for=repeat]")
    mismatch.wait_for()
    assert mismatch.inner_text() == "Пароли не совпадают. Введите один и тот же пароль дважды."
    page.screenshot(path=artifacts / "reset-mismatch.png")
    page.fill("#reset-repeat", "anya-new-secret")
    page.click("#reset-submit")
    page.wait_for_url(re.compile(r"/school$"))
    page.locator("#user-name", has_text=anya.name).wait_for()
    page.locator(".toast", has_text="Пароль сохранён.").wait_for()

    # The old password is gone, the new one works, and the link is used up.
    other = pages.open("/signin")
    other.fill("#signin-login", anya.login)
    other.fill("#signin-password", anya.password)
    other.click("#signin-button")
    other.locator("#signin-error").wait_for()
    sign_in(other, Account("pupil", anya.login, "anya-new-secret", anya.name))
    again = pages.open(link)
    again.locator("#dead-title", has_text="Эта ссылка не работает").wait_for()
    assert text(again, "#dead-text").startswith("По ней уже задали пароль")
    again.screenshot(path=artifacts / "reset-dead.png")
