"""Ending a child process the bench started: a polite signal first, then SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import signal


async def terminate(
    process: asyncio.subprocess.Process, first: int = signal.SIGTERM, within: float = 10.0
) -> int | None:
    """Send `first`, wait up to `within` seconds, then kill; return the exit code."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
        try:
            async with asyncio.timeout(within):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return process.returncode
