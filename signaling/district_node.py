"""This server as one node of a district (REDIS_URL): its router and its door, for as long as
the SFU runs. Without REDIS_URL nothing changes: every room is here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from redis.asyncio import Redis

from district.directory import Directory
from sfu.control import SfuControl

from .api_plumbing import COMPOSITIONS
from .cascade import CascadeSfu
from .config import Config
from .district_routes import DIRECTORY
from .door import Door
from .ended_rooms import EndedRooms
from .recording_repair import RecordingRepair
from .room_calls import ROOM_CALLS, node_key
from .routing import DistrictRouter
from .server_state import ServerState
from .sfu_link import LinkedSfu


@asynccontextmanager
async def district_node(
    app: web.Application, config: Config, state: ServerState, max_frame: int
) -> AsyncIterator[None]:
    """This node in the district for as long as it runs (nothing without REDIS_URL)."""
    if not config.redis_url:
        yield
        return

    # Timeouts: a Redis that stopped answering is an error the router acts on, not a hang.
    redis = Redis.from_url(config.redis_url, socket_timeout=2, socket_connect_timeout=2)
    directory = app[DIRECTORY] = Directory(redis)

    def present() -> dict[str, int]:
        """Each room here, counted by the people whose media this node carries: an event's
        viewers on other nodes' SFUs are those nodes' load (their `guests`)."""
        counts = state.rooms.head_counts()
        return {room: max(0, n - cascade.elsewhere(room)) for room, n in counts.items()}

    def guests() -> int:
        return sum(state.rooms.guests.values())

    router = DistrictRouter(
        directory,
        config.node_id,
        config.node_url,
        config.node_capacity,
        present,
        state.room_lost,
        guests,
    )
    # Before any room is placed here: what this node and dead nodes left is made whole.
    repair = RecordingRepair(
        config.data_dir / "recordings", config.node_id, directory, app[COMPOSITIONS]
    )
    await repair.start()
    door = Door(config.node_id, max_frame, node_key(config.secret))
    state.router, state.door = router, door
    calls = app[ROOM_CALLS]
    calls.router = router

    async def others() -> list[str]:
        return [n.url for n in await directory.nodes() if n.id != config.node_id]

    calls.nodes = others
    links: dict[str, LinkedSfu] = {}

    async def link(node: str) -> SfuControl | None:
        """The SFU of another live node, over one link kept while this node runs."""
        if node == config.node_id:
            return None
        if node not in links:
            url = next((n.url for n in await directory.nodes() if n.id == node), None)
            if url is None:
                return None
            links[node] = LinkedSfu(url, node_key(config.secret), state.rooms, lost)
        return links[node]

    closing: set[asyncio.Task[None]] = set()

    async def lost(linked: LinkedSfu) -> None:
        # Forgotten, not kept: the node may come back at another address (a restart, a move),
        # and the next watcher there looks it up again. Closed in a task of its own: this
        # runs in the link's reader, which its close waits for.
        for node in [n for n, known in links.items() if known is linked]:
            del links[node]
        task = asyncio.get_running_loop().create_task(linked.close())
        closing.add(task)
        task.add_done_callback(closing.discard)
        await cascade.edge_lost(linked)

    cascade = state.cascade = CascadeSfu(state.sfu, link, state.rooms.peer_failed)
    state.sfu = state.cascade
    await router.start()
    ended = EndedRooms(state)
    ended.start()
    try:
        yield
    finally:
        await ended.close()
        await repair.close()
        await router.close()
        await door.close()
        for linked in links.values():
            await linked.close()
        await asyncio.gather(*closing, return_exceptions=True)
        await redis.aclose()
