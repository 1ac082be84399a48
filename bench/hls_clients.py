"""HLS viewers as a bench sees them: each polls the live playlist and fetches every new segment.

A player (hls.js) reloads the live playlist about once a target duration and downloads each
segment it has not got. These clients do that over one shared aiohttp session, without
decoding, and count what a viewer would notice: a segment that could not be fetched, a
segment skipped (the playlist moved past it before it was fetched), and how long fetches take.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from recording.hls import Playlist

POLL_SECONDS = 1.0
"""How often a client reloads the live playlist (half the 2 s segment, as hls.js does)."""


@dataclass
class HlsClient:
    """One viewer's fetching, from the first segment it saw."""

    fetched: int = 0
    bytes: int = 0
    failed: int = 0
    skipped: int = 0
    fetch_seconds: list[float] = field(default_factory=list)
    _next: int | None = None
    """The media sequence number of the next segment it wants."""

    async def run(self, http: aiohttp.ClientSession, url: str) -> None:
        base = url.rsplit("/", 1)[0]
        while True:
            started = time.monotonic()
            try:
                async with http.get(url) as response:
                    text = await response.text() if response.status == 200 else ""
            except aiohttp.ClientError:
                text = ""
            if text:
                await self._segments(http, base, Playlist.parse(text))
            await asyncio.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - started)))

    async def _segments(self, http: aiohttp.ClientSession, base: str, live: Playlist) -> None:
        first = live.first_sequence
        if not live.segments:
            return
        if self._next is None:
            self._next = first + len(live.segments) - 1  # a player starts near the live edge
        if self._next < first:
            self.skipped += first - self._next
            self._next = first
        for sequence in range(self._next, first + len(live.segments)):
            segment = live.segments[sequence - first]
            started = time.monotonic()
            try:
                async with http.get(f"{base}/{segment.uri}") as response:
                    body = await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok, body = False, b""
            if ok:
                self.fetched += 1
                self.bytes += len(body)
                self.fetch_seconds.append(time.monotonic() - started)
            else:
                self.failed += 1
            self._next = sequence + 1


class HlsAudience:
    """`count` clients of one playlist, from `start()` until `stop()`."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.clients = [HlsClient() for _ in range(count)]
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._http = aiohttp.ClientSession()
        self._tasks = [
            asyncio.get_running_loop().create_task(c.run(self._http, self.url))
            for c in self.clients
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    def summary(self) -> dict[str, object]:
        fetches = sorted(s for c in self.clients for s in c.fetch_seconds)
        p95 = fetches[int(0.95 * (len(fetches) - 1))] if fetches else None
        return {
            "clients": len(self.clients),
            "segments_fetched": sum(c.fetched for c in self.clients),
            "segments_failed": sum(c.failed for c in self.clients),
            "segments_skipped": sum(c.skipped for c in self.clients),
            "mbytes": round(sum(c.bytes for c in self.clients) / 1e6, 1),
            "fetch_ms_p95": None if p95 is None else round(p95 * 1000),
        }
