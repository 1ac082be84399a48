"""The whole class's roll: every expected person present or absent, in name order, then whoever
else came; and its CSV for Excel, byte for byte (BOM, separator by language, CRLF, local time)."""

from __future__ import annotations

import pytest

from classroom.attendance import roll
from classroom.attendance_csv import attendance_csv
from classroom.errors import ClassroomError
from classroom.models import Attendance, User
from classroom.roles import Role
from classroom.time_zones import checked_time_zone, local_iso

# 2026-12-07 06:00:00 UTC: 09:00 in Moscow, 11:00 in Yekaterinburg.
NINE = 1796623200.0

ANYA = User("p1", "s1", Role.PUPIL, "Аня Петрова")
BORIS = User("p2", "s1", Role.PUPIL, "Борис Ким")
VERA = User("p3", "s1", Role.PUPIL, "Вера Соколова")


def stays() -> list[Attendance]:
    return [
        Attendance("l1", "t1", "Ольга Ивановна", NINE - 60, NINE + 2700),
        Attendance("l1", "p2", "Борис", NINE + 30, NINE + 630),
        Attendance("l1", "p1", "Аня Петрова", NINE + 15, NINE + 1215),
        Attendance("l1", "p2", "Борис", NINE + 900, NINE + 2400),
    ]


def test_the_roll_lists_the_class_present_or_absent_then_the_others() -> None:
    rows = roll([VERA, BORIS, ANYA], stays())
    assert [(r.name, r.expected, r.present, len(r.stays)) for r in rows] == [
        ("Аня Петрова", True, True, 1),
        ("Борис Ким", True, True, 2),  # the account's name today, not the room's
        ("Вера Соколова", True, False, 0),
        ("Ольга Ивановна", False, True, 1),
    ]
    boris = rows[1]
    assert (boris.joined_at, boris.left_at(), boris.minutes(0.0)) == (NINE + 30, NINE + 2400, 35.0)
    assert (rows[2].joined_at, rows[2].left_at(), rows[2].minutes(0.0)) == (None, None, 0.0)


def test_someone_still_in_the_room_has_not_left_and_counts_until_now() -> None:
    (anya,) = roll([ANYA], [Attendance("l1", "p1", "Аня", NINE)])
    assert (anya.left_at(), anya.minutes(NINE + 90)) == (None, 1.5)


def test_the_russian_csv_is_semicolon_separated_utf8_with_bom_and_crlf() -> None:
    rows = roll([VERA, BORIS, ANYA], stays())
    assert (
        attendance_csv(rows, "Europe/Moscow", "ru", NINE + 9999)
        == (
            "\ufeffИмя;Из класса;Присутствие;Пришёл;Ушёл;Минут;Заходов\r\n"
            "Аня Петрова;да;был;2026-12-07 09:00:15;2026-12-07 09:20:15;20,0;1\r\n"
            "Борис Ким;да;был;2026-12-07 09:00:30;2026-12-07 09:40:00;35,0;2\r\n"
            "Вера Соколова;да;не было;;;0;0\r\n"
            "Ольга Ивановна;нет;был;2026-12-07 08:59:00;2026-12-07 09:45:00;46,0;1\r\n"
        ).encode()
    )


def test_the_english_csv_is_comma_separated_in_the_schools_time_zone() -> None:
    rows = roll([ANYA], [Attendance("l1", "p1", "Аня", NINE, NINE + 45), *stays()[:1]])
    assert attendance_csv(rows, "Asia/Yekaterinburg", "en", NINE) == (
        b"\xef\xbb\xbfName,Of the class,Attendance,Joined,Left,Minutes,Stays\r\n"
        + "Аня Петрова,yes,present,2026-12-07 11:00:00,2026-12-07 11:00:45,0.8,1\r\n".encode()
        + "Ольга Ивановна,no,present,2026-12-07 10:59:00,2026-12-07 11:45:00,46.0,1\r\n".encode()
    )


def test_a_name_with_the_separator_or_a_quote_is_quoted() -> None:
    odd = User("p9", "s1", Role.PUPIL, 'Иван "Ваня"; Петров')
    (row,) = roll([odd], [])
    assert attendance_csv([row], "UTC", "ru", NINE).split(b"\r\n")[1] == (
        '"Иван ""Ваня""; Петров";да;не было;;;0;0'.encode()
    )


def test_a_time_zone_is_an_iana_name() -> None:
    assert checked_time_zone(" Asia/Vladivostok ") == "Asia/Vladivostok"
    assert local_iso(NINE, "Europe/Moscow") == "2026-12-07T09:00:00+03:00"
    for bad in ("Mars/Olympus", "", "Europe/../etc/passwd", "MSK"):
        with pytest.raises(ClassroomError) as refused:
            checked_time_zone(bad)
        assert (refused.value.code, refused.value.field) == ("unknown_time_zone", "time_zone")
