"""The target "relay": aiortc's decode/re-encode relay (bench/decode_relay.py), the floor.

`bench.decode_relay` relays one publisher (MediaRelay: decode once, encode per subscriber), so
this target runs one such process per publisher, all pinned to the server core, and counts
their CPU and memory together (the RSS therefore includes one interpreter per publisher). A
subscriber opens one receive-only connection to each publisher it sees, counting packets
from their headers without feedback: the relay's fresh encoder starts every subscriber with a
keyframe. Subscriptions to someone who has not published yet are made when they publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .client_glue import gather_only, observe_rtp
from .ours_target import can_pin, packets_sent
from .publication import Publication
from .rtp_stats import RtpCounter, StreamStats
from .server_process import free_port
from .session_layout import media_lines, mid_extension_id
from .target import JoinSpec


class RelayProcess:
    """One ``python -m bench.decode_relay PORT``, stopped by its own PID."""

    def __init__(self, cpu: int | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._cpu = cpu
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self, within: float = 30.0) -> None:
        command = [sys.executable, "-m", "bench.decode_relay", str(self.port)]
        if self._cpu is not None:
            command = ["taskset", "-c", str(self._cpu), *command]
        self._process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        async with asyncio.timeout(within):
            while True:  # ready when its port accepts connections
                if self._process.returncode is not None:
                    raise RuntimeError(f"decode_relay exited with {self._process.returncode}")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.close()
                    return
                except OSError:
                    await asyncio.sleep(0.1)

    async def stop(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class RelayParticipant:
    """A publication to its own relay (if it publishes) and a connection per source seen."""

    def __init__(self, identity: str, join_started_at: float) -> None:
        self.identity = identity
        self.join_started_at: float | None = join_started_at
        self.publication: Publication | None = None
        self.received: list[tuple[str, RtpCounter, RTCPeerConnection]] = []

    def streams(self) -> list[StreamStats]:
        return [s for _, counter, _ in self.received for s in counter.streams.values()]

    def source_of(self, stream: StreamStats) -> str | None:
        for source, counter, _ in self.received:
            if counter.streams.get(stream.ssrc) is stream:
                return source
        return None

    async def packets_sent(self) -> int:
        return await packets_sent(self.publication.pc) if self.publication else 0

    async def close(self) -> None:
        for _, _, pc in self.received:
            await pc.close()
        if self.publication is not None:
            await self.publication.close()


class RelayTarget:
    """One decode/re-encode relay process per publisher; for the lesson scenario at small N."""

    name = "relay"

    def __init__(self, cpu: int | None = 0) -> None:
        self.cpu = cpu if cpu is not None and can_pin() else None
        self.relays: dict[tuple[str, str], RelayProcess] = {}
        """By (room, publisher identity)."""
        self._waiting: dict[str, list[tuple[RelayParticipant, set[str] | None]]] = {}
        """By room: participants and the identities they still wait for (None: everyone)."""
        self._http: aiohttp.ClientSession | None = None

    def server_pids(self) -> list[int]:
        return [r.pid for r in self.relays.values() if r.pid is not None]

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        await asyncio.gather(*(r.stop() for r in self.relays.values()), return_exceptions=True)
        self.relays.clear()
        self._waiting.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def join(self, spec: JoinSpec) -> RelayParticipant:
        participant = RelayParticipant(spec.identity, time.monotonic())
        try:
            if spec.publish is not None:
                await self._publish(spec, participant)
            wanted = set(spec.subscribe_to) if spec.subscribe_to is not None else None
            for (room, source), _ in list(self.relays.items()):
                if room == spec.room and source != spec.identity:
                    if wanted is None or source in wanted:
                        await self._subscribe(participant, room, source)
                        if wanted is not None:
                            wanted.discard(source)
            self._waiting.setdefault(spec.room, []).append((participant, wanted))
        except BaseException:
            await participant.close()
            raise
        return participant

    async def _publish(self, spec: JoinSpec, participant: RelayParticipant) -> None:
        assert spec.publish is not None and self._http is not None
        relay = RelayProcess(self.cpu)
        self.relays[(spec.room, spec.identity)] = relay
        await relay.start()
        participant.publication = Publication(video=spec.publish.video, audio=spec.publish.audio)
        sdp, _tracks = await participant.publication.offer()
        async with self._http.post(relay.url + "/publish", json={"sdp": sdp}) as response:
            answer = (await response.json())["sdp"]
        await participant.publication.accept(answer)
        # Those already here who see everyone, or waited for this one, subscribe now.
        for other, wanted in self._waiting.get(spec.room, []):
            if wanted is None or spec.identity in wanted:
                await self._subscribe(other, spec.room, spec.identity)
                if wanted is not None:
                    wanted.discard(spec.identity)

    async def _subscribe(self, participant: RelayParticipant, room: str, source: str) -> None:
        assert self._http is not None
        relay = self.relays[(room, source)]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        counter = RtpCounter()
        participant.received.append((source, counter, pc))
        pc.addTransceiver("audio", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
        gather_only(pc)
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sdp": pc.localDescription.sdp}
        async with self._http.post(relay.url + "/subscribe", json=offer) as response:
            answer = (await response.json())["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        counter.configure(media_lines(answer), mid_extension_id(answer))
        observe_rtp(pc, lambda data, _arrival: counter.add(data), pass_on=False)
