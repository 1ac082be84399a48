"""Rooms spread over several SFU processes; bots notice nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Role
from sfu.errors import Closed
from sfu.process import SfuProcess
from sfu.shards import ShardedSfu

from ..unit.test_wire import NoEvents
from .conftest import RunningServer, serving


@pytest.fixture
async def two_workers(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with serving(tmp_path, sfu_workers=2) as running:
        yield running


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
        # A downlink too narrow for the (unlayered) video: the worker pauses it and the event
        # crosses the pipe to that pupil's socket.
        narrow = bots[1]
        await narrow.subscription.send_remb(2_000_000)  # ramp-up, then congestion
        for _ in range(60):  # a REMB every 250 ms; the pause comes after 1.5 s of doubt
            await narrow.subscription.send_remb(60_000)
            if any(m.get("type") == "video_quality" for m in narrow.signal.events):
                break
            await asyncio.sleep(0.25)
        quality = [m for m in narrow.signal.events if m.get("type") == "video_quality"]
        assert [m["quality"] for m in quality] == ["paused"]
        # The forwarded layer follows the choice at the next frame's start.
        for _ in range(100):
            downlinks = {d["peer"]: d for d in await sfu.downlinks()}
            if [v["layer"] for v in downlinks[narrow.participant_id]["videos"]] == [-1]:
                break
            await asyncio.sleep(0.05)
        assert len(downlinks) == 4
        assert downlinks[narrow.participant_id]["budget"] == 60_000
        assert [v["layer"] for v in downlinks[narrow.participant_id]["videos"]] == [-1]
        assert [v["layer"] for v in downlinks[bots[3].participant_id]["videos"]] == [2]
    finally:
        for bot in bots:
            await bot.close()


async def test_everyone_joining_a_worker_hosted_lesson_receives_the_teacher(
    tmp_path: Path,
) -> None:
    """The worker's subscribe offer for a joiner can overtake the reply to its add_peer;
    it used to be dropped, and that pupil received no one (CI, 1 run in about 10)."""
    async with serving(tmp_path, sfu_workers=1) as server:
        teacher = PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
        )
        pupils = [SubscriberBot(server.url, server.token(f"pupil-{n}")) for n in range(8)]
        try:
            await teacher.start()
            for pupil in pupils:
                await pupil.join()
            for pupil in pupils:
                streams = await pupil.wait_for_streams(2, packets=10, video_keyframe=True)
                assert sorted(s.kind for s in streams) == ["audio", "video"]
                offers = [m for m in pupil.signal.events if m["type"] == "subscribe_offer"]
                assert offers, "no subscribe offer"
        finally:
            for bot in [teacher, *pupils]:
                await bot.close()


async def test_a_worker_is_started_only_once_it_has_imported_and_takes_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A node that said it was up before its worker had imported would be placed rooms whose
    # first calls wait seconds behind the import.
    mark = tmp_path / "serving"
    monkeypatch.setenv("SLOW_WORKER_MARK", str(mark))
    worker = SfuProcess(["127.0.0.1"], NoEvents(), module="tests.integration.slow_worker")
    try:
        await worker.start()
        assert mark.read_text() == "serving"
        await worker.open_room("5a-history")
        await worker.close_room("5a-history")
    finally:
        await worker.close()


async def test_a_worker_that_exits_before_it_is_ready_fails_the_start() -> None:
    worker = SfuProcess(["127.0.0.1"], NoEvents(), module="sfu.no_such_worker")
    with pytest.raises(Closed, match="exited before it was ready"):
        await worker.start()
    await worker.close()
