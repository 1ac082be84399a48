"""A class list as a school has it: CSV text of pupils and parents, read row by row.

Russian Excel writes `;`-separated CSV (the comma is the decimal point there), others `,`;
either comes with or without a UTF-8 byte order mark. The first line names the columns, in
English or Russian: name (required), login, role (pupil or parent, pupil when empty) and
parent-of (a parent's child: a login or a name, in the list or in the class already).

`read` checks what one row can say about itself and reports every problem with its row number
(the line of the file, the header being 1) and column; what needs the school's records (a
login taken, a child who is not there) is `administration.py`'s to check.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from . import errors
from .errors import ClassroomError
from .roles import Role

MAX_ROWS = 200
"""People in one list: a class and its parents, with room to spare."""
MAX_BYTES = 100_000
"""Of UTF-8: 200 rows of long names and logins fit in a third of it."""
MAX_NAME = 100
MAX_LOGIN = 64

COLUMNS = {
    "name": (
        "name",
        "full name",
        "fullname",
        "имя",
        "фио",
        "фамилия имя",
        "имя фамилия",
        "фамилия и имя",
        "имя и фамилия",
    ),
    "login": ("login", "username", "логин"),
    "role": ("role", "роль"),
    "parent_of": ("parent of", "child", "родитель для", "ребенок", "чей родитель"),
}
_COLUMN = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_ROLES = {
    "": Role.PUPIL,
    "pupil": Role.PUPIL,
    "student": Role.PUPIL,
    "ученик": Role.PUPIL,
    "ученица": Role.PUPIL,
    "parent": Role.PARENT,
    "родитель": Role.PARENT,
    "мама": Role.PARENT,
    "папа": Role.PARENT,
    "мать": Role.PARENT,
    "отец": Role.PARENT,
}
_NAME_MARKS = frozenset(" -'’.")
"""Besides letters, what a person's name may hold ("Анна-Мария", "O’Brien", "Иванов И. И.")."""


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row (or, with `field` None, with the row as a whole)."""

    row: int
    field: str | None
    code: str
    """Stable, for the page to say it in its language: required, too_long, bad_name,
    bad_login, bad_role, duplicate_login, child_needed, not_a_parent, too_many_cells,
    unknown_column, duplicate_column, no_name_column, no_rows; and from the school's
    records: login_taken, unknown_child, ambiguous_child, already_in_class, no_login."""
    message: str


@dataclass(frozen=True)
class Listed:
    """One person of the list, as written (normalised, not yet checked against the school)."""

    row: int
    name: str
    login: str | None
    """Lower-cased; None: to be made from the name."""
    role: Role
    parent_of: str | None
    """A parent's child: a login or a name."""


@dataclass(frozen=True)
class ClassList:
    people: list[Listed]
    """Every data row, those with problems too (the preview shows them all)."""
    problems: list[Problem]


def read(text: str, login_rule: str) -> ClassList:
    """The list in `text`; `login_rule` is the regular expression a login must match.

    Raises import_too_large past MAX_BYTES or MAX_ROWS: such a list is not previewed at all.
    """
    size = len(text.encode())
    if size > MAX_BYTES:
        raise ClassroomError(
            errors.IMPORT_TOO_LARGE,
            f"the list is {size} bytes; at most {MAX_BYTES} at once: split it",
            "csv",
        )
    text = text.removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ClassList([], [Problem(1, None, "no_rows", "the list is empty")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0]))
    header: list[str] | None = None
    header_row = 1
    rows: list[tuple[int, list[str]]] = []
    start = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if header is None:
                header, header_row = cells, start
            else:
                rows.append((start, cells))
        start = reader.line_num + 1
    assert header is not None  # a non-blank line exists
    if len(rows) > MAX_ROWS:
        raise ClassroomError(
            errors.IMPORT_TOO_LARGE,
            f"the list has {len(rows)} rows; at most {MAX_ROWS} at once: split it",
            "csv",
        )
    columns, problems = _columns(header, header_row)
    if "name" not in columns.values():
        return ClassList([], problems)
    if not rows:
        problems.append(
            Problem(header_row, None, "no_rows", "the list has no one under its header")
        )
    login = re.compile(login_rule)
    people: list[Listed] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        person, found = _person(number, cells, len(header), columns, login)
        if person.login is not None and not any(p.field == "login" for p in found):
            if person.login in seen:
                found.append(
                    Problem(
                        number,
                        "login",
                        "duplicate_login",
                        f"login {person.login!r} is also in row {seen[person.login]}",
                    )
                )
            else:
                seen[person.login] = number
        people.append(person)
        problems.extend(found)
    return ClassList(people, problems)


