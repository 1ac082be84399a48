"""An SFU worker process: one event loop (uvloop) holding rooms, driven over stdin/stdout.

`python -m sfu.worker 127.0.0.1[,addr…]`. The parent (`sfu.process.SfuProcess`) writes
`["call", id, payload]` frames; the worker answers `["reply", id, payload]` and pushes
`["event", name, kwargs]` for what the SFU reports unasked (subscribe offers, failed peers).
Its first frame, `["ready"]`, says its imports are done and it takes calls: a node is not
placed rooms before (importing aiortc and PyAV takes seconds on a busy machine).
Calls run concurrently, as they do in-process: each participant's session is sequential
anyway. The worker closes its rooms and exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import uvloop

from .control import LocalSfu, RecorderFactory
from .wire import error_reply, frame, read_frame, serve_call

logger = logging.getLogger(__name__)


class PipeEvents:
    """SfuEvents that travel to the parent as event frames."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        self._writer.write(
            frame(
                [
                    "event",
                    "subscribe_offer",
                    {"room": room, "peer": peer, "sdp": sdp, "tracks": tracks},
                ]
            )
        )

    def peer_failed(self, room: str, peer: str) -> None:
        self._writer.write(frame(["event", "peer_failed", {"room": room, "peer": peer}]))

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        self._writer.write(
            frame(
                [
                    "event",
                    "video_quality",
                    {"room": room, "peer": peer, "track": track, "quality": quality},
                ]
            )
        )

    def active_speaker(self, room: str, peer: str | None) -> None:
        self._writer.write(frame(["event", "active_speaker", {"room": room, "peer": peer}]))

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        message = {"room": room, "peer": peer, "source": source, "rids": rids}
        self._writer.write(frame(["event", "publish_layers", message]))


async def serve(ice_addresses: list[str], recorders: RecorderFactory | None = None) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(sys.stdout.fileno(), "wb", 0)
    )
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    sfu = LocalSfu(ice_addresses, PipeEvents(writer), recorders)
    writer.write(frame(["ready"]))
    tasks: set[asyncio.Task[None]] = set()

    async def handle(call_id: int, payload: bytes) -> None:
        try:
            reply = await serve_call(sfu, payload)
        except Exception:  # a bug must fail the call, not the worker and its other rooms
            logger.exception("SFU call failed")
            reply = error_reply("SfuError", "internal error in the SFU worker")
        writer.write(frame(["reply", call_id, reply]))

    try:
        while True:
            try:
                kind, call_id, payload = await read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if kind != "call":
                continue
            task = loop.create_task(handle(call_id, payload))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        await sfu.close()


def main(recorders: RecorderFactory | None = None) -> None:
    """Run a worker; `recorders` is how the server that starts it records rooms (None:
    `start_recording` fails with Unavailable)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s sfu-worker %(name)s %(message)s"
    )
    logging.getLogger("aioice").setLevel(logging.WARNING)
    addresses = [a for a in (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1").split(",") if a]
    uvloop.run(serve(addresses, recorders))


if __name__ == "__main__":
    main()
