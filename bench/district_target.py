"""The target "district": several nodes of our server sharing one Redis, joined through every
node in turn, as a load balancer in front of them would send people.

Each node is ``python -m signaling`` (``bench.server_process``) with ``REDIS_URL``, the same
``SECRET`` and school database, and its own ``NODE_ID``, port and data directory; the Redis is
a ``redis-server`` of the target's own (``bench.redis_server``). Nodes and Redis are pinned
together to the servers' core(s), so the bots keep theirs. A join that reaches a node other
than its room's is relayed there (signalling only; the media goes to the owner): the target
times each join and tells afterwards which went through a door, from the directory.

An event (``broadcast``) is made in the nodes' shared database (``bench.district_event``).
Its performer, the first to join, comes in through node0; its viewers through the nodes in
turn. A viewer relayed by a door watches from that door's node (its SFU, the stage piped
there from the node holding the room): the target tells from which node each viewer's media
comes, by the node whose processes hold the server's end of its connection (``groups``),
and reads each node's own counters around the window (``bench.node_metrics``): the pipes,
and the stage's packets arriving through them.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from district.directory import Directory

from . import node_metrics
from .accounting import process_tree, quiet, udp_ports
from .district_event import DistrictEvents
from .loadgen import percentile
from .node_metrics import Scrape
from .ours_target import OursParticipant, can_pin, open_participant
from .redis_server import RedisServer, running_redis
from .scenarios import key
from .server_process import ServerProcess, free_port
from .subscription import Feedback
from .target import JoinSpec, Participant
from .tokens import mint_token

READS = 3
"""Reads of the nodes' sockets until every viewer's server port is among them: a read of
/proc/net/udp is not atomic, and on a busy machine (other processes opening and closing
sockets) a line can be missed."""
NODE_IDS = "node{}"
"""A node's ``NODE_ID`` by its index: the directory breaks ties between equally loaded
nodes by id, so node0 takes the first room."""


@dataclass(frozen=True)
class DoorJoin:
    """How one join went: through which node, and how long it took."""

    room: str
    door: str
    """The node the bot reached (its ``NODE_ID``)."""
    join_s: float
    """From opening the WebSocket to the server's ``joined``."""
    ready_s: float
    """From opening the WebSocket to publishing done (= ``join_s`` for a bot that only
    receives)."""
    viewer: bool = False
    """An event's watch-only participant (its media may come from its door's node)."""


