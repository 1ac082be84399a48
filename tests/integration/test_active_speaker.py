"""The active speaker: the SFU hears who talks from the audio-level extension of their packets
and the room is told (sfu/speaker.py); real bots publish Opus on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.signal_client import Message
from classroom.roles import Role

from .conftest import RunningServer, serving

LOUD = -13
SILENT = -127


def speakers(bot: SubscriberBot) -> list[str | None]:
    return [m["participantId"] for m in bot.signal.events if m.get("type") == "active_speaker"]


async def heard(bot: SubscriberBot, participant: str | None, within: float = 10.0) -> Message:
    return await bot.signal.wait_for(
        "active_speaker", lambda m: m["participantId"] == participant, within=within
    )


async def speaker_changes(server: RunningServer) -> float:
    """`classroom_sfu_speaker_changes_total` as /metrics renders it."""
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as response:
        text = await response.text()
    values = [
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("classroom_sfu_speaker_changes_total ")
    ]
    assert len(values) == 1, text
    return values[0]


async def check_a_conversation(server: RunningServer) -> None:
    async with (
        PublisherBot(
            server.url, server.token("olga", Role.TEACHER), video_size=None, audio_level=SILENT
        ) as olga,
        PublisherBot(
            server.url, server.token("masha"), video_size=None, audio_level=SILENT
        ) as masha,
        SubscriberBot(server.url, server.token("petya")) as petya,
    ):
        await olga.start()
        await masha.start()
        await petya.join()
        await petya.wait_for_streams(2, packets=25)  # both microphones reach the room
        assert petya.joined is not None and petya.joined["activeSpeaker"] is None
        assert await speaker_changes(server) == 0
        everyone = (olga, masha, petya)

        olga.set_audio_level(LOUD)
        for bot in everyone:
            await heard(bot, olga.participant_id)

        # Masha coughs while the teacher talks: no one else is named.
        masha.set_audio_level(LOUD)
        await asyncio.sleep(0.2)
        masha.set_audio_level(SILENT)
        await asyncio.sleep(2.0)
        assert [speakers(bot) for bot in everyone] == [[olga.participant_id]] * 3

        # A late joiner learns who speaks from its `joined`.
        async with SubscriberBot(server.url, server.token("vanya")) as vanya:
            joined = await vanya.join()
            assert joined["activeSpeaker"] == olga.participant_id

        # The teacher stops, Masha answers: the speaker changes to her.
        olga.set_audio_level(SILENT)
        masha.set_audio_level(LOUD)
        for bot in everyone:
            await heard(bot, masha.participant_id)
        assert [speakers(bot) for bot in everyone] == [
            [olga.participant_id, masha.participant_id]
        ] * 3

        # Her microphone muted, she is nobody's speaker, at once.
        await masha.signal.mute("microphone", True)
        for bot in everyone:
            await heard(bot, None)
        assert speakers(petya) == [olga.participant_id, masha.participant_id, None]

        # /metrics counted each change once: to Olga, to Masha, to nobody (not the cough).
        assert await speaker_changes(server) == 3


async def test_the_speaker_is_who_talks_and_changes_when_another_starts(
    server: RunningServer,
) -> None:
    await check_a_conversation(server)


@pytest.fixture
async def worker_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with serving(tmp_path, sfu_workers=1) as running:
        yield running


async def test_the_speaker_is_told_from_an_sfu_worker_process(
    worker_server: RunningServer,
) -> None:
    await check_a_conversation(worker_server)
