"""Proof that nothing is decoded: server CPU per added subscriber of one 720p stream.

Runs our server (`python -m signaling`) and aiortc's decode-and-re-encode relay
(`bench.decode_relay`) in turn, each as its own process pinned to CPU 0, with the bots in this
process on CPU 1. For 1 and 4 subscribers of one pre-encoded 720p VP8 + Opus publisher it
samples the server's CPU time from /proc over a fixed window, and reports the CPU added per
subscriber and per forwarded packet. `make bench-cpu`; results in bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .bots import PublisherBot, SubscriberBot
from .client_glue import gather_only, observe_rtp
from .media import EncodedFrame, load_audio, load_video
from .processes import terminate
from .publication import Publication
from .server_process import ServerProcess, free_port

RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    server: str
    """"ours" or "relay" (aiortc MediaRelay: decode once, encode per subscriber)."""
    subscribers: int
    seconds: float
    cpu_pct: float
    """Server process CPU, percent of one core."""
    pps_out: float
    """RTP packets per second the subscribers received, all together."""
    rss_mb: float
    bots_cpu_pct: float
    """This process's CPU: near 100 % means the bots, not the server, were the limit."""

    @property
    def cpu_us_per_pkt_out(self) -> float:
        return self.cpu_pct / 100 * 1e6 / self.pps_out if self.pps_out else float("nan")


def pin_cores() -> bool:
    """Servers on CPU 0, bots on CPU 1, when the machine has two cores and taskset."""
    return (os.cpu_count() or 1) >= 2 and os.path.exists("/usr/bin/taskset")


def pinned(command: list[str], cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if pin_cores() else command


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@asynccontextmanager
async def server_process(
    command: list[str], ready: Callable[[list[str]], bool]
) -> AsyncIterator[tuple[int, list[str]]]:
    """Start a server, wait until `ready(stdout lines)`; yield (pid, those lines)."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while not ready(lines):
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(f"{command[0]} exited before it was ready")
                lines.append(line.strip())
        yield process.pid, lines
    finally:
        await terminate(process)


async def measure(
    pid: int, received: Callable[[], int], warmup: float, window: float
) -> tuple[float, float, float]:
    """Server CPU %, received packets/s and bots' CPU % over `window` after `warmup`."""
    await asyncio.sleep(warmup)
    cpu0, bots0, wall0, packets0 = (
        process_cpu_seconds(pid),
        time.process_time(),
        time.monotonic(),
        received(),
    )
    await asyncio.sleep(window)
    wall = time.monotonic() - wall0
    return (
        (process_cpu_seconds(pid) - cpu0) / wall * 100,
        (received() - packets0) / wall,
        (time.process_time() - bots0) / wall * 100,
    )


async def run_ours(
    subscribers: int,
    video: list[EncodedFrame],
    audio: list[EncodedFrame],
    warmup: float,
    window: float,
) -> Sample:
    with tempfile.TemporaryDirectory() as data_dir:
        async with ServerProcess(Path(data_dir), cpu=0 if pin_cores() else None) as server:
            assert server.pid is not None
            publisher = PublisherBot(
                server.url, server.teacher_token, video_frames=video, audio_frames=audio
            )
            bots = [
                SubscriberBot(server.url, server.token(f"bench-pupil-{i}"))
                for i in range(subscribers)
            ]
            try:
                await publisher.start()
                for bot in bots:
                    await bot.join()
                for bot in bots:
                    await bot.wait_for_streams(2, packets=10, video_keyframe=True)

                def received() -> int:
                    return sum(s.packets for bot in bots for s in bot.streams())

                cpu, pps, bots_cpu = await measure(server.pid, received, warmup, window)
                rss = process_rss_mb(server.pid)
                return Sample("ours", subscribers, window, cpu, pps, rss, bots_cpu)
            finally:
                for bot in bots:
                    await bot.close()
                await publisher.close()


async def run_relay(
    subscribers: int,
    video: list[EncodedFrame],
    audio: list[EncodedFrame],
    warmup: float,
    window: float,
) -> Sample:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from aiohttp import web; from bench.decode_relay import create_app; "
        f"print('ready', flush=True); web.run_app(create_app(), host='127.0.0.1', port={port}, "
        "print=None)",
    ]
    async with server_process(pinned(command, 0), lambda lines: "ready" in lines) as (pid, _):
        url = f"http://127.0.0.1:{port}"
        publication = Publication(video=video, audio=audio)
        connections: list[RTCPeerConnection] = []
        received = [0]

        def count(data: bytes, arrival_ms: int) -> None:
            received[0] += 1

        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(50):  # the app binds its port a moment after printing
                    try:
                        sdp, _tracks = await publication.offer()
                        async with http.post(url + "/publish", json={"sdp": sdp}) as response:
                            await publication.accept((await response.json())["sdp"])
                        break
                    except aiohttp.ClientConnectorError:
                        await asyncio.sleep(0.1)
                await asyncio.sleep(1)
                for _ in range(subscribers):
                    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                    connections.append(pc)
                    pc.addTransceiver("audio", direction="recvonly")
                    pc.addTransceiver("video", direction="recvonly")
                    gather_only(pc)
                    await pc.setLocalDescription(await pc.createOffer())
                    async with http.post(
                        url + "/subscribe", json={"sdp": pc.localDescription.sdp}
                    ) as response:
                        answer = (await response.json())["sdp"]
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                    observe_rtp(pc, count, pass_on=False)
            cpu, pps, bots_cpu = await measure(pid, lambda: received[0], warmup + 2, window)
            return Sample("relay", subscribers, window, cpu, pps, process_rss_mb(pid), bots_cpu)
        finally:
            for pc in connections:
                await pc.close()
            await publication.close()


