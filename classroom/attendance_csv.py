"""The roll as a CSV file that Excel opens as it is, Cyrillic names intact.

Excel reads a CSV as UTF-8 only when it starts with a byte-order mark, and splits columns by
the list separator of the user's regional settings: `;` in Russian ones (where `,` is the
decimal comma), `,` in English ones. So the file follows the language of whoever downloads
it: Russian gives `;` and decimal commas, English `,` and decimal points. Rows end in CRLF
(RFC 4180); times are the school's wall-clock time, without an offset, which Excel reads as
a date and time.
"""

from __future__ import annotations

import csv
import io

from .attendance import RollEntry
from .time_zones import local

BOM = "\ufeff"

_HEADERS = {
    "ru": ["Имя", "Из класса", "Присутствие", "Пришёл", "Ушёл", "Минут", "Заходов"],
    "en": ["Name", "Of the class", "Attendance", "Joined", "Left", "Minutes", "Stays"],
}
_WORDS = {
    "ru": {"yes": "да", "no": "нет", "present": "был", "absent": "не было"},
    "en": {"yes": "yes", "no": "no", "present": "present", "absent": "absent"},
}
LANGUAGES = tuple(_HEADERS)


def attendance_csv(rows: list[RollEntry], zone: str, language: str, now: float) -> bytes:
    """The file's bytes: BOM, a header row, one row per person (`language`: "ru" or "en")."""
    words = _WORDS[language]
    decimal = "," if language == "ru" else "."
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if language == "ru" else ",", lineterminator="\r\n")
    writer.writerow(_HEADERS[language])
    for row in rows:
        joined, left = row.joined_at, row.left_at()
        writer.writerow(
            [
                row.name,
                words["yes" if row.expected else "no"],
                words["present" if row.present else "absent"],
                "" if joined is None else _wall(joined, zone),
                "" if left is None else _wall(left, zone),
                f"{row.minutes(now):.1f}".replace(".", decimal) if row.present else "0",
                len(row.stays),
            ]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def _wall(ts: float, zone: str) -> str:
    return local(ts, zone).strftime("%Y-%m-%d %H:%M:%S")
