"""A school's wall clock: the time zone its timetable is given and shown in, and the
conversions between a local time a teacher types ("2026-12-07T09:00") and a unix time.

One function (`school_zone`) decides a school's zone, so that the school's own setting (made
for attendance reports, another part of issue 18) is joined here alone.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import TIME_MALFORMED, ClassroomError
from .models import DEFAULT_TIME_ZONE, School

DEFAULT_ZONE = DEFAULT_TIME_ZONE
"""Where most of our schools are; a school without a zone of its own keeps Moscow time."""

_LOCAL = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$")
"""A `datetime-local` input's value: a date and a wall-clock time, no offset (the school's)."""


def school_zone(school: School) -> ZoneInfo:
    """The zone the school's times are in: its own setting once it has one, else Moscow."""
    name = getattr(school, "time_zone", None) or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def parse_local(text: str, zone: ZoneInfo, field: str = "starts_at") -> float:
    """The unix time of the wall-clock `text` in `zone`; `time_malformed` naming `field` for
    anything that is not such a time (an offset included: the school's zone is implied).
    A time a clock change skips or repeats is read as the earlier one (fold 0)."""
    if not isinstance(text, str) or not _LOCAL.match(text):
        raise ClassroomError(
            TIME_MALFORMED, "a time is written YYYY-MM-DDTHH:MM, in the school's time", field
        )
    try:
        wall = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ClassroomError(TIME_MALFORMED, f"no such date or time: {text}", field) from exc
    return wall.replace(tzinfo=zone).timestamp()


def local_text(ts: float, zone: ZoneInfo) -> str:
    """`ts` as the school's clock shows it, with its offset: "2026-12-07T09:00:00+03:00"."""
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds")
