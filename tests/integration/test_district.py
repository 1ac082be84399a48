"""Nodes of one district on 127.0.0.1, each a whole server, with a real redis-server between
them: whichever node a page reaches, it lands in its room on the node that holds it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Role
from district.directory import Directory
from signaling.routing import DistrictRouter
from tests.redis_server import RedisServer
from tests.server_process import free_port

from .conftest import RunningServer, serving


@asynccontextmanager
async def district(
    tmp_path: Path, redis_server: RedisServer, nodes: int
) -> AsyncIterator[list[RunningServer]]:
    """`nodes` servers on one Redis (a fresh database of it) and one school database."""
    async with Redis.from_url(redis_server.url) as redis:
        await redis.flushdb()
    database = str(tmp_path / "school.sqlite3")
    async with AsyncExitStack() as stack:
        servers = []
        for i in range(nodes):
            port = free_port()
            servers.append(
                await stack.enter_async_context(
                    serving(
                        tmp_path / f"node{i}",
                        port=port,
                        database=database,
                        redis_url=redis_server.url,
                        node_id=f"node{i}",
                        node_url=f"http://127.0.0.1:{port}",
                    )
                )
            )
        yield servers


async def owner(room: str, redis_server: RedisServer) -> str | None:
    async with Redis.from_url(redis_server.url) as redis:
        placement = await Directory(redis).owner(room)
    return placement.node if placement is not None else None


def node_of(server: RunningServer) -> str:
    router = server.state.router
    assert isinstance(router, DistrictRouter)
    return router.node


async def test_joins_through_different_nodes_meet_in_one_room(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with district(tmp_path, redis_server, 3) as (a, b, c), AsyncExitStack() as stack:
        teacher = PublisherBot(b.url, b.token("teacher", Role.TEACHER))
        await stack.enter_async_context(teacher)
        await teacher.start()
        pupils = []
        for name, door in (("anna", a), ("boris", c), ("vera", b)):
            bot = SubscriberBot(door.url, door.token(name))
            await stack.enter_async_context(bot)
            await bot.join()
            pupils.append(bot)
        for bot in pupils:
            streams = await bot.wait_for_streams(2, packets=30, video_keyframe=True)
            assert sorted(s.kind for s in streams) == ["audio", "video"]
        # One room, where the first join (through b) placed it: on node0 (a), the first of
        # three equally empty nodes; b and c only relay.
        assert await owner("7b-maths", redis_server) == "node0"
        assert [node_of(s) for s in (a, b, c) if s.state.rooms.present("7b-maths")] == ["node0"]
        roster = a.state.rooms.present("7b-maths")
        assert roster is not None
        assert sorted(p.name for p in roster.participants.values()) == [
            "Anna",
            "Boris",
            "Teacher",
            "Vera",
        ]
