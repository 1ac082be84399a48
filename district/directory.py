"""Rooms placed on nodes, in Redis: claims with fencing tokens, node leases, draining.

A node registers itself with `heartbeat` (its public URL for the other nodes, its capacity in
participants, and the head count of each room it holds) every `HEARTBEAT` seconds, under a
lease of `LEASE` seconds: a node that stops (kill -9, a cable) is gone from placement within
`LEASE`. `place` gives a room's live owner, or claims the room for the least-loaded live node
that is not draining; each claim takes a new fencing token from one counter, so a later owner
always holds a larger token than an earlier one. A node's load counts each of its rooms at
the larger of the size expected when it was placed and the people now in it whose media it
carries, plus its guests (an event's audience on other nodes piped to it): rooms placed in
the same second see each other (Scalelite's lowest-load choice without that sent a morning's
lessons to one server).

Fencing, not freshness alone: the owner names its token at every heartbeat, and the rooms
whose token has changed come back as lost; a node that stalled past its lease while another
took its room closes its copy, so a room is never open on two nodes for longer than one
heartbeat (LiveKit's bare 5 s freshness check split classes across nodes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from . import scripts

LEASE = 3.0
"""Seconds a node stays placeable without renewing its lease."""
HEARTBEAT = 1.0
"""Seconds between a node's renewals (three chances per lease)."""
RECOVERY = 1.5
"""Seconds after Redis came back empty (or a district's first start) during which no room
is placed anew: each node's next heartbeat tells it the rooms it holds first (a join in that
second would otherwise open a live lesson a second time elsewhere). A node starting in a
fresh district waits it out before it serves (`Directory.settling`)."""
ADOPT = 10.0
"""Seconds a room claimed for a node may go unreported by it before it is let go (a door
placed it there and the join never arrived)."""

TAKE_GRACE = 120.0
"""Seconds a task's claim holds even without its holder's lease: a starting node repairs
what it left before it registers (and takes rooms)."""


class NoNode(Exception):
    """No live node that is not draining can take a new room (or, for a moment after Redis
    came back empty, none may yet)."""


class NodeIdTaken(Exception):
    """Another process holds this node id under a live lease (two nodes configured with one
    NODE_ID, or this one restarted within its old lease)."""


@dataclass(frozen=True)
class Placement:
    room: str
    node: str
    token: int
    """The owner's fencing token: larger for every later claim of any room."""
    placed: bool
    """Claimed by this call (False: the room already had a live owner)."""
    url: str = ""
    """The owner's URL, for the other nodes."""


@dataclass(frozen=True)
class Node:
    id: str
    url: str
    """Where the other nodes reach it (signalling relayed, REST forwarded)."""
    capacity: int
    draining: bool
    rooms: dict[str, int]
    """Its rooms and the head count each last reported (those whose media it carries)."""
    guests: int = 0
    """People of other nodes' rooms whose media it carries (an event's audience piped
    here)."""


@dataclass(frozen=True)
class Holding:
    """A room a node holds, as it reports it in a heartbeat."""

    room: str
    token: int
    present: int


