"""A district node's router stops whatever its heartbeat is doing when the node stops."""

from __future__ import annotations

import asyncio
from typing import cast

from district.directory import Directory, Holding
from signaling.routing import DistrictRouter


class SlowDirectory:
    """A directory whose heartbeats wait until the test lets one answer."""

    settling = 0.0

    def __init__(self) -> None:
        self.answer = asyncio.Event()
        self.waiting = asyncio.Event()
        self.beats = 0
        self.left: list[str] = []

    async def heartbeat(
        self, node: str, url: str, capacity: int, holdings: list[Holding], guests: int
    ) -> list[str]:
        self.beats += 1
        if self.beats > 1:  # the start's own beat answers at once
            self.waiting.set()
            await self.answer.wait()
            self.answer.clear()
        return []

    async def leave(self, node: str) -> int:
        self.left.append(node)
        return 0


async def test_a_stop_that_comes_as_a_heartbeat_answers_stops_the_heartbeats() -> None:
    # The node stops in the very step in which Redis answers a heartbeat. Python 3.11's
    # `asyncio.wait_for` returned the answer then and dropped the cancellation: the
    # heartbeats went on and the node's stop waited for them for ever (a CI run hung).
    directory = SlowDirectory()
    router = DistrictRouter(
        cast(Directory, directory), "node0", "http://127.0.0.1:1", 10, dict, _lose
    )
    await router.start()
    await asyncio.wait_for(directory.waiting.wait(), 5)  # the loop's first heartbeat
    directory.answer.set()
    await asyncio.wait_for(router.close(), 5)
    assert directory.left == ["node0"]
    beats = directory.beats
    await asyncio.sleep(2.5)
    assert directory.beats == beats


async def _lose(room: str) -> None:
    raise AssertionError(f"no room was placed here, {room} cannot be lost")
