"""Who is in a live room right now, what they publish, and what was said in its chat."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .roles import Grants, Role

CHAT_KEPT = 200
"""Chat messages a late joiner receives."""


@dataclass
class Participant:
    id: str
    identity: str
    name: str
    role: Role
    grants: Grants
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Published tracks by track id, as sent on the wire."""
    receives_from: list[str] | None = None
    """Identities whose media this participant receives; None: everyone's."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identity": self.identity,
            "name": self.name,
            "role": self.role.value,
            "host": self.grants.moderate,
            "tracks": list(self.tracks.values()),
        }

    def track_by_source(self, source: str) -> dict[str, Any] | None:
        return next((t for t in self.tracks.values() if t["source"] == source), None)


@dataclass
class ChatMessage:
    sender_id: str
    sender_name: str
    text: str
    ts: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "chat",
            "from": {"id": self.sender_id, "name": self.sender_name},
            "text": self.text,
            "ts": self.ts,
        }


class Roster:
    def __init__(self, room_id: str, max_participants: int = 100) -> None:
        self.room_id = room_id
        self.max_participants = max_participants
        self.participants: dict[str, Participant] = {}
        self.chat: deque[ChatMessage] = deque(maxlen=CHAT_KEPT)

    @property
    def full(self) -> bool:
        return len(self.participants) >= self.max_participants

    def add(self, participant: Participant) -> None:
        self.participants[participant.id] = participant

    def remove(self, participant_id: str) -> Participant | None:
        return self.participants.pop(participant_id, None)

    def by_identity(self, identity: str) -> Participant | None:
        return next((p for p in self.participants.values() if p.identity == identity), None)

    def publishers_for(self, participant: Participant) -> list[str] | None:
        """Ids of the participants present whose media `participant` asked to receive."""
        if participant.receives_from is None:
            return None
        wanted = set(participant.receives_from)
        return [p.id for p in self.participants.values() if p.identity in wanted]

    def others(self, participant_id: str) -> list[Participant]:
        return [p for p in self.participants.values() if p.id != participant_id]
