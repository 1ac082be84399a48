"""An asyncio loop on its own thread, for async helpers (relays) in synchronous browser tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class LoopThread:
    """Runs awaitables on a loop that lives on its own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Runs `awaitable` on the thread's loop and returns its result."""

        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=30)


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    looping = LoopThread()
    looping.thread.start()
    try:
        yield looping
    finally:
        looping.loop.call_soon_threadsafe(looping.loop.stop)
        looping.thread.join(timeout=10)
        looping.loop.close()
