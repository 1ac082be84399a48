"""A live room's moderation state: lock, removals, the lobby, hands, the pin, mic locks.

Pure state and rules; signalling applies them to sockets and the SFU. Participants are
named by their room participant id, except where a rule must outlive a connection (a removal,
a mic lock): those are kept by identity, so reconnecting does not undo them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .board import Board
from .breakout import Breakout
from .polls import Poll
from .showing import Showing


@dataclass
class Waiting:
    """Someone in the lobby."""

    participant_id: str
    identity: str
    name: str
    since: float

    def to_dict(self) -> dict[str, str | float]:
        return {"id": self.participant_id, "name": self.name, "since": self.since}


@dataclass
class RoomModeration:
    locked: bool = False
    """No one new enters (hosts still do, and those who were in; the lobby still fills)."""
    removed: set[str] = field(default_factory=set)
    """Identities removed by a host: they cannot come back into this session."""
    mic_locked: set[str] = field(default_factory=set)
    """Identities a host muted without letting them unmute themselves."""
    lobby: dict[str, Waiting] = field(default_factory=dict)
    entered: set[str] = field(default_factory=set)
    """Identities that have been in the room: a lock keeps newcomers out, not someone whose
    connection dropped."""
    admitted: set[str] = field(default_factory=set)
    """Identities a host let in: back after a dropped connection, they skip the lobby."""
    hands: list[str] = field(default_factory=list)
    """Raised hands, first raised first."""
    pinned: str | None = None
    """Whose tile everyone's layout puts on the stage (None: the page chooses)."""
    pinned_source: str = "camera"
    """Which of theirs: "camera" (the person) or "screen" (what they share)."""
    polls: dict[str, Poll] = field(default_factory=dict)
    recording: str | None = None
    """The id of the recording being made (None: not recording)."""
    showing: Showing | None = None
    """The material on everyone's stage, at its host's page and zoom (None: none)."""
    board: Board = field(default_factory=Board)
    """The whiteboard's strokes (blank page and materials' pages) and who may draw."""
    breakout: Breakout | None = None
    """The breakout groups running now (None: everyone is in the main lesson)."""

    def refusal(self, identity: str, host: bool) -> str | None:
        """Why `identity` may not enter now ("removed", "room_locked"), or None."""
        if identity in self.removed:
            return "removed"
        if self.locked and not host and identity not in self.entered:
            return "room_locked"
        return None

    def raise_hand(self, participant_id: str) -> bool:
        if participant_id in self.hands:
            return False
        self.hands.append(participant_id)
        return True

    def lower_hand(self, participant_id: str) -> bool:
        if participant_id not in self.hands:
            return False
        self.hands.remove(participant_id)
        return True

    def lower_all(self) -> bool:
        changed = bool(self.hands)
        self.hands.clear()
        return changed

    def pin(self, participant_id: str | None, source: str = "camera") -> None:
        self.pinned = participant_id
        self.pinned_source = source if participant_id is not None else "camera"

    def unpin_screen(self, participant_id: str) -> bool:
        """`participant_id` stopped sharing their screen: a pin of that screen goes with it
        (their camera is not pinned instead). True if it was pinned."""
        if self.pinned != participant_id or self.pinned_source != "screen":
            return False
        self.pin(None)
        return True

    def forget(self, participant_id: str) -> bool:
        """A participant left: drop their hand, pin and call to the board. True if anything
        visible changed."""
        changed = self.lower_hand(participant_id)
        if self.pinned == participant_id:
            self.pin(None)
            changed = True
        self.lobby.pop(participant_id, None)
        if self.board.allowed == participant_id:  # called to the board, and gone: nobody is
            self.board.allow("none")
            changed = True
        return changed

    def remove(self, identity: str, participant_id: str) -> None:
        self.removed.add(identity)
        self.admitted.discard(identity)
        self.entered.discard(identity)
        self.mic_locked.discard(identity)
        self.forget(participant_id)
