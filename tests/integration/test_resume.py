"""A participant whose connection drops comes back into the same place within the grace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bench.bots import PublisherBot
from bench.rtp_stats import StreamStats
from classroom.roles import Role

from .conftest import RunningServer, serving

IN_FLIGHT_AT_DROP = 50
"""Packets a consumer may send into a dead link before the server notices the drop."""


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


@pytest.fixture
async def short_grace(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with serving(tmp_path, resume_grace=1.0) as running:
        yield running


async def person(
    server: RunningServer, stack: AsyncExitStack, name: str, resume: str | None = None
) -> PublisherBot:
    role = Role.TEACHER if name == "teacher" else Role.PUPIL
    bot = PublisherBot(server.url, server.token(name, role), video_size=(640, 360))
    stack.push_async_callback(bot.close)
    await bot.start(resume_token=resume)
    return bot


def video(bot: PublisherBot) -> StreamStats:
    """The one video a bot receives (two people in the room)."""
    (stream,) = [s for s in bot.streams() if s.kind == "video"]
    return stream


def events(bot: PublisherBot, *types: str) -> list[tuple[str, str]]:
    return [
        (str(m["type"]), str(m.get("participantId") or m.get("participant", {}).get("id")))
        for m in bot.signal.events
        if m.get("type") in types
    ]


async def test_a_pupil_who_drops_comes_back_into_the_same_place(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    teacher = await person(server, stack, "teacher")
    pupil = await person(server, stack, "pupil")
    await teacher.wait_for_streams(2, packets=30, video_keyframe=True)
    await pupil.wait_for_streams(2, packets=30, video_keyframe=True)
    pupil_id = str(pupil.joined["self"]["id"])
    token = str(pupil.joined["resumeToken"])
    from_teacher = video(pupil)
    from_pupil = video(teacher)
    keyframes = from_pupil.keyframes

    await pupil.close()  # the network is gone: no leave
    for _ in range(40):
        if events(teacher, "participant_reconnecting"):
            break
        await asyncio.sleep(0.05)
    assert events(teacher, "participant_reconnecting") == [("participant_reconnecting", pupil_id)]
    last_seq = from_teacher.sequence.highest
    lost_before = from_pupil.lost  # (a packet in flight when the link died may be missing)

    again = await person(server, stack, "pupil", resume=token)
    assert again.joined["self"]["id"] == pupil_id and again.joined["resumed"] is True
    assert again.joined["resumeToken"] != token  # a new one for the next drop
    await again.wait_for_streams(2, packets=30, video_keyframe=True)
    await asyncio.sleep(1)
    # The teacher saw a reconnect, never a leave and a join, and the pupil's video carries on
    # on the same stream: new keyframe, no sequence gap.
    assert events(teacher, "participant_left", "participant_joined", "participant_resumed") == [
        ("participant_joined", pupil_id),  # the first time
        ("participant_resumed", pupil_id),
    ]
    assert video(teacher) is from_pupil
    assert from_pupil.keyframes > keyframes
    assert from_pupil.lost == lost_before
    # What the pupil receives runs on from where it stopped: the same consumer, new m-line.
    back = video(again)
    assert last_seq is not None and back.sequence.base is not None
    # Packets the SFU sent between the link dying and it noticing were lost with the link
    # (7 in one loaded run), so the new stream starts a few numbers on, never anew (a new
    # stream would start at a random 16-bit number).
    assert 1 <= (back.sequence.base - last_seq) & 0xFFFF <= IN_FLIGHT_AT_DROP
    counters = await server.counters()
    assert counters["peers"] == 2


async def test_after_the_grace_period_a_dropped_pupil_leaves(
    short_grace: RunningServer, stack: AsyncExitStack
) -> None:
    teacher = await person(short_grace, stack, "teacher")
    pupil = await person(short_grace, stack, "pupil")
    pupil_id = str(pupil.joined["self"]["id"])
    await pupil.close()
    await asyncio.sleep(1.6)
    assert events(teacher, "participant_reconnecting", "participant_left") == [
        ("participant_reconnecting", pupil_id),
        ("participant_left", pupil_id),
    ]
    assert (await short_grace.counters())["peers"] == 1
    late = await person(short_grace, stack, "pupil", resume=str(pupil.joined["resumeToken"]))
    assert late.joined["self"]["id"] != pupil_id and "resumed" not in late.joined


async def test_a_wrong_token_is_a_new_join_that_replaces_the_dropped_one(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    teacher = await person(server, stack, "teacher")
    pupil = await person(server, stack, "pupil")
    pupil_id = str(pupil.joined["self"]["id"])
    await pupil.close()
    await asyncio.sleep(0.3)
    other = await person(server, stack, "pupil", resume="not-the-token")
    new_id = str(other.joined["self"]["id"])
    assert new_id != pupil_id
    await asyncio.sleep(0.3)
    assert events(
        teacher, "participant_reconnecting", "participant_left", "participant_joined"
    ) == [
        ("participant_joined", pupil_id),
        ("participant_reconnecting", pupil_id),
        ("participant_left", pupil_id),
        ("participant_joined", new_id),
    ]


async def test_a_pupil_who_leaves_on_purpose_is_gone_at_once(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    teacher = await person(server, stack, "teacher")
    pupil = await person(server, stack, "pupil")
    pupil_id = str(pupil.joined["self"]["id"])
    await pupil.leave()
    await asyncio.sleep(0.3)
    assert events(teacher, "participant_reconnecting", "participant_left") == [
        ("participant_left", pupil_id)
    ]


async def test_coming_back_before_the_server_noticed_the_drop_takes_the_place_over(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    """The old socket still looks open (its TCP connection has not timed out yet)."""
    teacher = await person(server, stack, "teacher")
    pupil = await person(server, stack, "pupil")
    pupil_id = str(pupil.joined["self"]["id"])
    await teacher.wait_for_streams(2, packets=30, video_keyframe=True)
    again = await person(server, stack, "pupil", resume=str(pupil.joined["resumeToken"]))
    assert again.joined["self"]["id"] == pupil_id and again.joined["resumed"] is True
    await again.wait_for_streams(2, packets=30, video_keyframe=True)
    assert events(teacher, "participant_left", "participant_joined", "participant_resumed") == [
        ("participant_joined", pupil_id),
        ("participant_resumed", pupil_id),
    ]
    assert (await server.counters())["peers"] == 2


async def test_a_restarting_server_says_so_and_closes_with_service_restart(
    server: RunningServer, stack: AsyncExitStack
) -> None:
    pupil = await person(server, stack, "pupil")
    closed = asyncio.ensure_future(pupil.signal.wait_for("server_restarting"))
    await server.app.shutdown()
    await asyncio.wait_for(closed, 5)
    for _ in range(40):
        if pupil.signal.closed:
            break
        await asyncio.sleep(0.05)
    assert pupil.signal.close_code == 1012
