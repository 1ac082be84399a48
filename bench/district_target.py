"""The target "district": several nodes of our server sharing one Redis, joined through every
node in turn, as a load balancer in front of them would send people.

Each node is ``python -m signaling`` (``bench.server_process``) with ``REDIS_URL``, the same
``SECRET`` and school database, and its own ``NODE_ID``, port and data directory; the Redis is
a ``redis-server`` of the target's own (``bench.redis_server``). Nodes and Redis are pinned
together to the servers' core(s), so the bots keep theirs. A join that reaches a node other
than its room's is relayed there (signalling only; the media goes to the owner): the target
times each join and tells afterwards which went through a door, from the directory.
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

from redis.asyncio import Redis

from district.directory import Directory

from .accounting import process_tree, quiet
from .loadgen import percentile
from .ours_target import OursParticipant, can_pin, open_participant
from .redis_server import RedisServer, running_redis
from .server_process import ServerProcess, free_port
from .subscription import Feedback
from .target import JoinSpec
from .tokens import mint_token

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
        # One after another: the first node makes the shared school database's tables.
        for index in range(self.nodes):
            server = self._node(index, self.redis.url, self._data_dir)
            self.servers.append(server)
            await server.start()
        # The last node's SFU worker may still be importing, on the core the first joins
        # need (measured: ~0.4 s of it in the half second after three nodes said ready).
        await quiet(self.server_pids)

    async def stop(self) -> None:
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
        if spec.event:
            raise ValueError("the district bench runs lessons, not events")
        index = self._next_door % len(self.servers)
        self._next_door += 1
        door = self.servers[index]
        token = mint_token(self._secret, spec.identity, spec.room, role=spec.role)
        participant = await open_participant(door.url, token, spec, spec.feedback or self.feedback)
        done = time.monotonic()
        started = participant.join_started_at or done
        joined = participant.joined_at or started
        self.joins.append(
            DoorJoin(spec.room, NODE_IDS.format(index), joined - started, done - started)
        )
        return participant

    async def extra_stats(self) -> dict[str, Any]:
        """Which node holds which room (the directory's word), each node's processes, and
        the joins direct against those through a door."""
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
                    "pids": self._tree(server),
                }
            )
        redis = [self.redis.process.pid] if self.redis is not None else []
        return {
            "district": {
                "nodes": nodes,
                "redis_pids": redis,
                "joins": door_joins(self.joins, owner),
            }
        }

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
