"""`kill -9` of the server in the middle of a recorded lesson: after a restart the recording is
whole again (no ".part" left, every file plays, the sidecar says it stopped and was recovered)
and lacks at most the last two seconds before the kill."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import av

from bench.bots import PublisherBot
from classroom.roles import Role, default_grants
from signaling.auth import TokenIssuer
from tests.server_process import running_server

SECRET = "crash-test-secret-0123456789abcdef0123"
ROOM = "crash-lesson"
LOST_AT_MOST = 2.0


def token(identity: str, role: Role) -> str:
    return TokenIssuer(SECRET).issue(
        identity, identity.title(), ROOM, role, default_grants(role), ttl=600
    )


def seconds_in(path: Path) -> tuple[int, float]:
    """Frames that decode, and the seconds from the first to the end of the last."""
    with av.open(str(path)) as container:
        stream = container.streams[0]
        frames = [f for f in container.decode(stream)]
        assert frames
        first, last = frames[0], frames[-1]
        assert first.pts is not None and last.pts is not None and first.time_base is not None
        end = float(last.pts * first.time_base) + (1 / 30 if stream.type == "video" else 0.02)
        return len(frames), end - float(first.pts * first.time_base)


async def test_a_recording_survives_kill_9_of_the_server(tmp_path: Path) -> None:
    env = {"SECRET": SECRET, "SFU_WORKERS": "0"}  # the recorder's threads die with it
    with running_server(tmp_path, **env) as server:
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        teacher = PublisherBot(
            server.base_url, token("teacher", Role.TEACHER), video_size=(640, 360)
        )
        pupil = PublisherBot(server.base_url, token("pupil", Role.PUPIL), video_size=None)
        async with teacher, pupil:
            await teacher.start()
            await pupil.start()
            reply = await teacher.signal.request({"type": "start_recording"})
            await asyncio.sleep(6.0)
            killed_at = time.time()
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
    directory = tmp_path / "recordings" / ROOM / reply["recordingId"]
    assert list(directory.glob("*.part")), "nothing was left unfinished: no crash to recover"
    before = json.loads((directory / "recording.json").read_text())
    assert before["stopped"] is None

    with running_server(tmp_path, **env) as server:  # the restart recovers before it serves
        server.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
        log = "".join(server.output)
    assert "recovered the recording" in log

    assert list(directory.glob("*.part")) == []
    after = json.loads((directory / "recording.json").read_text())
    assert after["recovered"] is True and after["stopped"] is not None
    tracks = after["tracks"]
    assert sorted(t["kind"] for t in tracks) == ["audio", "audio", "video"]
    for track in tracks:
        frames, duration = seconds_in(directory / track["file"])
        assert frames == track["frames"]
        assert abs(duration - track["duration"]) < 0.1
        # What the file holds reaches to within two seconds of the kill.
        assert track["first_arrival"] + duration >= killed_at - LOST_AT_MOST, track