class DistrictTarget:
    """``nodes`` nodes of our server and their Redis on 127.0.0.1; ``cpu`` pins them all to a
    core or a ``taskset`` list of cores (None: unpinned); ``capacity`` sets each node's
    ``NODE_CAPACITY`` (None: the server's default)."""

    name = "district"

    def __init__(
        self,
        nodes: int,
        cpu: int | str | None = 0,
        *,
        feedback: Feedback | bool = "cheap",
        capacity: int | None = None,
    ) -> None:
        if nodes < 1:
            raise ValueError("a district has one node or more")
        self.nodes = nodes
        self.cpu = cpu if cpu is not None and can_pin() else None
        self.feedback = feedback
        self.capacity = capacity
        self.servers: list[ServerProcess] = []
        self.redis: RedisServer | None = None
        self.joins: list[DoorJoin] = []
        self._secret = secrets.token_urlsafe(32)
        self._data_dir: Path | None = None
        self._stack = ExitStack()
        self._client: Redis | None = None
        self._next_door = 0
        self._events: DistrictEvents | None = None
        self.watching: dict[str, str] = {}
        """Each event viewer (``room/identity``) → the node its media comes from."""
        self._metrics: list[Scrape | None] = []
        """Each node's counters as the window opened."""

    def server_pids(self) -> list[int]:
        """Every node's process tree and the Redis: all that serves the district."""
        pids = [pid for server in self.servers for pid in self._tree(server)]
        if self.redis is not None:
            pids.append(self.redis.process.pid)
        return pids

    async def start(self) -> None:
        self._data_dir = Path(tempfile.mkdtemp(prefix="bench-district-"))
        (self._data_dir / "redis").mkdir()
        self.redis = await asyncio.to_thread(
            self._stack.enter_context, running_redis(self._data_dir / "redis", cpu=self.cpu)
        )
        self._client = Redis.from_url(self.redis.url)
        self._events = DistrictEvents(
            self._secret, self._data_dir, self._data_dir / "school.sqlite3"
        )
        # One after another: the first node makes the shared school database's tables.
        for index in range(self.nodes):
            server = self._node(index, self.redis.url, self._data_dir)
            self.servers.append(server)
            await server.start()
        # The last node's SFU worker may still be importing, on the core the first joins
        # need (measured: ~0.4 s of it in the half second after three nodes said ready).
        await quiet(self.server_pids)

    async def stop(self) -> None:
        if self._events is not None:
            await self._events.stop()
            self._events = None
        # Nodes first: each leaves the directory as it stops, which needs the Redis.
        await asyncio.gather(*(s.stop() for s in self.servers), return_exceptions=True)
        self.servers.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await asyncio.to_thread(self._stack.close)
        self.redis = None
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    async def join(self, spec: JoinSpec) -> OursParticipant:
        """Join through the next node in turn (the door), whichever node holds the room."""
        if not self.servers:
            raise RuntimeError("the target is not started")
        index = self._next_door % len(self.servers)
        self._next_door += 1
        door = self.servers[index]
        room = spec.room
        if spec.event:
            assert self._events is not None
            token = await self._events.token(spec)
            room = self._events.room_of(spec.room) or room
        else:
            token = mint_token(self._secret, spec.identity, spec.room, role=spec.role)
        participant = await open_participant(door.url, token, spec, spec.feedback or self.feedback)
        done = time.monotonic()
        started = participant.join_started_at or done
        joined = participant.joined_at or started
        viewer = spec.event and spec.publish is None
        self.joins.append(
            DoorJoin(room, NODE_IDS.format(index), joined - started, done - started, viewer)
        )
        if spec.event and self._events is not None:
            await self._events.joined(spec.room, self._owner_url)
        return participant

    async def groups(self, members: list[tuple[JoinSpec, Participant]]) -> dict[str, str]:
        """Each event viewer's group (``room/identity`` → ``node1 (edge)``): the node its
        media comes from, found by the server's UDP ports its connection uses among each
        node's processes', and whether that node holds the room (origin) or not (edge).
        Read once media flows (after the warm-up); kept for ``extra_stats``."""
        viewers = [(s, p) for s, p in members if s.event and s.publish is None]
        wanted: dict[str, set[int]] = {}
        for spec, participant in viewers:
            ports = getattr(participant, "server_ports", None)
            wanted[key(spec)] = ports() if ports is not None else set()
        port_node: dict[int, str] = {}
        for _ in range(READS):
            port_node |= self._port_nodes()
            if all(ports & port_node.keys() for ports in wanted.values()):
                break
            await asyncio.sleep(0.1)
        owners: dict[str, str | None] = {}
        found: dict[str, str] = {}
        for spec, _participant in viewers:
            nodes = {port_node[p] for p in wanted[key(spec)] if p in port_node}
            node = nodes.pop() if len(nodes) == 1 else "unknown"
            room = (self._events.room_of(spec.room) if self._events else None) or spec.room
            if room not in owners:
                owners[room] = await self._owner(room)
            self.watching[key(spec)] = node
            where = "origin" if node == owners[room] else "edge"
            found[key(spec)] = node if node == "unknown" else f"{node} ({where})"
        return found

    def _port_nodes(self) -> dict[int, str]:
        """Each UDP port any node's processes hold → that node."""
        return {
            port: NODE_IDS.format(index)
            for index, server in enumerate(self.servers)
            for pid in self._tree(server)
            for port in udp_ports(pid)
        }

    async def window_opens(self) -> None:
        """Each node's counters now, for their rates over the window."""
        self._metrics = await self._scrape()

    async def extra_stats(self) -> dict[str, Any]:
        """Which node holds which room (the directory's word), each node's processes, and
        the joins direct against those through a door; for an event, each node's viewers
        (through its door, watching from it), its own counters over the window (pipes, the
        stage arriving at its SFU) and what the HLS clients got."""
        if self._client is None:
            return {}
        placed = {node.id: node for node in await Directory(self._client).nodes()}
        owner = {room: node.id for node in placed.values() for room in node.rooms}
        nodes = []
        for index, server in enumerate(self.servers):
            node_id = NODE_IDS.format(index)
            held = placed.get(node_id)
            nodes.append(
                {
                    "id": node_id,
                    "alive": held is not None,
                    "rooms": dict(sorted(held.rooms.items())) if held is not None else {},
                    # People of other nodes' rooms whose media it carries (an event's
                    # audience piped here), in its load as the directory counts it.
                    "guests": held.guests if held is not None else 0,
                    "pids": self._tree(server),
                }
            )
        redis = [self.redis.process.pid] if self.redis is not None else []
        after = await self._scrape()
        for index, node in enumerate(nodes):
            before = self._metrics[index] if index < len(self._metrics) else None
            node["metrics"] = node_metrics.window(before, after[index])
            node["viewers_through"] = sum(
                1 for j in self.joins if j.viewer and j.door == node["id"]
            )
            node["viewers_watching"] = sum(1 for n in self.watching.values() if n == node["id"])
        found: dict[str, Any] = {
            "district": {
                "nodes": nodes,
                "redis_pids": redis,
                "joins": door_joins(self.joins, owner),
            }
        }
        if self.watching:
            unknown = sum(1 for n in self.watching.values() if n == "unknown")
            found["district"]["viewers_unplaced"] = unknown
        hls = self._events.summary() if self._events is not None else None
        if hls is not None:
            found["hls"] = hls
        return found

    async def _owner(self, room: str) -> str | None:
        if self._client is None:
            return None
        placed = await Directory(self._client).owner(room)
        return placed.node if placed is not None else None

    async def _owner_url(self, room: str) -> str | None:
        """The bench's URL of the node holding ``room`` (the directory's word)."""
        node = await self._owner(room)
        for index, server in enumerate(self.servers):
            if NODE_IDS.format(index) == node:
                return server.url
        return None

    async def _scrape(self) -> list[Scrape | None]:
        async with aiohttp.ClientSession() as http:
            return list(
                await asyncio.gather(*(node_metrics.scrape(http, s.url) for s in self.servers))
            )

    def _node(self, index: int, redis_url: str, data_dir: Path) -> ServerProcess:
        port = free_port()
        env = {
            "REDIS_URL": redis_url,
            "NODE_ID": NODE_IDS.format(index),
            "NODE_URL": f"http://127.0.0.1:{port}",
            "DATABASE": str(data_dir / "school.sqlite3"),
            "DEMO_SCHOOL": "0",  # the bench's rooms are in no school: tokens are enough
        }
        if self.capacity is not None:
            env["NODE_CAPACITY"] = str(self.capacity)
        return ServerProcess(
            data_dir / NODE_IDS.format(index),
            port=port,
            cpu=self.cpu,
            extra_env=env,
            secret=self._secret,
        )

    @staticmethod
    def _tree(server: ServerProcess) -> list[int]:
        if server.pid is None:
            return []
        try:
            return process_tree(server.pid)
        except OSError:  # the node has exited
            return []


def door_joins(joins: list[DoorJoin], owner: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Joins that reached their room's node ("direct") against those relayed by another
    ("door"): how many, and ms to ``joined`` and to publishing done (p50, p95). A room the
    directory no longer places counts nowhere."""
    found: dict[str, dict[str, Any]] = {}
    for kind in ("direct", "door"):
        chosen = [
            j for j in joins if j.room in owner and (owner[j.room] == j.door) == (kind == "direct")
        ]
        found[kind] = {
            "joins": len(chosen),
            "join_ms_p50": _ms(percentile([j.join_s for j in chosen], 50)),
            "join_ms_p95": _ms(percentile([j.join_s for j in chosen], 95)),
            "ready_ms_p50": _ms(percentile([j.ready_s for j in chosen], 50)),
            "ready_ms_p95": _ms(percentile([j.ready_s for j in chosen], 95)),
        }
    return found


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
