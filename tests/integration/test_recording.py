"""A teacher records a lesson on a real server: everyone is told, every track is written as it
arrives (untranscoded) with a sidecar saying whose each file is, and the files play. Only
hosts may record; stopping what is not recording is refused; the last one out finishes it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import av
import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.signal_client import SignalError
from classroom.roles import Role
from recording.timeline import read_timeline

from .conftest import ROOM, RunningServer, serving


def sidecar(server: RunningServer, recording_id: str) -> dict[str, Any]:
    path = server.config.data_dir / "recordings" / ROOM / recording_id / "recording.json"
    content: dict[str, Any] = json.loads(path.read_text())
    return content


def decoded(path: Path) -> tuple[int, float, tuple[int, int] | int]:
    """Frames decoded, seconds the container says, and the picture size (or channels)."""
    with av.open(str(path)) as container:
        stream = container.streams[0]
        frames = sum(1 for _ in container.decode(stream))
        assert container.duration is not None
        shape: tuple[int, int] | int = (
            (stream.width, stream.height) if stream.type == "video" else stream.channels
        )
        return frames, container.duration / 1_000_000, shape


async def record_a_lesson(server: RunningServer, seconds: float) -> tuple[str, dict[str, Any]]:
    async with (
        PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
        ) as teacher,
        PublisherBot(server.url, server.token("anna"), video_size=None) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
    ):
        await teacher.start()
        await anna.start()
        await boris.join()
        await boris.wait_for_streams(3, packets=20, video_keyframe=True)
        assert boris.joined["recording"] is False

        reply = await teacher.signal.request({"type": "start_recording"})
        recording_id = reply["recordingId"]
        assert reply == {"type": "ok", "id": reply["id"], "recordingId": recording_id}
        assert await boris.signal.wait_for("recording") == {"type": "recording", "on": True}
        again = await teacher.signal.request({"type": "start_recording"})
        assert again["recordingId"] == recording_id  # already on: the same recording

        await asyncio.sleep(seconds / 2)
        await boris.signal.chat("Можно вопрос?")
        await asyncio.sleep(seconds / 2)
        reply = await teacher.signal.request({"type": "stop_recording"})
        assert reply == {"type": "ok", "id": reply["id"], "recordingId": recording_id, "tracks": 3}
        assert await boris.signal.wait_for("recording", lambda e: not e["on"]) == {
            "type": "recording",
            "on": False,
        }
        return recording_id, sidecar(server, recording_id)


def check_files(server: RunningServer, recording_id: str, content: dict[str, Any]) -> None:
    directory = server.config.data_dir / "recordings" / ROOM / recording_id
    events = read_timeline(directory)
    assert [e["type"] for e in events] == ["present", "recording", "chat", "recording"]
    present, started, chat, stopped = events
    assert sorted(p["name"] for p in present["participants"]) == ["Anna", "Boris", "Teacher"]
    assert chat["text"] == "Можно вопрос?" and chat["from"]["name"] == "Boris"
    assert (started["on"], stopped["on"]) == (True, False)
    assert content["started"] <= chat["at"] <= content["stopped"]
    assert sorted(p.name for p in directory.iterdir() if p.suffix == ".part") == []
    tracks = content["tracks"]
    assert sorted((t["kind"], t["source"]) for t in tracks) == [
        ("audio", "microphone"),
        ("audio", "microphone"),
        ("video", "camera"),
    ]
    assert content["room"] == ROOM and content["session"]["recording"] == recording_id
    assert content["stopped"] is not None and content["stopped"] > content["started"]
    for track in tracks:
        frames, duration, shape = decoded(directory / track["file"])
        assert frames == track["frames"] > 0
        assert duration == pytest.approx(track["duration"], abs=0.05)
        assert track["first_arrival"] is not None and track["sender_clock"] is not None
        if track["kind"] == "video":
            assert shape == (640, 360)
            assert duration == pytest.approx(content["stopped"] - track["first_arrival"], abs=1.0)
        else:
            assert shape == 1  # the bots' Opus is mono, and the file says so


async def test_a_teacher_records_the_lesson_and_every_track_plays(server: RunningServer) -> None:
    recording_id, content = await record_a_lesson(server, 4.0)
    check_files(server, recording_id, content)


async def test_recording_through_an_sfu_worker_process(tmp_path: Path) -> None:
    async with serving(tmp_path, sfu_workers=1) as server:
        recording_id, content = await record_a_lesson(server, 3.0)
        check_files(server, recording_id, content)


async def test_only_hosts_record_and_stopping_nothing_is_refused(server: RunningServer) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("anna")) as anna,
    ):
        await teacher.join()
        await anna.join()
        with pytest.raises(SignalError) as refused:
            await anna.signal.request({"type": "start_recording"})
        assert refused.value.code == "not_host"
        with pytest.raises(SignalError) as nothing:
            await teacher.signal.request({"type": "stop_recording"})
        assert nothing.value.code == "not_recording"
        # The connection and the room carry on after both refusals.
        await teacher.signal.request({"type": "start_recording"})
        assert await anna.signal.wait_for("recording") == {"type": "recording", "on": True}


async def test_the_last_one_out_finishes_the_recording(server: RunningServer) -> None:
    async with PublisherBot(
        server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
    ) as teacher:
        await teacher.start()
        reply = await teacher.signal.request({"type": "start_recording"})
        await asyncio.sleep(2.0)
        await teacher.signal.leave()
    # The teacher left: the room closed, and its recording with it.
    for _ in range(50):
        content = sidecar(server, reply["recordingId"])
        if content["stopped"] is not None:
            break
        await asyncio.sleep(0.1)
    assert content["stopped"] is not None
    assert [t["kind"] for t in content["tracks"]].count("video") == 1
    assert all(t["frames"] for t in content["tracks"])
