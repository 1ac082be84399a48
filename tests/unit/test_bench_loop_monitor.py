"""The bench's loop monitor notices when a bot process's event loop is blocked."""

import asyncio
import time

from bench.loop_monitor import LoopLagMonitor


async def test_an_idle_loop_is_not_saturated() -> None:
    monitor = LoopLagMonitor(interval=0.01)
    monitor.start()
    await asyncio.sleep(0.1)
    report = await monitor.stop()
    assert report.samples >= 5
    assert not report.saturated()


async def test_a_blocked_loop_shows_up_as_lag() -> None:
    monitor = LoopLagMonitor(interval=0.01)
    monitor.start()
    await asyncio.sleep(0.03)
    # A callback that hogs the loop, as a saturated bot process does.
    asyncio.get_running_loop().call_soon(time.sleep, 0.06)
    await asyncio.sleep(0.05)
    report = await monitor.stop()
    assert report.max >= 0.04
    assert report.saturated()
