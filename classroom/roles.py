"""Roles and the media grants each role gets by default."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    PUPIL = "pupil"
    PARENT = "parent"
    GUEST = "guest"


@dataclass(frozen=True)
class Grants:
    """What an access token lets its holder do in one room."""

    publish: bool = False
    """Send camera, microphone or screen."""
    subscribe: bool = True
    """Receive the others' media."""
    moderate: bool = False
    """Mute or remove others (teacher, admin)."""

    @property
    def watch_only(self) -> bool:
        """Neither sends nor moderates: an event's audience."""
        return not self.publish and not self.moderate

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Grants:
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k, False), bool) for k in ("publish", "subscribe", "moderate")
        ):
            raise ValueError("grants must be an object of booleans")
        return cls(
            publish=data.get("publish", False),
            subscribe=data.get("subscribe", True),
            moderate=data.get("moderate", False),
        )


def default_grants(role: Role) -> Grants:
    """A lesson: teachers moderate; pupils and parents talk and listen; guests only listen."""
    if role in (Role.TEACHER, Role.ADMIN):
        return Grants(publish=True, subscribe=True, moderate=True)
    if role in (Role.PUPIL, Role.PARENT):
        return Grants(publish=True, subscribe=True)
    return Grants(publish=False, subscribe=True)
