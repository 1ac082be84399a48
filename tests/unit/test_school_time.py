"""A school's wall clock: a typed local time read in the school's zone, what is not one
refused with `time_malformed`, and Moscow until the school has a zone of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from classroom.errors import TIME_MALFORMED, ClassroomError
from classroom.models import School
from classroom.school_time import DEFAULT_ZONE, local_text, parse_local, school_zone

MOSCOW = ZoneInfo("Europe/Moscow")


def test_a_school_without_a_zone_of_its_own_keeps_moscow_time() -> None:
    assert school_zone(School("s1", "Школа")).key == DEFAULT_ZONE == "Europe/Moscow"


def test_a_typed_time_is_read_on_the_schools_clock_and_shown_back_so() -> None:
    at = parse_local("2026-12-07T09:00", MOSCOW)
    assert at == datetime(2026, 12, 7, 6, 0, tzinfo=UTC).timestamp()
    assert local_text(at, MOSCOW) == "2026-12-07T09:00:00+03:00"
    berlin = ZoneInfo("Europe/Berlin")
    assert (
        parse_local("2026-07-01T09:00:30", berlin)
        == datetime(2026, 7, 1, 7, 0, 30, tzinfo=UTC).timestamp()
    )


def test_a_time_a_clock_change_skips_is_read_as_the_earlier_offset() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 2026-03-29 02:00 → 03:00
    assert (
        parse_local("2026-03-29T02:30", berlin)
        == datetime(2026, 3, 29, 1, 30, tzinfo=UTC).timestamp()
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2026-12-07",
        "2026-12-07 09:00",
        "2026-12-07T9:00",
        "2026-12-07T09:00+03:00",
        "2026-12-07T09:00Z",
        "2026-02-30T09:00",
        "2026-12-07T24:00",
        "２０２６-12-07T09:00",
    ],
)
def test_what_is_no_time_is_refused_with_its_own_code(text: str) -> None:
    with pytest.raises(ClassroomError) as refused:
        parse_local(text, MOSCOW)
    assert (refused.value.code, refused.value.field) == (TIME_MALFORMED, "starts_at")
