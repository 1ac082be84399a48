"""Smoke run: start the server, one publisher and two subscribers, print what arrived.

``python -m bench.smoke [--seconds 5] [--loss 0.0] [--decode]``. The second subscriber's
subscribe connection goes through a UdpRelay with ``--loss``.
"""

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from .bots import PublisherBot, SubscriberBot
from .relay import UdpRelay
from .server_process import ServerProcess


async def run(seconds: float, loss: float, decode: bool, video: tuple[int, int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as data_dir:
        async with ServerProcess(Path(data_dir)) as server:
            relay = UdpRelay(loss=loss, seed=1)
            publisher = PublisherBot(
                server.url, server.token("bot-teacher", role="teacher"), video_size=video
            )
            plain = SubscriberBot(server.url, server.token("bot-pupil-1"), decode=decode)
            lossy = SubscriberBot(server.url, server.token("bot-pupil-2"), relay=relay)
            started = time.monotonic()
            try:
                await plain.join()
                await lossy.join()
                await publisher.start()
                published_at = time.monotonic()
                await asyncio.sleep(seconds)
                return {
                    "published_after_s": published_at - started,
                    "publisher": publisher.report(),
                    "subscriber": plain.report(),
                    "lossy_subscriber": lossy.report(),
                    "server_tail": list(server.output)[-15:],
                }
            finally:
                for bot in (publisher, plain, lossy):
                    await bot.close()
                await relay.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--decode", action="store_true")
    parser.add_argument("--small", action="store_true", help="publish 640x360")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    video = (640, 360) if args.small else (1280, 720)
    report = asyncio.run(run(args.seconds, args.loss, args.decode, video))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
