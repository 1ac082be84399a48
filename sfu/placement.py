"""Which SFU shard a room lives on: one interface, an in-memory backend today.

The same interface will be backed by Redis to place rooms on other machines; callers only
ask where a room is, place a new one, and report load.
"""

from __future__ import annotations

from typing import Protocol

from .errors import NotFound


class Placement(Protocol):
    async def place(self, room: str) -> int:
        """The shard of `room`, choosing the least loaded one for a new room."""
        ...

    async def locate(self, room: str) -> int:
        """The shard of an existing room; NotFound if it has none."""
        ...

    async def release(self, room: str) -> None: ...

    async def add_load(self, shard: int, peers: int) -> None:
        """Participants joined (positive) or left (negative) a room on `shard`."""
        ...


class LocalPlacement:
    """Rooms on the SFU processes of this machine, least loaded by participants, then rooms."""

    def __init__(self, shards: int) -> None:
        if shards < 1:
            raise ValueError("at least one shard is needed")
        self.rooms: dict[str, int] = {}
        self.peers = [0] * shards

    async def place(self, room: str) -> int:
        shard = self.rooms.get(room)
        if shard is None:
            rooms = [0] * len(self.peers)
            for placed in self.rooms.values():
                rooms[placed] += 1
            shard = min(range(len(self.peers)), key=lambda i: (self.peers[i], rooms[i], i))
            self.rooms[room] = shard
        return shard

    async def locate(self, room: str) -> int:
        shard = self.rooms.get(room)
        if shard is None:
            raise NotFound(f"no room {room}")
        return shard

    async def release(self, room: str) -> None:
        self.rooms.pop(room, None)

    async def add_load(self, shard: int, peers: int) -> None:
        self.peers[shard] = max(0, self.peers[shard] + peers)
