"""An event's live HLS on the real server: a performer bot publishes 720p video and Opus into
an event's room; the server starts the broadcast by itself, and its playlists and segments
are served under a signed key. The segments are checked with PyAV: two seconds each, H.264
1280x720 at 25 fps and AAC, numbered in sequence, the performer's picture in them. When the
event ends the playlist is closed and becomes the on-demand video."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import aiohttp
import av
import numpy as np

from bench.bots import PublisherBot
from classroom.models import SessionKind
from classroom.roles import Role
from recording.hls import Playlist
from signaling import api

from .conftest import serving

PLAYED = 9.0
"""Seconds the performer plays: four whole segments, and the delay before the first."""


async def fetch(http: aiohttp.ClientSession, url: str) -> tuple[int, bytes, dict[str, str]]:
    async with http.get(url) as response:
        return response.status, await response.read(), dict(response.headers)


def segment_facts(data: bytes) -> dict[str, object]:
    with av.open(io.BytesIO(data), format="mpegts") as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        facts: dict[str, object] = {
            "video": (
                video.codec_context.name,
                video.codec_context.width,
                video.codec_context.height,
            ),
            "audio": (audio.codec_context.name, audio.codec_context.channels),
        }
        frames = list(container.decode(video=0))
    facts["frames"] = len(frames)
    facts["brightest"] = max(float(np.mean(f.to_ndarray(format="gray"))) for f in frames)
    return facts


async def test_an_event_is_broadcast_over_hls_and_kept_as_video(tmp_path: Path) -> None:
    async with serving(tmp_path) as server, aiohttp.ClientSession() as http:
        classroom = server.app[api.CLASSROOM]
        admin = await classroom.create_school("Школа №5", "Анна", "anna", "admin-password-1")
        event = await classroom.create_session(admin, SessionKind.EVENT, "Концерт")
        await classroom.start_session(admin, event.id)
        keys = server.app[api.STREAM_KEYS]
        base = f"{server.url}/hls/{keys.key(event.id, 600)}"

        status, body, _ = await fetch(http, f"{base}/live.m3u8")
        assert status == 404  # nobody on the stage yet: nothing is broadcast

        token = server.token("performer", Role.TEACHER, room=event.id)
        async with PublisherBot(server.url, token) as performer:
            await performer.start()
            await asyncio.sleep(PLAYED)
            # Four segments were played; on a busy machine the encoder writes them late: wait
            # for three (what the assertions below are about), not for a fixed time.
            for _ in range(60):
                status, body, headers = await fetch(http, f"{base}/live.m3u8")
                if status != 200 or len(Playlist.parse(body.decode()).segments) >= 3:
                    break
                await asyncio.sleep(0.5)
            assert status == 200, body
            assert headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
            assert headers["Cache-Control"] == "public, max-age=1"
            live = Playlist.parse(body.decode())
            assert not live.ended
            assert len(live.segments) >= 3, body
            uris = [s.uri for s in live.segments]
            first = live.first_sequence
            assert uris == [f"segment{first + i:05d}.ts" for i in range(len(uris))]
            assert [s.duration for s in live.segments] == [2.0] * len(uris)

            status, data, headers = await fetch(http, f"{base}/{uris[-1]}")
            assert status == 200
            assert headers["Content-Type"] == "video/mp2t"
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            facts = segment_facts(data)
            assert facts["video"] == ("h264", 1280, 720)
            assert facts["audio"] == ("aac", 2)
            assert facts["frames"] == 50
            # The bench clip is a bright test pattern: the performer is on the picture, not
            # the black of an empty stage.
            assert isinstance(facts["brightest"], float) and facts["brightest"] > 60, facts

        # The host ends the event: the broadcast closes its playlist.
        await classroom.end_session(admin, event.id)
        await server.state.end_room(event.id)
        status, body, headers = await fetch(http, f"{base}/vod.m3u8")
        assert status == 200
        assert headers["Cache-Control"] == "public, max-age=3600"
        vod = Playlist.parse(body.decode())
        assert vod.ended and "#EXT-X-PLAYLIST-TYPE:VOD" in vod.header
        assert vod.first_sequence == 0
        assert [s.uri for s in vod.segments] == [
            f"segment{i:05d}.ts" for i in range(len(vod.segments))
        ]
        assert all(s.duration == 2.0 for s in vod.segments[:-1])
        total = sum(s.duration for s in vod.segments)
        assert PLAYED - 3 < total < PLAYED + 6, total
        for segment in vod.segments:
            status, data, _ = await fetch(http, f"{base}/{segment.uri}")
            assert status == 200 and segment_facts(data)["video"] == ("h264", 1280, 720)
        status, body, _ = await fetch(http, f"{base}/live.m3u8")
        window = Playlist.parse(body.decode())
        assert window.ended and len(window.segments) == min(6, len(vod.segments))
        assert window.first_sequence == len(vod.segments) - len(window.segments)

        # The school's people find the on-demand video through the REST API.
        async with http.post(
            f"{server.url}/api/auth/login", json={"login": "anna", "password": "admin-password-1"}
        ) as response:
            auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
        async with http.get(f"{server.url}/api/sessions/{event.id}/broadcast", headers=auth) as r:
            assert r.status == 200
            found = await r.json()
        assert (found["title"], found["state"]) == ("Концерт", "ended")
        assert found["playlist"].startswith(f"/hls/{event.id}.")
        assert found["playlist"].endswith("/vod.m3u8")
        lesson = await classroom.create_session(admin, SessionKind.STAFF_MEETING, "Педсовет")
        async with http.get(f"{server.url}/api/sessions/{lesson.id}/broadcast", headers=auth) as r:
            assert (r.status, (await r.json())["error"]["code"]) == (404, "not_found")

        # The key is the only secret: a forged one opens nothing, an old one has expired.
        forged = keys.key(event.id, 600)[:-4] + "0000"
        status, body, _ = await fetch(http, f"{server.url}/hls/{forged}/vod.m3u8")
        assert status == 404
        old = keys.key(event.id, 60, now=time.time() - 3600)
        status, body, _ = await fetch(http, f"{server.url}/hls/{old}/vod.m3u8")
        assert status == 403
        status, body, _ = await fetch(http, f"{base}/..%2Fschool.sqlite3")
        assert status == 404
