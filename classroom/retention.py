"""How long a school keeps its recordings, and which ones are past it: pure rules, no files.

A school sets `School.recordings_kept_days`; the server then deletes each recording that many
days after it stopped (`signaling.retention` runs the sweep). A recording still being written
has not stopped, so it is never old; an ended event's HLS ages from the event's end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InvalidInput
from .models import School, Session, SessionKind, SessionState
from .store import Repository

DAY = 24 * 3600.0
MAX_KEPT_DAYS = 3650


def kept_days(value: int) -> int | None:
    """The setting as stored: 1..3650 days, or None for 0 (kept until deleted by hand)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KEPT_DAYS:
        raise InvalidInput(
            f"recordings_kept_days must be 0 (keep) to {MAX_KEPT_DAYS}", "recordings_kept_days"
        )
    return value or None


@dataclass(frozen=True)
class Recorded:
    """A recording on disk, as the sweep sees it."""

    session_id: str
    recording_id: str
    stopped: float | None
    """When it stopped (Unix s); None while it is being written."""


def past_keeping(stopped: float | None, kept: int | None, now: float) -> bool:
    """Whether something that ended at `stopped` has been kept longer than `kept` days."""
    return kept is not None and stopped is not None and now - stopped > kept * DAY


def expired(recordings: Iterable[Recorded], kept: int | None, now: float) -> list[Recorded]:
    """The recordings older than `kept` days at `now`, in the order given."""
    return [r for r in recordings if past_keeping(r.stopped, kept, now)]


def broadcast_expired(session: Session, kept: int | None, now: float) -> bool:
    """Whether an event's HLS broadcast files are past keeping (it ended `kept` days ago)."""
    return (
        session.kind is SessionKind.EVENT
        and session.state is SessionState.ENDED
        and past_keeping(session.ended_at, kept, now)
    )


async def kept_schools(store: Repository) -> list[tuple[School, list[Session]]]:
    """The schools that keep recordings for a limited time, each with its sessions."""
    return [
        (school, await store.sessions(school.id))
        for school in await store.schools()
        if school.recordings_kept_days is not None
    ]
