"""What the fuzzers found, each kept as a plain test: the request gets its documented error,
the server logs no failure, and the client carries on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from classroom.roles import Role

from .conftest import ROOM, RunningServer
from .offer import OFFER, OFFER_TRACKS


async def _joined_teacher(
    server: RunningServer, http: aiohttp.ClientSession
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(server.url + "/ws")
    await ws.send_json({"type": "join", "id": 1, "token": server.token("teacher", Role.TEACHER)})
    assert (await ws.receive_json(timeout=10))["type"] == "joined"
    return ws


async def _answer(ws: aiohttp.ClientWebSocketResponse, request: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json(request)
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=10)
        if "id" in message:
            return message


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        # aiortc's answer failed: ValueError: None is not in list (`internal`).
        (
            OFFER.replace("a=sendonly\r\n", "", 1),
            "m-line 0 states no direction (sendonly, recvonly, sendrecv or inactive)",
        ),
        # aiortc answered, then its connection task failed on an assertion (logged).
        (
            "\r\n".join(line for line in OFFER.split("\r\n") if "fingerprint" not in line),
            "m-line 0 has no DTLS fingerprint",
        ),
        (OFFER.replace("a=setup:actpass\r\n", ""), "m-line 0 has no DTLS role (a=setup)"),
    ],
)
async def test_an_offer_aiortc_cannot_answer_gets_bad_sdp_and_a_good_one_is_answered_after(
    server: RunningServer, caplog: pytest.LogCaptureFixture, broken: str, why: str
) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await _joined_teacher(server, http)
        offer = {"type": "publish_offer", "id": 2, "sdp": broken, "tracks": OFFER_TRACKS}
        assert await _answer(ws, offer) == {
            "type": "error",
            "id": 2,
            "code": "bad_sdp",
            "message": why,
        }
        answered = await _answer(ws, {**offer, "id": 3, "sdp": OFFER})
        assert (answered["type"], answered["id"]) == ("publish_answer", 3)
        await ws.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_who_comes_back_to_a_room_their_dropped_self_was_alone_in_is_seen_and_resumable(
    server: RunningServer,
) -> None:
    # Found by fuzzing (a reconnect while the room held only one's own dropped connection):
    # replacing it emptied the room, which was forgotten, and the new connection joined the
    # forgotten roster: pupils did not see the teacher, and resuming started afresh.
    token = server.token("teacher", Role.TEACHER)
    async with aiohttp.ClientSession() as http:
        dropped = await http.ws_connect(server.url + "/ws")
        first = await _answer(dropped, {"type": "join", "id": 1, "token": token})
        await dropped.close()  # no leave: away, within the grace period
        for _ in range(100):
            if server.state.absences.in_room(ROOM):
                break
            await asyncio.sleep(0.01)
        again = await http.ws_connect(server.url + "/ws")
        back = await _answer(again, {"type": "join", "id": 2, "token": token})
        assert back["type"] == "joined" and back["self"]["id"] != first["self"]["id"]

        pupil = await http.ws_connect(server.url + "/ws")
        seen = await _answer(pupil, {"type": "join", "id": 3, "token": server.token("pupil")})
        assert [p["id"] for p in seen["participants"]] == [back["self"]["id"]]

        third = await http.ws_connect(server.url + "/ws")
        resume = {"type": "join", "id": 4, "token": token, "resumeToken": back["resumeToken"]}
        resumed = await _answer(third, resume)
        assert (resumed["self"]["id"], resumed["resumed"]) == (back["self"]["id"], True)
        while (message := await again.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
            pass
        assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 4001)
        for ws in (pupil, third):
            await ws.close()
