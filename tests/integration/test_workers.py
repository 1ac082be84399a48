"""Rooms spread over several SFU processes; bots notice nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Role
from sfu.process import SfuProcess
from sfu.shards import ShardedSfu
from signaling.app import create_app
from signaling.config import Config

from .conftest import RunningServer, free_port


@pytest.fixture
async def two_workers(tmp_path: Path) -> AsyncIterator[RunningServer]:
    config = Config(
        port=free_port(),
        data_dir=tmp_path,
        secret="integration-secret-0123456789abcdef",
        sfu_workers=2,
    )
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, config.host, config.port).start()
    try:
        yield RunningServer(config.base_url, config, app)
    finally:
        await runner.cleanup()


async def test_two_lessons_land_on_two_processes_and_both_forward(
    two_workers: RunningServer,
) -> None:
    server = two_workers
    sfu = server.state.sfu
    assert isinstance(sfu, ShardedSfu)
    workers = [w for w in sfu.shards if isinstance(w, SfuProcess)]
    assert len(workers) == 2 and workers[0].pid != workers[1].pid
    bots = []
    try:
        for room in ("5a-history", "9b-physics"):
            teacher = PublisherBot(
                server.url,
                server.token(f"teacher-{room}", Role.TEACHER, room=room),
                video_size=(640, 360),
            )
            pupil = SubscriberBot(server.url, server.token(f"pupil-{room}", room=room))
            bots += [teacher, pupil]
            await teacher.start()
            await pupil.join()
        for pupil in bots[1::2]:
            streams = await pupil.wait_for_streams(2, packets=30, video_keyframe=True)
            assert sorted(s.kind for s in streams) == ["audio", "video"]
        per_worker = [await w.stats() for w in workers]
        assert [s["rooms"] for s in per_worker] == [1, 1]
        assert all(s["packets_out"] > 30 for s in per_worker)
        total = await sfu.stats()
        assert total["rooms"] == 2 and total["peers"] == 4
    finally:
        for bot in bots:
            await bot.close()
