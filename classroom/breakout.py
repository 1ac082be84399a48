"""Breakout groups of a live lesson: who is in which group, until when, who visits where.

Groups are partitions of the one live room, not rooms of their own: every page keeps its
one WebSocket and its peer connections, and signalling narrows what flows to each (whose
media the SFU forwards to it, whose chat it receives). Why:

- moving someone is instant: a new allow-list at the SFU, no new ICE or DTLS handshake;
- a page that reconnects lands in its group by itself, because the group is kept by the
  pupil's identity in the room's state, not by a connection or a room name;
- in a district (several nodes) the lesson stays one room on one node, with its recording,
  its materials and its moderation in one place.

Everyone has a *scope*: a group's number, or None for the main room (the pupils not put
in a group, and the hosts who visit none). Each person receives the media and the chat of
their own scope, plus the hosts who speak to all. Pure state and rules; signalling applies
them to sockets and the SFU (signaling/breakout_requests.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .board import Board
from .roster import Participant, Roster

MIN_GROUPS = 2
MAX_GROUPS = 20
MIN_SECONDS = 60
MAX_SECONDS = 7200
"""Bounds of a breakout's duration, and of one extension, in seconds (the protocol's)."""

NOT_ALLOWED = "breakout_not_allowed"
RUNNING = "breakout_running"
NOT_RUNNING = "breakout_not_running"
GROUPS_INVALID = "breakout_groups_invalid"
NOT_CHOOSING = "breakout_not_choosing"


class BreakoutError(Exception):
    """A request the breakout's rules refuse; `code` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Breakout:
    groups: list[list[str]]
    """Each group's members (identities), in the order they came in; group n is groups[n]."""
    ends_at: float
    """When the groups end by themselves (seconds since the epoch)."""
    choosing: bool = False
    """Pupils choose their group themselves (and may change it while the groups run)."""
    visits: dict[str, int] = field(default_factory=dict)
    """Hosts (identities) visiting a group, and which."""
    speaking: set[str] = field(default_factory=set)
    """Hosts (identities) speaking to all: every group receives them."""
    boards: dict[int, Board] = field(default_factory=dict)
    """Each group's own whiteboard, made when first used; every pupil of the group draws on
    it (the main room's board is the room's, `RoomModeration.board`)."""

    # --- starting ------------------------------------------------------------------------

    @classmethod
    def by_hand(
        cls, groups: list[list[str]], pupils: list[str], seconds: float, now: float
    ) -> Breakout:
        """The host's own groups of `pupils` (identities of the room's non-hosts); a pupil
        left out stays in the main room. Groups may be empty (filled later by moves)."""
        _check_count(len(groups), len(pupils))
        known = set(pupils)
        seen: set[str] = set()
        for members in groups:
            for identity in members:
                if identity not in known:
                    raise BreakoutError(GROUPS_INVALID, f"{identity!r} is no pupil of this room")
                if identity in seen:
                    raise BreakoutError(GROUPS_INVALID, f"{identity!r} is in two groups")
                seen.add(identity)
        if not seen:
            raise BreakoutError(GROUPS_INVALID, "no pupil is in any group")
        return cls([list(m) for m in groups], now + seconds)

    @classmethod
    def randomly(
        cls, count: int, pupils: list[str], seconds: float, now: float, rng: random.Random
    ) -> Breakout:
        """`pupils` dealt into `count` groups at random: sizes differ by one at most."""
        _check_count(count, len(pupils))
        shuffled = list(pupils)
        rng.shuffle(shuffled)
        return cls([shuffled[n::count] for n in range(count)], now + seconds)

    @classmethod
    def chosen(cls, count: int, pupils: list[str], seconds: float, now: float) -> Breakout:
        """`count` empty groups each pupil chooses from (all start in the main room)."""
        _check_count(count, len(pupils))
        return cls([[] for _ in range(count)], now + seconds, choosing=True)

    # --- who is where --------------------------------------------------------------------

    def group_of(self, identity: str) -> int | None:
        """The group a pupil is in (None: the main room)."""
        return next((n for n, members in enumerate(self.groups) if identity in members), None)

    def scope(self, identity: str, host: bool) -> int | None:
        """Whose media and chat this person shares: a group, or None (the main room)."""
        return self.visits.get(identity) if host else self.group_of(identity)

    def receives(self, identity: str, host: bool, other: str, other_host: bool) -> bool:
        """Whether `identity` receives `other`'s media (and chat) while the groups run."""
        if other_host and other in self.speaking:
            return True
        return self.scope(identity, host) == self.scope(other, other_host)

    def board(self, group: int) -> Board:
        """Group `group`'s whiteboard: its pupils draw on it, a visiting host opens it."""
        board = self.boards.get(group)
        if board is None:
            board = self.boards[group] = Board(allowed="all")
        return board

    # --- changes -------------------------------------------------------------------------

    def _group(self, group: int) -> None:
        if not 0 <= group < len(self.groups):
            raise BreakoutError(GROUPS_INVALID, f"there is no group {group + 1}")

    def move(self, identity: str, group: int | None) -> bool:
        """Put a pupil into `group` (None: back to the main room); True if they moved."""
        if group is not None:
            self._group(group)
        if self.group_of(identity) == group:
            return False
        for members in self.groups:
            if identity in members:
                members.remove(identity)
        if group is not None:
            self.groups[group].append(identity)
        return True

    def choose(self, identity: str, group: int) -> bool:
        """A pupil chooses their own group (only when the host let them choose)."""
        if not self.choosing:
            raise BreakoutError(NOT_CHOOSING, "the teacher chose the groups: ask to be moved")
        return self.move(identity, group)

    def visit(self, host: str, group: int | None) -> bool:
        """A host goes to `group` (None: back to the main room); True if that changed."""
        if group is not None:
            self._group(group)
        if self.visits.get(host) == group:
            return False
        if group is None:
            del self.visits[host]
        else:
            self.visits[host] = group
        return True

    def speak(self, host: str, on: bool) -> bool:
        """A host starts (or stops) speaking to all groups; True if that changed."""
        if (host in self.speaking) == on:
            return False
        if on:
            self.speaking.add(host)
        else:
            self.speaking.discard(host)
        return True

    def extend(self, seconds: float, now: float) -> None:
        """More time: from the end, or from now if it is already past (a late timer)."""
        self.ends_at = max(self.ends_at, now) + seconds

    def left(self, now: float) -> float:
        """Seconds until the groups end (0: due)."""
        return max(0.0, self.ends_at - now)

    def to_dict(self) -> dict[str, Any]:
        """The state everyone receives (`breakout` messages, `joined`)."""
        return {
            "groups": [{"number": n + 1, "members": list(m)} for n, m in enumerate(self.groups)],
            "endsAt": round(self.ends_at * 1000),
            "choosing": self.choosing,
            "visits": {host: n + 1 for host, n in sorted(self.visits.items())},
            "speaking": sorted(self.speaking),
        }