class Directory:
    def __init__(self, redis: Redis, prefix: str = "classroom:") -> None:
        self._redis = redis
        self._prefix = prefix
        self.settling = 0.0
        """Seconds new rooms still wait after Redis came back empty (as of the last
        heartbeat)."""
        self.boot = secrets.token_hex(8)
        """This process's mark on the node ids it registers: another process registering
        one of them while its lease runs is refused (`NodeIdTaken`)."""
        self._place = redis.register_script(scripts.PLACE)
        self._heartbeat = redis.register_script(scripts.HEARTBEAT)
        self._release = redis.register_script(scripts.RELEASE)
        self._leave = redis.register_script(scripts.LEAVE)
        self._drain = redis.register_script(scripts.DRAIN)
        self._take = redis.register_script(scripts.TAKE)

    async def place(self, room: str, expected: int = 1) -> Placement:
        """The room's live owner, or a new claim for the least-loaded live node; NoNode
        when every node is dead or draining."""
        args: list[str | int] = [self._prefix, room, max(expected, 1), int(RECOVERY * 1000)]
        node, token, placed, url = await self._place(args=args)
        node = _text(node)
        if not node:
            if _text(url) == "recovering":
                raise NoNode("the district's directory has just restarted: try again")
            raise NoNode(f"no node can take the room {room!r}: all are draining or gone")
        return Placement(room, node, int(token), bool(placed), _text(url or b""))

    async def owner(self, room: str) -> Placement | None:
        """Who holds the room now, alive or not (url "": not alive); None when it is placed
        nowhere."""
        redis = cast(Any, self._redis)
        node, token = await redis.hmget(self._key("room", room), "node", "token")
        if node is None:
            return None
        url = await redis.hget(self._key("node", _text(node)), "url")
        return Placement(room, _text(node), int(token), False, _text(url or b""))

    async def heartbeat(
        self, node: str, url: str, capacity: int, holdings: list[Holding], guests: int = 0
    ) -> list[str]:
        """Renews the node's lease and its rooms' head counts (`guests`: the people of other
        nodes' rooms whose media it carries, counted in its load too); returns the rooms among
        `holdings` another node has claimed since (to be closed here). NodeIdTaken when
        another process holds `node`."""
        args: list[str | int] = [
            self._prefix,
            node,
            url,
            capacity,
            int(LEASE * 1000),
            self.boot,
            int(ADOPT * 1000),
            int(RECOVERY * 1000),
            guests,
        ]
        for held in holdings:
            args += [held.room, held.token, held.present]
        status, settling, *lost = await self._heartbeat(args=args)
        if _text(status) == "conflict":
            raise NodeIdTaken(f"another live node already has NODE_ID={node}")
        self.settling = int(settling) / 1000
        return [_text(name) for name in lost]

    async def release(self, room: str, node: str, token: int) -> bool:
        """The owner lets its room go; False (nothing changed) when it is not the owner."""
        return bool(await self._release(args=[self._prefix, room, node, token]))

    async def leave(self, node: str) -> int:
        """The node stops: out of placement now, its rooms released; how many it held."""
        return int(await self._leave(args=[self._prefix, node, self.boot]))

    async def drain(self, node: str, draining: bool = True) -> bool:
        """No new rooms for the node while `draining` (its rooms go on); False when the node
        is not alive. Forgotten when the node's lease lapses: a node back from maintenance
        takes rooms again."""
        return bool(await self._drain(args=[self._prefix, node, "1" if draining else "0"]))

    async def take(self, task: str, holder: str, seconds: float) -> bool:
        """Whether node `holder` (this process of it) is the one to do `task`: the first to
        ask within `seconds`, or the first after its holder died or restarted, `TAKE_GRACE`
        after it took it at the earliest (a repair a node was doing when it was killed is not
        left for the rest of the `seconds`)."""
        args: list[str | int] = [
            self._prefix,
            task,
            holder,
            self.boot,
            int(seconds * 1000),
            int(TAKE_GRACE * 1000),
        ]
        return bool(await self._take(args=args))

    async def alive(self) -> set[str]:
        """The ids of the live nodes (two round trips, whatever their rooms)."""
        redis = cast(Any, self._redis)
        ids = [_text(raw) for raw in await redis.smembers(self._key("nodes"))]
        async with redis.pipeline(transaction=False) as pipe:
            for node in ids:
                pipe.exists(self._key("node", node))
            found = await pipe.execute()
        return {node for node, exists in zip(ids, found, strict=True) if exists}

    async def nodes(self) -> list[Node]:
        """The live nodes, by id."""
        redis = cast(Any, self._redis)
        found = []
        for raw in sorted(await redis.smembers(self._key("nodes"))):
            node = _text(raw)
            fields = await redis.hgetall(self._key("node", node))
            if b"url" not in fields:
                continue  # its lease lapsed meanwhile
            rooms = {}
            for held in sorted(await redis.smembers(self._key("node", node) + ":rooms")):
                name = _text(held)
                owner, present = await redis.hmget(self._key("room", name), "node", "present")
                if owner is not None and _text(owner) == node:
                    rooms[name] = int(present or 0)
            found.append(
                Node(
                    node,
                    _text(fields[b"url"]),
                    int(fields.get(b"capacity", 1)),
                    fields.get(b"draining") == b"1",
                    rooms,
                    int(fields.get(b"guests", 0)),
                )
            )
        return found

    def _key(self, kind: str, name: str = "") -> str:
        return f"{self._prefix}{kind}:{name}" if name else f"{self._prefix}{kind}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
