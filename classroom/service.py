"""The school's use cases: sign in, classes, invite links, sessions, attendance.

Each method checks who asks (`policy.allowed`), validates its input, and writes through the
repository in one call, so a refused or invalid request leaves nothing half-written.
Another school's records answer "not found", never "forbidden": a closed space does not
reveal what it holds.

`Classroom` is put together from one family of use cases per module, each a mixin over
`use_cases.UseCases` (the repository, the clock, new ids, who asks): `accounts` (signing in,
people's accounts, the school's settings), `classes` (classes and invite links), `sessions`
(sessions, admission, attendance and chat read back), `session_records` (what a live room
records) and `lesson_records` (a session's polls and its class's roll, issue 18). What a
person types in is checked in `validation`. The names the rest of the
server imports from here stay here.
"""

from __future__ import annotations

from .accounts import Accounts
from .classes import (
    INVITE_TTL_DEFAULT,
    INVITE_TTL_MAX,
    INVITE_USES_DEFAULT,
    INVITE_USES_MAX,
    Classes,
)
from .lesson_records import LessonRecords
from .schedule import Schedule
from .session_records import SessionRecords
from .sessions import CHAT_LIMIT, MAX_PERFORMERS, MAX_TITLE, Admission
from .validation import LOGIN, MAX_NAME, MIN_PASSWORD

__all__ = [
    "CHAT_LIMIT",
    "INVITE_TTL_DEFAULT",
    "INVITE_TTL_MAX",
    "INVITE_USES_DEFAULT",
    "INVITE_USES_MAX",
    "LOGIN",
    "MAX_NAME",
    "MAX_PERFORMERS",
    "MAX_TITLE",
    "MIN_PASSWORD",
    "Admission",
    "Classroom",
]


class Classroom(Accounts, Classes, LessonRecords, SessionRecords, Schedule):
    """The school's use cases, every family of them on one repository."""
