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
    receives_video_from: list[str] | None = None
    """Of those, identities whose video it receives (the tiles its page shows); None: all."""
    music: bool = False
    """Publishes in music mode (an event's performer): see sfu/sdp.py MUSIC_OPUS."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identity": self.identity,
            "name": self.name,
            "role": self.role.value,
            "host": self.grants.moderate,
            "tracks": list(self.tracks.values()),
        }

    @property
    def audience(self) -> bool:
        """Only watches (an event's audience): counted, never shown one by one."""
        return self.grants.watch_only

    def track_by_source(self, source: str) -> dict[str, Any] | None:
        return next((t for t in self.tracks.values() if t["source"] == source), None)


@dataclass
class ChatMessage:
    sender_id: str
    sender_name: str
    text: str
    ts: float
    group: int | None = None
    """Said in breakout group `group` (numbered from 1); None: to the whole room."""
    seen_by: frozenset[str] | None = None
    """Identities it was sent to, besides the hosts (None: everyone): a group's chat is
    shown again to those who were in the group, and to nobody else."""

    def to_dict(self) -> dict[str, Any]:
        said: dict[str, Any] = {
            "type": "chat",
            "from": {"id": self.sender_id, "name": self.sender_name},
            "text": self.text,
            "ts": self.ts,
        }
        if self.group is not None:
            said["group"] = self.group
        return said

    def visible_to(self, identity: str, host: bool) -> bool:
        return self.seen_by is None or host or identity in self.seen_by


MAX_AUDIENCE = 2000
"""Watch-only participants one room takes (an event's audience), besides its stage."""


class Roster:
    def __init__(
        self, room_id: str, max_participants: int = 100, max_audience: int = MAX_AUDIENCE
    ) -> None:
        self.room_id = room_id
        self.max_participants = max_participants
        """Participants on the stage (all of them, in a lesson)."""
        self.max_audience = max_audience
        self.participants: dict[str, Participant] = {}
        self.chat: deque[ChatMessage] = deque(maxlen=CHAT_KEPT)

    @property
    def audience_count(self) -> int:
        return sum(1 for p in self.participants.values() if p.audience)

    def full_for(self, audience: bool) -> bool:
        """Whether there is no room left on the stage, or in the audience."""
        if audience:
            return self.audience_count >= self.max_audience
        stage = len(self.participants) - self.audience_count
        return stage >= self.max_participants

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

    def video_publishers_for(self, participant: Participant) -> list[str] | None:
        """Ids of the participants present whose video `participant` asked to receive."""
        if participant.receives_video_from is None:
            return None
        wanted = set(participant.receives_video_from)
        return [p.id for p in self.participants.values() if p.identity in wanted]

    def others(self, participant_id: str) -> list[Participant]:
        return [p for p in self.participants.values() if p.id != participant_id]

    def stage(self, but: str | None = None) -> list[Participant]:
        """Everyone but the audience (and `but`): those a page shows one by one."""
        return [p for p in self.participants.values() if not p.audience and p.id != but]
