"""Participants whose connection dropped, kept in their room for a grace period.

A pupil on a train loses the network for ten seconds: that is not leaving. The session keeps
them in the roster, and the SFU keeps their tracks and what they receive (`suspend_peer`);
the others see "reconnecting". Within `grace` seconds a join carrying the `resumeToken` of
that participant (sent in `joined`) takes their place again: same participant id, same
tracks for everyone, their own videos back after a keyframe. After the grace period they
leave as anyone does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from classroom.roster import Participant

if TYPE_CHECKING:
    from .session import Session

RESUME_GRACE = 30.0


@dataclass
class Away:
    room: str
    participant: Participant
    token: str
    session: Session
    """The session that dropped: it still does the leaving if nobody comes back."""
    timer: asyncio.TimerHandle | None = None


class Absences:
    def __init__(self, grace: float = RESUME_GRACE) -> None:
        self.grace = grace
        self._away: dict[tuple[str, str], Away] = {}

    def add(self, away: Away, expire: Callable[[Away], None]) -> None:
        loop = asyncio.get_running_loop()
        away.timer = loop.call_later(self.grace, expire, away)
        self._away[(away.room, away.participant.id)] = away

    def claim(self, room: str, participant_id: str, token: str) -> Away | None:
        """The participant came back with the right token: theirs again, timer stopped."""
        away = self._away.get((room, participant_id))
        if away is None or away.token != token:
            return None
        return self.drop(room, participant_id)

    def drop(self, room: str, participant_id: str) -> Away | None:
        away = self._away.pop((room, participant_id), None)
        if away is not None and away.timer is not None:
            away.timer.cancel()
        return away

    def in_room(self, room: str) -> list[Away]:
        return [a for (r, _), a in self._away.items() if r == room]
