"""A join storm: 200 joins in 10 s, and 200 at once (many identities in a few rooms, signalling
only) against `python -m signaling` as deployed (its SFU in worker processes). Every join is
answered `joined`, everyone learns of everyone in their room, and the server stays healthy."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from classroom.roles import Role, default_grants
from signaling.auth import TokenIssuer
from tests.server_process import running_server

SECRET = "join-storm-secret-0123456789abcdef"
ROOMS = 4
PER_ROOM = 50
"""Half the default participant limit (100): no join is refused for a full room."""
ANSWERED_WITHIN = 10.0
"""Seconds any one join may wait for its answer."""


@dataclass
class Member:
    """One storm participant's socket, and all it received."""

    identity: str
    ws: aiohttp.ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.received.append(json.loads(message.data))
                self.changed.set()

    async def answer(self, request_id: str) -> dict[str, Any]:
        async with asyncio.timeout(ANSWERED_WITHIN):
            while True:
                found = [m for m in self.received if m.get("id") == request_id]
                if found:
                    return found[0]
                self.changed.clear()
                await self.changed.wait()

    def others_known(self) -> set[str]:
        """Participant ids this member learnt of: in its `joined`, or joining after it."""
        (joined,) = [m for m in self.received if m["type"] == "joined"]
        present = {p["id"] for p in joined["participants"]}
        later = {m["participant"]["id"] for m in self.received if m["type"] == "participant_joined"}
        return present | later


async def _join(
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    identity: str,
    readers: set[asyncio.Task[None]],
) -> tuple[Member, dict[str, Any], float]:
    started = time.monotonic()
    member = Member(identity, await http.ws_connect(url + "/ws"))
    reader = asyncio.create_task(member.read())
    readers.add(reader)
    await member.ws.send_json({"type": "join", "id": "join", "token": token})
    answer = await member.answer("join")
    return member, answer, time.monotonic() - started


@pytest.mark.parametrize("storm", [10.0, 0.0], ids=["in 10 s", "at once"])
async def test_200_joins_are_all_answered_and_the_server_stays_healthy(
    storm: float, tmp_path: Path
) -> None:
    """`storm`: the seconds over which the joins are sent, evenly."""
    issuer = TokenIssuer(SECRET)
    people = [
        (f"storm-{room}", f"pupil-{room}-{n}")
        for n, room in itertools.product(range(PER_ROOM), range(ROOMS))
    ]
    readers: set[asyncio.Task[None]] = set()
    with running_server(tmp_path, SECRET=SECRET) as server:
        await asyncio.to_thread(
            server.wait_for, lambda out: any("Server ready" in o for o in out) or None, "ready"
        )
        # No limit on connections (aiohttp's is 100; each socket holds one).
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            began = time.monotonic()

            async def one(
                at: float, room: str, identity: str
            ) -> tuple[Member, dict[str, Any], float]:
                await asyncio.sleep(at)
                token = issuer.issue(
                    identity, identity, room, Role.PUPIL, default_grants(Role.PUPIL), 600
                )
                return await _join(http, server.base_url, token, identity, readers)

            spacing = storm / len(people)
            joins = await asyncio.gather(
                *(one(i * spacing, room, who) for i, (room, who) in enumerate(people))
            )
            took = time.monotonic() - began
            latencies = sorted(latency for _, _, latency in joins)
            print(
                f"\nJoin storm: {len(joins)} joins in {took:.1f} s; answer within "
                f"{latencies[len(latencies) // 2] * 1000:.0f} ms (median), "
                f"{latencies[-1] * 1000:.0f} ms (slowest)"
            )
            answers = [answer for _, answer, _ in joins]
            assert [a["type"] for a in answers] == ["joined"] * len(people), [
                a for a in answers if a["type"] != "joined"
            ]
            assert took < storm + ANSWERED_WITHIN

            # Everyone in a room knows everyone else there (a probe: its answer comes after
            # every event already sent).
            members = [member for member, _, _ in joins]
            for member in members:
                await member.ws.send_json({"type": "storm-probe", "id": "probe"})
            await asyncio.gather(*(member.answer("probe") for member in members))
            ids = {member.identity: a["self"]["id"] for member, a, _ in joins}
            for room in range(ROOMS):
                in_room = [m for m in members if m.identity.startswith(f"pupil-{room}-")]
                everyone = {ids[m.identity] for m in in_room}
                for member in in_room:
                    assert member.others_known() == everyone - {ids[member.identity]}
            for member in members:
                errors = [m for m in member.received if m["type"] == "error"]
                assert [e["code"] for e in errors] == ["unknown_type"]  # the probe's

            # Healthy after: /healthz, a new join in a stormed room, and no fault counted.
            async with http.get(server.base_url + "/healthz") as health:
                assert (health.status, await health.json()) == (200, {"status": "ok"})
            late_token = issuer.issue(
                "late", "Late", "storm-0", Role.TEACHER, default_grants(Role.TEACHER), 600
            )
            late, answer, _ = await _join(http, server.base_url, late_token, "late", readers)
            assert answer["type"] == "joined"
            assert len(answer["participants"]) == PER_ROOM
            async with http.get(server.base_url + "/metrics") as metrics:
                text = await metrics.text()
            assert 'classroom_protocol_errors_total{code="internal"}' not in text
            for member in [*members, late]:
                await member.ws.close()
            await asyncio.gather(*readers)
    output = "".join(server.output)
    assert "Traceback" not in output and " ERROR " not in output, output[-5000:]
