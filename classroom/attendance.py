"""Who was at a session and who was not: the whole class's roll, built from the people the
session expected (a lesson's pupils, a parent meeting's parents, a consultation's guest) and
the stays its room recorded.

Pure: the stays and the people in, one row per person out. Someone who came without being
expected (a teacher, a co-host, a guest of an event) is listed after the expected ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Attendance, User


@dataclass(frozen=True)
class RollEntry:
    """One person of the roll: present (with their stays) or absent."""

    user_id: str
    name: str
    expected: bool
    """One of those the session was for (a pupil of the lesson's class)."""
    stays: tuple[Attendance, ...] = ()

    @property
    def present(self) -> bool:
        return bool(self.stays)

    @property
    def joined_at(self) -> float | None:
        return min(s.joined_at for s in self.stays) if self.stays else None

    def left_at(self) -> float | None:
        """When they last left; None when absent or still in the room."""
        lefts = [s.left_at for s in self.stays]
        if not lefts or None in lefts:
            return None
        return max(s for s in lefts if s is not None)

    def minutes(self, now: float) -> float:
        return sum(s.minutes(now) for s in self.stays)


def roll(expected: list[User], stays: list[Attendance]) -> list[RollEntry]:
    """The expected people in name order, present or absent, then whoever else came, in the
    order they first came. An expected person shows under their account's name today; anyone
    else under the name they had in the room."""
    by_person: dict[str, list[Attendance]] = {}
    for stay in stays:
        by_person.setdefault(stay.user_id, []).append(stay)
    rows = [
        RollEntry(user.id, user.name, True, tuple(by_person.pop(user.id, ())))
        for user in sorted(expected, key=lambda u: (u.name.casefold(), u.id))
    ]
    rows += [RollEntry(user_id, s[0].name, False, tuple(s)) for user_id, s in by_person.items()]
    return rows