def _check_count(count: int, pupils: int) -> None:
    if count < MIN_GROUPS:
        raise BreakoutError(GROUPS_INVALID, f"a breakout has at least {MIN_GROUPS} groups")
    if count > MAX_GROUPS:
        raise BreakoutError(GROUPS_INVALID, f"a breakout has at most {MAX_GROUPS} groups")
    if count > pupils:
        raise BreakoutError(
            GROUPS_INVALID, f"{count} groups for {pupils} pupils: more groups than pupils"
        )


def narrowed(
    roster: Roster, me: Participant, breakout: Breakout | None
) -> tuple[list[str] | None, list[str] | None]:
    """Whose media (participant ids) `me` receives, and of them whose video: what their page
    asked for (`Roster.publishers_for`), narrowed to their scope while groups run."""
    publishers, video = roster.publishers_for(me), roster.video_publishers_for(me)
    if breakout is None:
        return publishers, video
    host = me.grants.moderate
    allowed = [
        p.id
        for p in roster.participants.values()
        if p.id != me.id and breakout.receives(me.identity, host, p.identity, p.grants.moderate)
    ]
    return _within(publishers, allowed), _within(video, allowed)


def _within(asked: list[str] | None, allowed: list[str]) -> list[str]:
    if asked is None:
        return allowed
    wanted = set(asked)
    return [p for p in allowed if p in wanted]
