"""Media through the real server: aiortc bots publish pre-encoded VP8 + Opus and receive it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.relay import UdpRelay
from classroom.roles import Role

from .conftest import RunningServer


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def teacher(server: RunningServer, stack: AsyncExitStack, **options: object) -> PublisherBot:
    bot = PublisherBot(server.url, server.token("teacher", Role.TEACHER), **options)  # type: ignore[arg-type]
    await stack.enter_async_context(bot)
    await bot.start()
    return bot


async def pupil(
    server: RunningServer, stack: AsyncExitStack, name: str, **options: object
) -> SubscriberBot:
    bot = SubscriberBot(server.url, server.token(name), **options)  # type: ignore[arg-type]
    await stack.enter_async_context(bot)
    await bot.join()
    return bot


async def test_three_subscribers_all_receive_audio_and_video(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    await teacher(server, stack)
    pupils = [await pupil(server, stack, f"pupil-{i}") for i in range(3)]
    for bot in pupils:
        streams = await bot.wait_for_streams(2, packets=50, video_keyframe=True)
        assert sorted(s.kind for s in streams) == ["audio", "video"]
        assert {s.codec for s in streams} == {"vp8", "opus"}
        assert all(s.lost == 0 for s in streams)
    counters = await server.counters()
    assert counters["packets_out"] >= 3 * 100
    assert counters["rooms"] == 1 and counters["peers"] == 4


async def test_a_decoding_subscriber_gets_frames_of_the_published_resolution(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    await teacher(server, stack, video_size=(1280, 720))
    viewer = await pupil(server, stack, "viewer", decode=True)
    decoded = await viewer.wait_for_decoded(2, frames=20)
    video = next(d for d in decoded if d.kind == "video")
    assert (video.width, video.height) == (1280, 720)


async def test_a_late_joiner_gets_a_keyframe_within_a_second_through_a_pli(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    publisher = await teacher(server, stack, video_size=(640, 360))
    early = await pupil(server, stack, "early")
    await early.wait_for_streams(2, packets=30, video_keyframe=True)
    camera = next(s for s in publisher.publication.sources.values() if s.kind == "video")
    # Let the keyframe requested for the early pupil pass; the clip's own keyframes are 10 s apart.
    await asyncio.sleep(1.5)
    plis_before = camera.feedback.pli + camera.feedback.fir
    jumps_before = camera.track.counters.keyframes_on_request

    late = await pupil(server, stack, "late")
    (video,) = [s for s in await late.wait_for_streams(2, video_keyframe=True) if s.kind == "video"]
    assert late.join_started_at is not None and video.first_keyframe_end_at is not None
    assert video.first_keyframe_end_at - late.join_started_at < 1.0
    assert camera.feedback.pli + camera.feedback.fir > plis_before
    assert camera.track.counters.keyframes_on_request > jumps_before


async def test_five_percent_loss_on_one_leg_is_repaired_by_nack_and_rtx(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    await teacher(server, stack, video_size=(1280, 720))
    relay = UdpRelay(loss=0.05, seed=7)
    stack.push_async_callback(relay.close)
    lossy = await pupil(server, stack, "lossy", relay=relay)
    clean = await pupil(server, stack, "clean")
    streams = await lossy.wait_for_streams(2, packets=1, video_keyframe=True)
    await asyncio.sleep(4)
    video = next(s for s in lossy.streams() if s.kind == "video")
    assert relay.down.dropped > 10
    assert video.rtx_packets > 0
    assert video.rtx_recovered > 0
    # what is still missing is only what the relay dropped twice (packet and its RTX), or the
    # most recent packets whose retransmission is still on the way
    assert video.lost < relay.down.dropped / 4
    counters = await server.counters()
    assert counters["retransmissions"] >= video.rtx_packets
    clean_video = next(s for s in clean.streams() if s.kind == "video")
    assert clean_video.lost == 0 and clean_video.rtx_packets == 0
    assert streams
