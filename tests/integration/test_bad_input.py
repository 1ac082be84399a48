"""Bad input gets its error code; the offender's connection and everyone's media live on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import jwt

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Grants, Role

from .conftest import ROOM, RunningServer


class RawClient:
    """A WebSocket client that can send anything, including what no real client would."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send_text(self, text: str) -> dict[str, Any]:
        await self.ws.send_str(text)
        return await self.reply()

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        return await self.send_text(json.dumps(message))

    async def reply(self) -> dict[str, Any]:
        """The next response or error, skipping room events."""
        while True:
            message = await self.ws.receive_json(timeout=10)
            if message["type"] in ("error", "ok", "joined", "publish_answer"):
                return dict(message)


def code(reply: dict[str, Any]) -> tuple[str, Any]:
    return reply.get("code", reply["type"]), reply.get("id")


async def test_each_bad_request_gets_its_code_while_media_keeps_flowing(
    server: RunningServer,
) -> None:
    async with (
        PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
        ) as teacher,
        SubscriberBot(server.url, server.token("watcher")) as watcher,
        aiohttp.ClientSession() as http,
    ):
        await teacher.start()
        await watcher.join()
        await watcher.wait_for_streams(2, packets=20)

        def received() -> int:
            return sum(s.packets for s in watcher.streams())

        before = received()
        ws = await http.ws_connect(server.url + "/ws", max_msg_size=0)
        raw = RawClient(ws)

        assert code(await raw.send({"type": "chat", "id": 1, "text": "hi"})) == ("not_joined", 1)
        forged = jwt.encode(
            {"sub": "x", "room": ROOM, "exp": 2**40}, "not-the-server-secret" * 2, "HS256"
        )
        assert code(await raw.send({"type": "join", "id": 2, "token": forged})) == ("bad_token", 2)
        expired = server.token("late-pupil", ttl=-10)
        assert code(await raw.send({"type": "join", "id": 3, "token": expired})) == (
            "token_expired",
            3,
        )
        resume = {"type": "join", "id": 31, "token": server.token("x"), "resumeToken": 7}
        assert code(await raw.send(resume)) == ("bad_message", 31)
        guest = server.token("guest", Role.GUEST, Grants(publish=False))
        assert (await raw.send({"type": "join", "id": 4, "token": guest}))["type"] == "joined"
        assert code(await raw.send({"type": "join", "id": 5, "token": guest})) == (
            "already_joined",
            5,
        )
        assert code(await raw.send_text("{this is not json")) == ("bad_json", None)
        assert code(await raw.send({"type": "teleport", "id": 6})) == ("unknown_type", 6)
        assert code(await raw.send({"type": "chat", "id": 7, "text": ["a"]})) == (
            "bad_message",
            7,
        )
        huge = json.dumps({"type": "chat", "id": 8, "text": "x" * 1_000_000})
        assert code(await raw.send_text(huge)) == ("frame_too_large", None)
        offer = {
            "type": "publish_offer",
            "id": 9,
            "sdp": "v=0\r\nm=video garbage\r\n",
            "tracks": [{"mid": "0", "source": "camera"}],
        }
        assert code(await raw.send(offer)) == ("not_allowed", 9)
        assert code(await raw.send({"type": "unpublish", "id": 10, "source": "camera"})) == (
            "bad_message",
            10,
        )
        assert code(await raw.send({"type": "subscribe_answer", "id": 11, "sdp": "v=0\r\nx"})) == (
            "bad_sdp",
            11,
        )
        # after all that, the same connection still works
        assert code(await raw.send({"type": "chat", "id": 12, "text": "still here"})) == ("ok", 12)

        # a pupil who may publish but sends garbage SDP gets bad_sdp, and can publish afterwards
        pupil = PublisherBot(server.url, server.token("pupil"), video_size=None)
        async with pupil:
            await pupil.join()
            pupil_ws = await http.ws_connect(server.url + "/ws")
            pupil_raw = RawClient(pupil_ws)
            pupil_token = server.token("pupil-2")
            assert (await pupil_raw.send({"type": "join", "id": 1, "token": pupil_token}))[
                "type"
            ] == "joined"
            assert code(await pupil_raw.send(offer)) == ("bad_sdp", 9)
            await pupil_ws.close()
            await pupil.publish()
            await watcher.wait_for_streams(3, packets=5)

        for _ in range(100):  # packets kept arriving after all that
            if received() > before + 200:
                break
            await asyncio.sleep(0.05)
        assert received() > before + 200
        assert all(s.lost == 0 for s in watcher.streams())
        errors = server.state.errors_sent
        for expected in (
            "not_joined",
            "bad_token",
            "token_expired",
            "already_joined",
            "bad_json",
            "unknown_type",
            "bad_message",
            "frame_too_large",
            "not_allowed",
            "bad_sdp",
        ):
            assert errors.get(expected, 0) >= 1, expected
        await ws.close()
