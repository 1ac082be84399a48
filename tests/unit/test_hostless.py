"""The clock of a session without a host: started once, stopped by a host, runs out once."""

from __future__ import annotations

import asyncio

import pytest

from signaling.hostless import HostlessTimers


async def test_the_clock_starts_once_and_a_host_stops_it() -> None:
    ended: list[str] = []

    async def end(room: str) -> None:
        ended.append(room)

    timers = HostlessTimers(0.2, end)
    timers.host_gone("r1")
    first = timers.waiting("r1")
    assert first is not None and 0.15 < first <= 0.2
    await asyncio.sleep(0.1)
    timers.host_gone("r1")  # again: the clock keeps running from the first time
    again = timers.waiting("r1")
    assert again is not None and again < 0.15
    timers.host_gone("r2")
    timers.host_here("r2")
    assert timers.waiting("r2") is None
    await asyncio.sleep(0.25)
    assert ended == ["r1"]
    assert timers.waiting("r1") is None


async def test_closing_cancels_every_clock() -> None:
    ended: list[str] = []

    async def end(room: str) -> None:
        ended.append(room)

    timers = HostlessTimers(0.05, end)
    timers.host_gone("r1")
    await timers.close()
    await asyncio.sleep(0.1)
    assert ended == []


async def test_closing_waits_for_an_end_already_running() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    ended: list[str] = []

    async def end(room: str) -> None:
        started.set()
        await release.wait()
        ended.append(room)

    timers = HostlessTimers(0.01, end)
    timers.host_gone("r1")
    await started.wait()
    closing = asyncio.create_task(timers.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    release.set()
    await closing
    assert ended == ["r1"]


async def test_a_failing_end_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def end(room: str) -> None:
        raise RuntimeError("boom")

    timers = HostlessTimers(0.01, end)
    timers.host_gone("r1")
    await asyncio.sleep(0.05)
    assert timers.waiting("r1") is None
    assert [r.getMessage() for r in caplog.records] == ["ending the hostless session r1 failed"]
