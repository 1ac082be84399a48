"""What the domain tells the world when a session's state or time changes (it started, ended,
was scheduled, moved or called off), so that pages open on /school can be told at once.

A `typing.Protocol`: the domain knows nothing of who listens (signalling's
`school_events.SessionNews`, in process or through Redis); `NoChanges` when nobody does.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from .models import Session


class Change(StrEnum):
    SCHEDULED = "scheduled"
    """Made with a start time: it appears in the class's upcoming sessions."""
    STARTED = "started"
    ENDED = "ended"
    RESCHEDULED = "rescheduled"
    """Its title, start or length changed before it started."""
    CANCELLED = "cancelled"
    """Called off before it started."""


class SessionChanges(Protocol):
    async def changed(self, session: Session, change: Change) -> None:
        """`session` (as written) changed so; must not raise (a lost notice is caught up by
        the pages' next look, never worth failing the use case that wrote)."""


class NoChanges:
    """Nobody listens (tests of the domain, the operator's command line)."""

    async def changed(self, session: Session, change: Change) -> None:
        return None
