"""Recordings on storage a district shares: left unfinished by a dead node, each is made whole
by exactly one live node; one a live node is writing is never touched."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bench.redis_server import RedisServer
from district.directory import Directory
from recording.recovery import writer
from recording.sidecar import FORMAT, read_sidecar, write_sidecar
from recording.track_file import PART_SUFFIX, TrackFile
from signaling.compositions import Compositions
from signaling.recording_repair import RecordingRepair
from tests.unit.test_recording_recovery import video_frames

_prefixes = itertools.count()


@pytest.fixture
async def directory(redis_server: RedisServer) -> AsyncIterator[Directory]:
    async with Redis.from_url(redis_server.url) as redis:
        yield Directory(redis, f"repair{next(_prefixes)}:")


def cut_off_recording(root: Path, session: str, node: str | None) -> Path:
    """A recording whose writer died: a ".part" track, a sidecar never told it stopped."""
    folder = root / session / "20261206-050000-abcdef"
    folder.mkdir(parents=True)
    track = TrackFile(folder / "p1-camera-t1.webm", "video/VP8")
    for frame in video_frames(60):
        track.write(frame)
    track.close()
    track.join(30)
    finished = folder / "p1-camera-t1.webm"
    finished.rename(folder / ("p1-camera-t1.webm" + PART_SUFFIX))
    content = {
        "format": FORMAT,
        "room": session,
        "session": {"room": session, **({"node": node} if node else {})},
        "started": 1796533200.0,
        "stopped": None,
        "tracks": [
            {
                "id": "t1",
                "participant": "p1",
                "kind": "video",
                "source": "camera",
                "file": "p1-camera-t1.webm",
                "mime_type": "video/VP8",
                "first_arrival": 1796533200.0,
                "sender_clock": None,
            }
        ],
    }
    write_sidecar(folder, content)
    return folder


def stopped(folder: Path) -> bool:
    content = read_sidecar(folder)
    return content is not None and content.get("stopped") is not None


async def test_only_dead_writers_recordings_are_repaired_and_each_once(
    directory: Directory, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    await directory.heartbeat("node-a", "http://a", 100, [])  # alive, recording
    await directory.heartbeat("node-b", "http://b", 100, [])
    await directory.heartbeat("node-c", "http://c", 100, [])
    live = cut_off_recording(root, "lesson-1", "node-a")
    dead = cut_off_recording(root, "lesson-2", "node-dead")
    own = cut_off_recording(root, "lesson-3", "node-b")
    assert writer(dead) == "node-dead"
    b = RecordingRepair(root, "node-b", directory, Compositions(0))
    c = RecordingRepair(root, "node-c", directory, Compositions(0))
    alive = await directory.alive()
    # node-b starting: what it left itself before is its own to repair, nothing else yet.
    assert await b.sweep(alive, at_start=True) == [own]
    assert stopped(own) and not stopped(dead) and not stopped(live)

    done_b, done_c = await asyncio.gather(b.sweep(alive), c.sweep(alive))
    assert sorted([*done_b, *done_c]) == [dead]  # one of them, not both
    assert stopped(dead) and not list(dead.glob("*" + PART_SUFFIX))
    assert (dead / "p1-camera-t1.webm").exists()
    assert (dead / "p1.webm").exists()  # remuxed for playback, as after a stop
    assert not stopped(live) and list(live.glob("*" + PART_SUFFIX))
    assert await c.sweep(alive) == []  # done once: nothing is left to repair
