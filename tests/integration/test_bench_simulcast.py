"""A bench bot publishes its camera in three sizes (q/h/f, as the web client does), and each
subscriber bot gets the size it says it shows: the decoded picture proves which layer came."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aiohttp
import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.impairment import Impairment
from bench.janus import JanusTarget
from bench.media import load_audio
from bench.relay import UdpRelay
from bench.rtcp_bytes import PSFB_PLI
from bench.rtp_stats import StreamStats
from bench.simulcast import CAMERA_LAYERS, load_simulcast
from bench.target import JoinSpec, PublishSpec
from classroom.roles import Role

from .conftest import RunningServer


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


def camera_track(bot: SubscriberBot) -> str:
    return next(str(t["trackId"]) for t in bot.subscription.tracks.values() if t["kind"] == "video")


async def decoded_size(bot: SubscriberBot, size: tuple[int, int], within: float) -> tuple[int, int]:
    """Wait until ``bot``'s latest decoded camera picture is ``size``; return the last seen."""
    seen = (0, 0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        video = [d for d in bot.subscription.decoded.values() if d.kind == "video"]
        if video and video[0].width is not None and video[0].height is not None:
            seen = (video[0].width, video[0].height)
            if seen == size:
                return seen
        await asyncio.sleep(0.1)
    return seen


async def metric_widths(server: RunningServer) -> dict[str, float]:
    """``classroom_subscriber_video_width`` by participant id."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/metrics") as response,
    ):
        text = await response.text()
    widths = {}
    for line in text.splitlines():
        if line.startswith("classroom_subscriber_video_width{"):
            labels, value = line.rsplit(" ", 1)
            participant = labels.split('participant="')[1].split('"')[0]
            widths[participant] = float(value)
    return widths


@pytest.mark.timeout(120)
async def test_a_simulcast_bot_is_received_in_the_size_each_page_shows(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    clips = await asyncio.to_thread(load_simulcast)  # cached after the first run (~10-30 s)
    pupils = {}
    for name in ("small", "middle", "large"):
        bot = SubscriberBot(server.url, server.token(name), decode=True)
        await stack.enter_async_context(bot)
        await bot.join()
        pupils[name] = bot
    teacher = PublisherBot(server.url, server.token("t1", role=Role.TEACHER), simulcast=clips)
    await stack.enter_async_context(teacher)
    await teacher.start()
    for bot in pupils.values():
        await bot.wait_for_streams(2, video_keyframe=True)
    track = camera_track(pupils["small"])
    await pupils["small"].signal.request({"type": "set_video_sizes", "sizes": {track: [240, 135]}})
    await pupils["middle"].signal.request({"type": "set_video_sizes", "sizes": {track: [480, 270]}})
    # "large" names no size: a track not named comes in its largest.

    # The three layers went out as three RTP streams with their own SSRCs.
    layers = teacher.publication.simulcast
    assert layers is not None
    assert [layer.rid for layer in layers.layers] == ["q", "h", "f"]
    assert len({layer.sender._ssrc for layer in layers.layers}) == 3

    assert await decoded_size(pupils["small"], (240, 135), 20) == (240, 135)
    assert await decoded_size(pupils["middle"], (480, 270), 20) == (480, 270)
    assert await decoded_size(pupils["large"], (960, 540), 20) == (960, 540)
    widths = await metric_widths(server)
    by_pupil = {name: widths.get(str(bot.participant_id)) for name, bot in pupils.items()}
    assert by_pupil == {"small": 240, "middle": 480, "large": 960}
    # Still so a few seconds on: nobody was moved off their layer.
    await asyncio.sleep(3)
    for (name, bot), layer in zip(pupils.items(), CAMERA_LAYERS, strict=True):
        size = (layer.width, layer.height)
        assert await decoded_size(bot, size, 1) == size, name

    # A keyframe request naming one layer's SSRC makes that layer alone jump.
    before = [layer.track.counters.keyframe_requests for layer in layers.layers]
    middle = layers.layers[1]
    pli = bytes([0x81, 206, 0, 2]) + (1).to_bytes(4, "big") + middle.sender._ssrc.to_bytes(4, "big")
    assert pli[1] == 206 and pli[0] & 0x1F == PSFB_PLI
    teacher.publication._on_rtcp_data(pli)
    after = [layer.track.counters.keyframe_requests for layer in layers.layers]
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 1, 0]


def last_picture(stream: StreamStats) -> tuple[int, int]:
    """The size of the latest complete keyframe ``stream`` received (0x0: none)."""
    assert stream.assembly is not None
    sizes = [(f.head.width, f.head.height) for f in stream.assembly.frames if f.head.width]
    return sizes[-1] if sizes else (0, 0)


@pytest.mark.timeout(90)
async def test_janus_forwards_the_substream_each_page_asks_for() -> None:
    clips = await asyncio.to_thread(load_simulcast)
    audio = await asyncio.to_thread(load_audio)
    target = JanusTarget()
    await target.start()
    try:
        publish = PublishSpec(video=None, audio=audio, simulcast=clips)
        teacher = await target.join(JoinSpec("7b", "teacher", role="teacher", publish=publish))
        pupils = [
            await target.join(JoinSpec("7b", f"pupil-{layer}", substream=layer))
            for layer in range(3)
        ]
        for pupil, layer in zip(pupils, CAMERA_LAYERS, strict=True):
            size = (layer.width, layer.height)
            async with asyncio.timeout(15):
                while True:
                    video = [s for s in pupil.streams() if s.kind == "video"]
                    if video and last_picture(video[0]) == size:
                        break
                    await asyncio.sleep(0.1)
            assert len(video) == 1  # one stream per subscriber, whatever the layer
        # Janus asked the publisher's layers for keyframes, one SSRC each.
        assert teacher.publication is not None and teacher.publication.simulcast is not None
        requests = teacher.publication.summary()["camera_layers"]
        assert set(requests) == {"q", "h", "f"}
        assert all(r["keyframe_requests"] >= 1 for r in requests.values()), requests
    finally:
        await target.stop()


@pytest.mark.timeout(90)
async def test_a_lossy_uplink_is_repaired_in_every_layer(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    """The server NACKs each layer's SSRC; the bot answers on that layer's RTX SSRC with the
    repaired RID, which the server must map back to the layer: subscribers see no loss."""
    clips = await asyncio.to_thread(load_simulcast)
    relay = UdpRelay(up_impairment=Impairment(loss=0.03), seed=3)
    stack.push_async_callback(relay.close)
    pupils = []
    for name in ("small", "middle", "large"):
        bot = SubscriberBot(server.url, server.token(name), feedback="cheap")
        await stack.enter_async_context(bot)
        await bot.join()
        pupils.append(bot)
    teacher = PublisherBot(
        server.url, server.token("t1", role=Role.TEACHER), simulcast=clips, publish_relay=relay
    )
    await stack.enter_async_context(teacher)
    await teacher.start()
    for bot in pupils:
        await bot.wait_for_streams(2, video_keyframe=True)
    track = camera_track(pupils[0])
    for bot, size in zip(pupils[:2], ([240, 135], [480, 270]), strict=True):
        await bot.signal.request({"type": "set_video_sizes", "sizes": {track: size}})
    await asyncio.sleep(6)

    assert relay.up.dropped_loss > 20, vars(relay.up)
    counters = await server.counters()
    assert counters["nacks_sent"] > 10, counters
    pictures = []
    for bot in pupils:
        [video] = [s for s in bot.streams() if s.kind == "video"]
        assert video.packets > 100 and video.lost == 0, (video.packets, video.lost)
        pictures.append(last_picture(video))
    assert pictures == [(240, 135), (480, 270), (960, 540)]
