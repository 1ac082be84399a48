"""Where a live room is: here, or on another node of the district.

The seam in front of the live rooms, chosen once in `create_app`: `LocalRouter` when the
server is the whole school (every room is here), `DistrictRouter` when `REDIS_URL` makes it
one node of many. A join asks `route(room)` before anything of the room is touched here: None
means the room is (now) this node's; otherwise the owner's URL, and the connection is relayed
there (signaling/door.py).

`DistrictRouter` holds each room it owns under the fencing token of its claim, renews its
lease with their head counts every heartbeat, closes the rooms the directory says another node
now holds (`lose`), and lets go of the rooms nobody is in any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.exceptions import RedisError

from district.directory import HEARTBEAT, LEASE, Directory, Holding, NodeIdTaken, NoNode

logger = logging.getLogger(__name__)

FENCE_MARGIN = 0.5
"""Seconds before the lease's end, as this node counts it, at which a node cut off from the
directory closes its rooms: Redis counts the lease from a later moment, and clocks run at
slightly different rates."""


class Elsewhere(Exception):
    """The room a join asked for is held by another node, at `url`."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class Router(Protocol):
    node: str
    """This node's id in the district ("" for a server alone)."""

    async def route(self, room: str, expected: int = 1) -> str | None:
        """None: the room is this node's (claimed now if it was nobody's, counted as
        `expected` people until more come); else the URL of the node that holds it."""

    async def owner(self, room: str) -> str | None:
        """The URL of another node holding the room; None when it is here or nowhere (a
        REST call about it is answered here)."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...


class LocalRouter:
    """One server, every room here."""

    node = ""

    async def route(self, room: str, expected: int = 1) -> str | None:
        return None

    async def owner(self, room: str) -> str | None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class DistrictRouter:
    def __init__(
        self,
        directory: Directory,
        node: str,
        url: str,
        capacity: int,
        present: Callable[[], dict[str, int]],
        lose: Callable[[str], Awaitable[None]],
        guests: Callable[[], int] = lambda: 0,
    ) -> None:
        """`present`: each room open here (anything of it left: people, a lobby, those
        waiting for the start) with its head count; `lose`: close a room that another node
        holds now (its people reconnect, and find it there)."""
        self._directory = directory
        self.node = node
        self._url = url
        self._capacity = capacity
        self._present = present
        self._guests = guests
        self._lose = lose
        self._held: dict[str, int] = {}
        """The rooms this node owns, by their fencing token."""
        self._gone: set[str] = set()
        """Held rooms not open here at the last heartbeat: let go at the next."""
        self._beats: asyncio.Task[None] | None = None
        self._renewed_at = float("-inf")
        """When the last renewal that went through was sent (the loop's clock)."""

    async def route(self, room: str, expected: int = 1) -> str | None:
        try:
            placement = await self._directory.place(room, expected)
        except RedisError as exc:
            # The rooms open here go on; nobody can be placed until the directory is back.
            raise NoNode(f"the district's directory (Redis) does not answer: {exc}") from exc
        if placement.node != self.node:
            return placement.url
        self._held[room] = placement.token
        self._gone.discard(room)
        return None

    async def owner(self, room: str) -> str | None:
        placement = await self._directory.owner(room)
        if placement is None or placement.node == self.node or not placement.url:
            return None
        return placement.url

    async def start(self) -> None:
        """Register (placeable from the first request on). A node restarted within its old
        lease waits for it to lapse; another live node with this id stops the start."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LEASE + HEARTBEAT
        while True:
            try:
                await self.beat()
                break
            except RedisError as exc:
                raise RuntimeError(
                    f"the district's Redis (REDIS_URL) does not answer: {exc}"
                ) from exc
            except NodeIdTaken as exc:
                if loop.time() > deadline:
                    raise RuntimeError(f"{exc}: give each node its own NODE_ID") from exc
                await asyncio.sleep(HEARTBEAT / 2)
        self._beats = loop.create_task(self._run())
        if self._directory.settling > 0:
            # A fresh directory (a new district, or Redis back empty): the other nodes tell it
            # their rooms first, and only then are rooms placed.
            await asyncio.sleep(self._directory.settling)

    async def close(self) -> None:
        """Leave the district (at the stop's start, before the pages are told to reconnect;
        again at the end changes nothing)."""
        if self._beats is None:
            return
        self._beats.cancel()
        await asyncio.gather(self._beats, return_exceptions=True)
        self._beats = None
        try:
            released = await self._directory.leave(self.node)
        except RedisError as exc:
            # Stopping all the same: its lease runs out, and its rooms are placed anew then.
            logger.warning("node %s could not tell the district it leaves: %s", self.node, exc)
            return
        logger.info("node %s left the district, releasing %d rooms", self.node, released)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                # Bounded: a Redis that does not answer must not hold the fencing back.
                # (`asyncio.timeout`, not 3.11's `wait_for`: that one drops a cancellation
                # arriving as the beat answers, and the node's stop then waits for ever.)
                async with asyncio.timeout(2 * HEARTBEAT):
                    await self.beat()
            except Exception as exc:
                # Redis away for a moment: the lease has three heartbeats of slack.
                logger.warning("node %s could not renew its lease: %r", self.node, exc)
                if self._held and self._lease_lost():
                    await self._fence_out()

    def _lease_lost(self) -> bool:
        """Whether the lease may have lapsed in Redis: counted from when the last renewal
        that went through was sent (Redis set its expiry later than that), less a margin."""
        return asyncio.get_running_loop().time() - self._renewed_at > LEASE - FENCE_MARGIN

    async def _fence_out(self) -> None:
        """Cut off from the directory past its lease: another node may hold its rooms by
        now. Close them here rather than risk one lesson open on two nodes; the pages
        reconnect, and are placed again once the directory answers."""
        logger.error("node %s lost its lease: closing its %d rooms", self.node, len(self._held))
        for room in list(self._held):
            del self._held[room]
            await self._lose(room)
        self._gone.clear()

    async def beat(self) -> None:
        """Renew the lease with the rooms' head counts; close the rooms lost; release the
        rooms closed here since the last beat (a room just placed has a beat to open)."""
        present = self._present()
        for room in [r for r in self._gone if r in self._held and r not in present]:
            await self._directory.release(room, self.node, self._held[room])
            del self._held[room]  # only once released: a failed release is tried again
        self._gone = {r for r in self._held if r not in present}
        holdings = [Holding(r, t, present.get(r, 0)) for r, t in self._held.items()]
        sent = asyncio.get_running_loop().time()
        lost = await self._directory.heartbeat(
            self.node, self._url, self._capacity, holdings, self._guests()
        )
        self._renewed_at = sent
        for room in lost:
            logger.warning("room %s is held by another node now: closing it here", room)
            self._held.pop(room, None)
            self._gone.discard(room)
            await self._lose(room)
