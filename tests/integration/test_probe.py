"""A pupil knocked down to the small layer is probed for room: padding comes on the RTX stream
while its estimate is held by what arrives, stops the moment the estimate falls, and once the
estimate has grown the larger layer comes back (sfu/probe.py).

The pupil's bot sends no REMB of its own ("cheap" feedback); the test writes it, as a
receiver's estimator would: held at ~1.5x what arrives, growing when padding arrives too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.rtp_stats import StreamStats
from bench.simulcast import load_simulcast
from classroom.roles import Role
from sfu import probe

from .conftest import RunningServer


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


def video(bot: SubscriberBot) -> StreamStats:
    return next(s for s in bot.streams() if s.kind == "video")


async def announce(bot: SubscriberBot, bitrate: int, seconds: float) -> None:
    """REMB every 200 ms for `seconds`, as Chrome repeats its estimate."""
    for _ in range(max(1, int(seconds / 0.2))):
        assert await bot.subscription.send_remb(bitrate)
        await asyncio.sleep(0.2)


async def spatial(server: RunningServer, bot: SubscriberBot) -> int:
    """The simulcast layer the server forwards `bot` (0: 240x135, 1: 480x270, 2: 960x540)."""
    for downlink in await server.state.sfu.downlinks():
        if downlink["peer"] == str(bot.participant_id):
            (only,) = downlink["videos"]
            return int(only["spatial"])
    raise AssertionError("no such subscriber")


@pytest.mark.timeout(120)
async def test_a_knocked_down_pupil_is_padded_back_up_and_a_full_link_stops_the_padding(
    server: RunningServer, stack: AsyncExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probe, "SETTLE", 2.0)  # (4 s in a lesson; the test need not wait)
    clips = await asyncio.to_thread(load_simulcast)
    teacher = PublisherBot(server.url, server.token("t1", role=Role.TEACHER), simulcast=clips)
    await stack.enter_async_context(teacher)
    await teacher.start()
    pupil = SubscriberBot(server.url, server.token("pupil"), feedback="cheap")
    await stack.enter_async_context(pupil)
    await pupil.join()
    await pupil.wait_for_streams(2, packets=30, video_keyframe=True)
    await asyncio.sleep(2.5)  # every layer's rate measured

    # The link carries 480x270 (~620 kbit/s with audio and overhead) for a while...
    await announce(pupil, 5_000_000, 0.4)
    await announce(pupil, 900_000, 6)
    assert await spatial(server, pupil) == 1
    # ...then its estimate falls to 450 kbit/s: 240x135 (~260) fits, 480x270 does not.
    stream = video(pupil)
    before = stream.rtx_packets
    await announce(pupil, 450_000, 3)
    assert await spatial(server, pupil) == 0
    await announce(pupil, 450_000, 4)  # settled: a try pads the link
    padded = stream.rtx_packets - before
    counters = await server.counters()
    assert counters["downlink_probes"] == 1, counters
    # Up to 1.1 x 450 kbit/s in all, 20 bursts a second: tens of padding packets a second.
    assert padded >= 40 and counters["padding_packets"] >= padded, (padded, counters)
    assert stream.rtx_recovered == 0 and stream.lost == 0  # padding recovers nothing

    # The estimate falls while padding: the link is full; the padding stops at once.
    await announce(pupil, 380_000, 0.4)
    stopped = stream.rtx_packets
    await announce(pupil, 380_000, 2)
    assert stream.rtx_packets == stopped
    assert (await server.counters())["downlink_probes"] == 1  # backing off

    # The estimate grows (as one fed by padding would): 480x270 comes back.
    await announce(pupil, 900_000, 3)
    assert await spatial(server, pupil) == 1
