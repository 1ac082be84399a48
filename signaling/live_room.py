"""One live room as signalling holds it: the one place its state lives.

Who is in it (the roster, and each one's connection), who waits to come in (for the
session's start, in the lobby), its moderation, the lock its joins and leaves take, what the
SFU said to people still joining, the timeline it is recorded into and who is speaking.
`LiveRooms` keeps one per room name for as long as any of that is there.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from classroom.moderation import RoomModeration
from classroom.roster import Roster
from recording.timeline import Timeline

if TYPE_CHECKING:
    from .session import Session


class LiveRoom:
    """The state of one room; its parts are made when first needed and dropped when done."""

    __slots__ = (
        "name",
        "roster",
        "connections",
        "moderation",
        "lobby",
        "starting",
        "lock",
        "early",
        "timeline",
        "speaker",
        "audience_due",
        "breakout_timer",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.roster: Roster | None = None
        """Who is in the room (None: nobody, the room is not open)."""
        self.connections: dict[str, Session] = {}
        """The connection of each participant in the roster who is connected (one who
        dropped and may come back has none)."""
        self.moderation: RoomModeration | None = None
        """Lock, lobby, hands, removals...: outlives an empty room while people were
        removed from its session or wait in its lobby."""
        self.lobby: dict[str, Session] = {}
        """Connections waiting in the lobby, by the participant id they will get."""
        self.starting: dict[int, Session] = {}
        """Connections that joined before the session started (by object id)."""
        self.lock: asyncio.Lock | None = None
        """Serialises joins and leaves (None: none taken since the room was last empty)."""
        self.early: dict[str, list[dict[str, Any]]] = {}
        """What the SFU said to participants still joining, for after their `joined`."""
        self.timeline: Timeline | None = None
        """Where everything broadcast goes while the room is recorded."""
        self.speaker: str | None = None
        """The participant the SFU hears speaking (None: nobody)."""
        self.audience_due = False
        """The audience count is due to be sent."""
        self.breakout_timer: asyncio.Task[None] | None = None
        """Ends the breakout groups at their time (signaling/breakout_requests.py)."""

    def stop_breakout_timer(self) -> None:
        timer, self.breakout_timer = self.breakout_timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def head_count(self) -> int:
        """People in the room (those dropped off and still kept count), its lobby and those
        waiting for its start."""
        inside = len(self.roster.participants) if self.roster is not None else 0
        return inside + len(self.lobby) + len(self.starting)

    def idle(self) -> bool:
        """Nothing of the room is left: it may be forgotten."""
        return (
            self.roster is None
            and not self.connections
            and self.moderation is None
            and self.lock is None
            and not self.lobby
            and not self.starting
            and not self.early
            and self.timeline is None
        )

    def hosts(self) -> list[Session]:
        """The connections of the participants who may moderate."""
        roster = self.roster
        if roster is None:
            return []
        return [
            session
            for pid, session in self.connections.items()
            if (p := roster.participants.get(pid)) is not None and p.grants.moderate
        ]

    def broadcast(self, message: dict[str, Any], exclude: str | None = None) -> None:
        """To everyone connected (but `exclude`), and into the timeline when recorded."""
        if self.timeline is not None:
            self.timeline.add(message)
        for participant_id, session in list(self.connections.items()):
            if participant_id != exclude:
                session.send(message)

    def tell(self, participant_id: str, message: dict[str, Any]) -> None:
        """To one participant: held while they are still joining, dropped if unknown."""
        early = self.early.get(participant_id)
        if early is not None:
            early.append(message)
            return
        session = self.connections.get(participant_id)
        if session is not None:
            session.send(message)

    def detach(self, participant_id: str) -> bool:
        """Forget the participant; True when the room is now empty (its roster gone)."""
        self.connections.pop(participant_id, None)
        roster = self.roster
        if roster is not None:
            roster.remove(participant_id)
        moderation = self.moderation
        if moderation is not None:
            moderation.forget(participant_id)
        if self.connections or (roster is not None and roster.participants):
            return False
        self.roster = None
        self.speaker = None
        # Groups are a lesson's moment, not the session's: an empty room ends them.
        self.stop_breakout_timer()
        if moderation is not None:
            moderation.breakout = None
        # Removals outlive an empty room (the session goes on); the rest does not.
        if moderation is not None and not moderation.removed and not self.lobby:
            self.moderation = None
        return True