def report(samples: list[Sample]) -> str:
    rows = [
        "| server | subscribers | server CPU % | packets/s out | µs CPU per packet out | "
        "server RSS MB | bots CPU % |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in samples:
        rows.append(
            f"| {s.server} | {s.subscribers} | {s.cpu_pct:.1f} | {s.pps_out:.0f} | "
            f"{s.cpu_us_per_pkt_out:.1f} | {s.rss_mb:.0f} | {s.bots_cpu_pct:.0f} |"
        )
    growth = {}
    for server in ("ours", "relay"):
        one = next(s for s in samples if s.server == server and s.subscribers == 1)
        many = max((s for s in samples if s.server == server), key=lambda s: s.subscribers)
        growth[server] = (many.cpu_pct - one.cpu_pct) / (many.subscribers - one.subscribers)
    rows.append("")
    rows.append(
        f"CPU added per subscriber: ours {growth['ours']:.2f} % of a core, decode+re-encode relay "
        f"{growth['relay']:.1f} % — ratio {growth['ours'] / growth['relay']:.3f}."
    )
    return "\n".join(rows)


async def main(counts: list[int], warmup: float, window: float) -> None:
    video = await asyncio.to_thread(load_video, 1280, 720)
    audio = await asyncio.to_thread(load_audio)
    if pin_cores():
        os.sched_setaffinity(0, {1})  # the servers are pinned to CPU 0
    samples = []
    for run in (run_ours, run_relay):
        for count in counts:
            sample = await run(count, video, audio, warmup, window)
            print(
                f"{sample.server} x{count}: {sample.cpu_pct:.1f} % CPU, "
                f"{sample.pps_out:.0f} pkt/s out",
                flush=True,
            )
            samples.append(sample)
    text = report(samples)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"cpu-per-subscriber-{stamp}.json").write_text(
        json.dumps(
            [{**asdict(s), "cpu_us_per_pkt_out": s.cpu_us_per_pkt_out} for s in samples], indent=2
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.warmup, args.window))
