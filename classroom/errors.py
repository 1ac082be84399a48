"""The domain's errors, each with a stable code the REST API and the WebSocket return as is."""

from __future__ import annotations

NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
INVALID_INPUT = "invalid_input"
CONFLICT = "conflict"
BAD_CREDENTIALS = "bad_credentials"
ACCOUNT_DISABLED = "account_disabled"
"""The account was deactivated by the school's admin (told only to whoever knows its password)."""
LINK_EXPIRED = "link_expired"
"""A one-time password link is past its time."""
CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
LAST_ADMIN = "last_admin"
"""The school would be left without an active admin."""
IMPORT_INVALID = "import_invalid"
"""A class list has errors: the report names each row and field; nothing was imported."""
IMPORT_TOO_LARGE = "import_too_large"
INVITE_EXPIRED = "invite_expired"
INVITE_USED_UP = "invite_used_up"
INVITE_REVOKED = "invite_revoked"
SESSION_ENDED = "session_ended"
SESSION_NOT_LIVE = "session_not_live"
SIGNED_OUT = "signed_out"
"""A token whose sign-in was ended: signed out, a new password, a deactivated account."""
ERASE_SELF = "erase_self"
"""An admin asked to erase their own account: another admin of the school does that."""
LAST_ADMIN = "last_admin"
"""Erasing this admin would leave the school with no active admin."""
CONFIRMATION_MISMATCH = "confirmation_mismatch"
"""An erasure's confirmation is not the person's name."""
RECORDING_IN_PROGRESS = "recording_in_progress"
"""A recording that holds the person is still being written: stop it first."""

# --- the schedule (issue 18) ---
TITLE_REQUIRED = "title_required"
"""A session's title is empty (or only spaces)."""
TITLE_TOO_LONG = "title_too_long"
"""A session's title is longer than `sessions.MAX_TITLE` characters."""
TIME_MALFORMED = "time_malformed"
"""A start time that is no time: not YYYY-MM-DDTHH:MM (the school's clock), or no such date."""
TIME_IN_PAST = "time_in_past"
"""A start that has already passed."""
DURATION_INVALID = "duration_invalid"
"""A planned length outside 1-600 minutes."""
SESSION_NOT_SCHEDULED = "session_not_scheduled"
"""Rescheduling or cancelling a session that has started or ended."""

# Polls kept with the lesson, and attendance in the school's time zone (issue 18).
POLL_INVALID = "poll_invalid"
"""A poll's question or options break a rule (length, count, options that repeat)."""
POLL_CORRECT_NOT_AN_OPTION = "poll_correct_not_an_option"
"""A quiz's correct option is not one of its options (or the poll takes several choices)."""
POLL_OPTION_OUT_OF_RANGE = "poll_option_out_of_range"
"""An answer chose no option, or one the poll does not have."""
POLL_ONE_CHOICE = "poll_one_choice"
"""Several options chosen in a single-choice poll."""
POLL_CLOSED = "poll_closed"
"""An answer to a poll the host has closed."""
POLL_NOT_FOUND = "poll_not_found"
"""No poll with that id in this room."""
UNKNOWN_TIME_ZONE = "unknown_time_zone"
"""A school's time zone that is no IANA zone (such as Europe/Moscow)."""


class ClassroomError(Exception):
    """A request the domain refuses; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        """The request field at fault, when there is one (a form shows the message there)."""


class NotFound(ClassroomError):
    def __init__(self, what: str) -> None:
        super().__init__(NOT_FOUND, f"{what} does not exist")


class Forbidden(ClassroomError):
    def __init__(self, message: str = "you may not do this") -> None:
        super().__init__(FORBIDDEN, message)


class InvalidInput(ClassroomError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(INVALID_INPUT, message, field)