def _delimiter(first_line: str) -> str:
    """`;` when the header has more of them than commas (Russian Excel), else `,`."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _columns(header: list[str], row: int) -> tuple[dict[int, str], list[Problem]]:
    """Cell index → column, and what is wrong with the header."""
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(header):
        key = " ".join(
            cell.strip().lower().replace("ё", "е").replace("_", " ").replace("-", " ").split()
        )
        if not key:
            continue
        column = _COLUMN.get(key)
        if column is None:
            problems.append(
                Problem(
                    row,
                    None,
                    "unknown_column",
                    f"unknown column {cell.strip()!r}: use name, login, role and parent-of",
                )
            )
        elif column in columns.values():
            problems.append(Problem(row, column, "duplicate_column", f"two {column} columns"))
        else:
            columns[index] = column
    if "name" not in columns.values():
        problems.append(
            Problem(row, "name", "no_name_column", "the first line must name a name column")
        )
    return columns, problems


def _person(
    number: int,
    cells: list[str],
    width: int,
    columns: dict[int, str],
    login_rule: re.Pattern[str],
) -> tuple[Listed, list[Problem]]:
    values = {
        column: " ".join(cells[i].split()) if i < len(cells) else ""
        for i, column in columns.items()
    }
    problems: list[Problem] = []

    def bad(field: str | None, code: str, message: str) -> None:
        problems.append(Problem(number, field, code, message))

    extra = [c for c in cells[width:] if c.strip()]
    if extra:
        # Most often a name with an unquoted separator in it ("Иванов, Пётр").
        bad(None, "too_many_cells", f"this row has more cells than the header: {extra[0]!r}")
    name = values.get("name", "")
    if not name:
        bad("name", "required", "the name is empty")
    elif len(name) > MAX_NAME:
        bad("name", "too_long", f"the name is longer than {MAX_NAME} characters")
    elif not any(ch.isalpha() for ch in name) or not all(
        ch.isalpha() or ch in _NAME_MARKS for ch in name
    ):
        bad("name", "bad_name", "a name is letters, spaces, hyphens, apostrophes and dots")
    login: str | None = values.get("login", "").lower() or None
    if login is not None:
        if len(login) > MAX_LOGIN:
            bad("login", "too_long", f"the login is longer than {MAX_LOGIN} characters")
        elif not login_rule.match(login):
            bad(
                "login",
                "bad_login",
                "a login is 3-64 latin letters, digits, dots, dashes or underscores",
            )
    role_text = values.get("role", "").lower().replace("ё", "е")
    role = _ROLES.get(role_text)
    if role is None:
        bad("role", "bad_role", f"unknown role {values['role']!r}: pupil or parent")
        role = Role.PUPIL
    parent_of = values.get("parent_of") or None
    if parent_of is not None and len(parent_of) > MAX_NAME:
        bad("parent_of", "too_long", f"parent-of is longer than {MAX_NAME} characters")
    elif role is Role.PARENT and parent_of is None:
        bad("parent_of", "child_needed", "a parent needs parent-of: their child's login or name")
    elif role is Role.PUPIL and parent_of is not None and values.get("role"):
        bad("parent_of", "not_a_parent", "only a parent has parent-of")
    elif role is Role.PUPIL and parent_of is not None:
        role = Role.PARENT  # no role column, yet a child named: a parent
    return Listed(number, name, login, role, parent_of), problems


# --- logins made from names -------------------------------------------------------------------

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)


def login_from_name(name: str) -> str:
    """ "Иванов Пётр" → "ivanov.petr": the name's words transliterated (as Russian passports
    do, simplified for typing) and joined by dots; "" when nothing Latin is left."""
    words = []
    for word in name.lower().replace("-", " ").split():
        latin = "".join(_latin(ch) for ch in word)
        if latin:
            words.append(latin)
    return ".".join(words)[:MAX_LOGIN].strip(".")


def _latin(ch: str) -> str:
    if ch in _CYRILLIC:
        return _CYRILLIC[ch].strip("_")
    # é → e, ñ → n; anything that is no Latin letter or digit after that is dropped.
    base = unicodedata.normalize("NFKD", ch)[0]
    return base if base.isascii() and base.isalnum() else ""
