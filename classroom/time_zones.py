"""A school's time zone: checked against the IANA database, and the local time its reports
(attendance, its CSV) show an instant in."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from . import errors
from .errors import ClassroomError


@functools.cache
def _known() -> frozenset[str]:
    # Read once: the zone files of a running server do not change under it.
    return frozenset(zoneinfo.available_timezones())


def checked_time_zone(value: str) -> str:
    """`value` if it names an IANA zone (Europe/Moscow, Asia/Yekaterinburg, UTC)."""
    zone = value.strip()
    if zone not in _known():
        raise ClassroomError(
            errors.UNKNOWN_TIME_ZONE,
            f"{value!r} is no time zone: use an IANA name such as Europe/Moscow",
            "time_zone",
        )
    return zone


def local(ts: float, zone: str) -> datetime:
    """The instant `ts` on the wall clocks of `zone`."""
    return datetime.fromtimestamp(ts, zoneinfo.ZoneInfo(zone))


def local_iso(ts: float, zone: str) -> str:
    """`2026-12-06T11:15:00+03:00`: the local time with its offset, for the API."""
    return local(ts, zone).isoformat(timespec="seconds")
