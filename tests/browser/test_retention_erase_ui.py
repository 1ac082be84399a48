"""/school's two data-protection pieces in Chromium, as the demo school's admin: how many days
recordings are kept (checked, saved, read back after a reload), and erasing a pupil's data
behind a dialog that wants their name typed out (in Russian on a desktop, in English on a
390x844 phone), after which the pupil is gone from the list and cannot sign in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .school_site import Demo, Pages, api_call, fits_width, sign_in, without_toasts

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_admin_sets_how_long_recordings_are_kept(pages: Pages, demo: Demo, artifacts: Path) -> None:
    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    form = admin.locator("#retention-form")
    assert form.locator("h3").inner_text() == "Записи"
    days = form.get_by_label("Хранить записи, дней")
    assert days.input_value() == "0"
    days.fill("4000")
    form.get_by_role("button", name="Сохранить").click()
    error = form.locator("[data-error-for=days]")
    error.wait_for()
    assert error.inner_text() == "Целое число от 0 до 3650."
    assert api_call(admin, "GET", "/api/school")["recordings_kept_days"] is None

    days.fill("30")
    form.get_by_role("button", name="Сохранить").click()
    admin.locator(".toast", has_text="Теперь записи хранятся 30 дн.").wait_for()
    assert error.is_hidden()
    without_toasts(admin)
    form.screenshot(path=artifacts / "school-retention-form.png")
    admin.reload()
    admin.locator("#school-name").wait_for()
    assert days.input_value() == "30"
    assert api_call(admin, "GET", "/api/school")["recordings_kept_days"] == 30

    days.fill("0")
    form.get_by_role("button", name="Сохранить").click()
    admin.locator(
        ".toast", has_text="Теперь записи хранятся, пока их не удалят вручную."
    ).wait_for()
    assert api_call(admin, "GET", "/api/school")["recordings_kept_days"] is None

    # In English on a phone.
    phone = pages.open("/signin", locale="en-US", viewport=PHONE)
    sign_in(phone, demo.account("admin"))
    form = phone.locator("#retention-form")
    form.scroll_into_view_if_needed()
    assert form.get_by_label("Keep recordings for, days").input_value() == "0"
    fits_width(phone, PHONE["width"])
    phone.screenshot(path=artifacts / "school-retention-phone-en.png")


def _pupils(page: object) -> object:
    """The people list's folded pupils, unfolded."""
    group = page.locator("#people-list details").filter(  # type: ignore[attr-defined]
        has=page.locator("summary", has_text=re.compile("^(Ученики|Pupils)"))  # type: ignore[attr-defined]
    )
    group.locator("summary").click()
    return group


def test_admin_erases_a_pupil_after_typing_their_name(
    pages: Pages, demo: Demo, artifacts: Path
) -> None:
    pupil, parent = demo.account("pupil"), demo.account("parent")
    admin = pages.open("/signin")
    sign_in(admin, demo.account("admin"))
    users = api_call(admin, "GET", "/api/users")["users"]
    by_login = {u["login"]: u for u in users}
    me = by_login[demo.account("admin").login]
    assert admin.locator(f"li[data-user-id='{me['id']}'] .erase-button").count() == 0

    # In English on a phone: the dialog fits, and Cancel leaves the parent as they were.
    phone = pages.open("/signin", locale="en-US", viewport=PHONE)
    sign_in(phone, demo.account("admin"))
    parents = phone.locator("#people-list details").filter(
        has=phone.locator("summary", has_text=re.compile("^Parents"))
    )
    parents.locator("summary").click()
    row = phone.locator(f"li[data-user-id='{by_login[parent.login]['id']}']")
    row.get_by_role("button", name="Erase data").click()
    dialog = phone.locator("#erase-dialog")
    dialog.wait_for()
    assert dialog.locator("h2").inner_text() == f"Erase the data of {parent.name}?"
    assert dialog.get_by_label(f"To confirm, type their name: {parent.name}").is_visible()
    assert dialog.get_by_role("button", name="Erase for good").is_disabled()
    dialog.get_by_label(re.compile("^To confirm")).fill(parent.name)
    assert dialog.get_by_role("button", name="Erase for good").is_enabled()
    fits_width(phone, PHONE["width"])
    phone.screenshot(path=artifacts / "school-erase-dialog-phone-en.png")
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    assert api_call(phone, "GET", "/api/users")["users"] == users

    # In Russian on a desktop: the pupil, confirmed by their name typed out.
    group = _pupils(admin)
    row = group.locator(f"li[data-user-id='{by_login[pupil.login]['id']}']")  # type: ignore[attr-defined]
    row.get_by_role("button", name="Удалить данные").click()
    dialog = admin.locator("#erase-dialog")
    dialog.wait_for()
    assert dialog.locator("h2").inner_text() == f"Удалить данные: {pupil.name}?"
    submit = dialog.get_by_role("button", name="Удалить навсегда")
    confirm = dialog.get_by_label(f"Для подтверждения введите имя: {pupil.name}")
    confirm.fill(pupil.name.split()[0])
    assert submit.is_disabled()  # a first name alone is not the name
    confirm.fill(f"  {pupil.name.upper()} ")
    assert submit.is_enabled()
    admin.screenshot(path=artifacts / "school-erase-dialog-desktop-ru.png")
    submit.click()
    admin.locator(".toast", has_text=f"Данные удалены: {pupil.name}.").wait_for()
    dialog.wait_for(state="hidden")
    row.wait_for(state="detached")
    after = api_call(admin, "GET", "/api/users")["users"]
    assert [u["login"] for u in after] == [u["login"] for u in users if u["login"] != pupil.login]
    assert [u["children"] for u in after if u["login"] == parent.login] == [[]]
    without_toasts(admin)
    admin.locator(".people-card").screenshot(path=artifacts / "school-people-after-erase.png")

    # The pupil's login no longer signs in.
    gone = pages.open("/signin")
    gone.fill("#signin-login", pupil.login)
    gone.fill("#signin-password", pupil.password)
    gone.click("#signin-button")
    gone.locator("#signin-form .form-error:visible, .error:visible").first.wait_for()
    assert "/school" not in gone.url
