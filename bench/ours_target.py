"""The target "ours": our server as a child process, joined by PublisherBot / SubscriberBot.

The server runs as ``python -m signaling`` (``bench.server_process``) pinned to one core; with
``workers`` it is asked for that many SFU processes (``SFU_WORKERS``) and its CPU and memory
are those of the whole process tree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from aiortc import RTCPeerConnection

from .accounting import process_tree
from .bots import PublisherBot, SubscriberBot
from .loadgen import TargetUnsupported
from .rtp_stats import StreamStats
from .server_process import ServerProcess
from .signal_client import SignalError
from .target import JoinSpec


def can_pin() -> bool:
    """Servers and bots get a core each: needs two cores and taskset."""
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


async def packets_sent(pc: RTCPeerConnection) -> int:
    """RTP packets ``pc``'s senders have sent (aiortc's public stats; retransmissions excluded)."""
    total = 0
    for sender in pc.getSenders():
        report = await sender.getStats()
        total += sum(
            int(getattr(stats, "packetsSent", 0))
            for stats in report.values()
            if getattr(stats, "type", None) == "outbound-rtp"
        )
    return total


class OursParticipant:
    """One bot in a room: what it received, whose it was, what it sent."""

    def __init__(self, identity: str, bot: SubscriberBot) -> None:
        self.identity = identity
        self.bot = bot
        self.join_started_at: float | None = bot.join_started_at
        self._identities: dict[str, str] = {}

    def streams(self) -> list[StreamStats]:
        return self.bot.streams()

    def source_of(self, stream: StreamStats) -> str | None:
        """Identity of the participant who published ``stream`` (from the subscribe offer)."""
        track = self.bot.subscription.tracks.get(stream.mid or "")
        if track is None:
            return None
        participant_id = str(track.get("participantId"))
        if participant_id not in self._identities:
            self._learn_identities()
        return self._identities.get(participant_id)

    async def packets_sent(self) -> int:
        if not isinstance(self.bot, PublisherBot) or self.bot._publication is None:
            return 0
        return await packets_sent(self.bot.publication.pc)

    async def close(self) -> None:
        await self.bot.close()

    def _learn_identities(self) -> None:
        joined = self.bot.joined or {}
        people = list(joined.get("participants", []))
        if self.bot._signal is not None:
            people += [
                e["participant"]
                for e in self.bot.signal.events
                if e.get("type") == "participant_joined"
            ]
        for person in people:
            self._identities[str(person["id"])] = str(person["identity"])


class OursTarget:
    """Our server; ``cpu`` pins it (None: unpinned), ``workers`` sets ``SFU_WORKERS``."""

    name = "ours"

    def __init__(
        self, cpu: int | None = 0, workers: int | None = None, *, feedback: bool = True
    ) -> None:
        self.cpu = cpu if cpu is not None and can_pin() else None
        self.workers = workers
        self.feedback = feedback
        """Subscribers run aiortc's NACK/PLI/RR path like a browser (False: count only)."""
        self.server: ServerProcess | None = None
        self._data_dir: Path | None = None

    def server_pids(self) -> list[int]:
        if self.server is None or self.server.pid is None:
            return []
        try:
            return process_tree(self.server.pid)
        except OSError:  # the server has exited
            return []

    async def start(self) -> None:
        self._data_dir = Path(tempfile.mkdtemp(prefix="bench-ours-"))
        env = {"SFU_WORKERS": str(self.workers)} if self.workers else {}
        self.server = ServerProcess(self._data_dir, cpu=self.cpu, extra_env=env)
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    async def join(self, spec: JoinSpec) -> OursParticipant:
        server = self.server
        if server is None:
            raise RuntimeError("the target is not started")
        token = server.token(spec.identity, role=spec.role, room=spec.room)
        publish = spec.publish
        bot: SubscriberBot
        if publish is None:
            bot = SubscriberBot(server.url, token, feedback=self.feedback)
        else:
            bot = PublisherBot(
                server.url,
                token,
                video_size=None,
                audio=publish.audio is not None,
                video_frames=publish.video,
                audio_frames=publish.audio,
                feedback=self.feedback,
            )
        try:
            await bot.join()
            if spec.subscribe_to is not None:
                await _set_subscriptions(bot, spec.subscribe_to)
            if isinstance(bot, PublisherBot):
                await bot.publish()
        except BaseException:
            await bot.close()
            raise
        return OursParticipant(spec.identity, bot)


async def _set_subscriptions(bot: SubscriberBot, identities: list[str]) -> None:
    try:
        await bot.signal.request({"type": "set_subscriptions", "identities": identities})
    except SignalError as exc:
        if exc.code == "unknown_type":
            raise TargetUnsupported(
                "the server does not know set_subscriptions (unknown_type): scenarios where a "
                "participant sees only some others need it"
            ) from exc
        raise
