"""The target "ours": our server as a child process, joined by PublisherBot / SubscriberBot.

The server runs as ``python -m signaling`` (``bench.server_process``) pinned to one core; with
``workers`` it is asked for that many SFU processes (``SFU_WORKERS``) and its CPU and memory
are those of the whole process tree.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from aiortc import RTCPeerConnection, RTCRtpSender

from .accounting import process_tree
from .bots import PublisherBot, SubscriberBot
from .event_room import EventRoom, prepare_event
from .hls_clients import HlsAudience
from .relay import UdpRelay
from .rtp_stats import StreamStats
from .server_process import ServerProcess
from .subscription import Feedback
from .target import JoinSpec

HLS_VIEWERS = 10
"""HLS clients fetching an event's live playlist and segments beside its WebRTC viewers."""


def can_pin() -> bool:
    """Servers and bots get a core each: needs two cores and taskset."""
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


async def packets_sent(senders: RTCPeerConnection | Iterable[RTCRtpSender]) -> int:
    """RTP packets a connection's senders (or these ``senders``) have sent (aiortc's public
    stats; retransmissions excluded)."""
    if isinstance(senders, RTCPeerConnection):
        senders = senders.getSenders()
    total = 0
    for sender in senders:
        report = await sender.getStats()
        total += sum(
            int(getattr(stats, "packetsSent", 0))
            for stats in report.values()
            if getattr(stats, "type", None) == "outbound-rtp"
        )
    return total


class OursParticipant:
    """One bot in a room: what it received, whose it was, what it sent."""

    def __init__(self, identity: str, bot: SubscriberBot, joined_at: float | None = None) -> None:
        self.identity = identity
        self.bot = bot
        self.join_started_at: float | None = bot.join_started_at
        self.joined_at = joined_at
        """time.monotonic() when the server's ``joined`` came (before publishing)."""
        self._identities: dict[str, str] = {}

    def streams(self) -> list[StreamStats]:
        return self.bot.streams()

    def source_of(self, stream: StreamStats) -> str | None:
        """Identity of the participant who published ``stream`` (from the subscribe offer)."""
        track = self.bot.subscription.tracks.get(stream.mid or "")
        if track is None:
            return None
        return self.identity_of(str(track.get("participantId")))

    def identity_of(self, participant_id: str) -> str | None:
        """The identity of the room's participant ``participant_id`` (from the room's events)."""
        if participant_id not in self._identities:
            self._learn_identities()
        return self._identities.get(participant_id)

    def shown_videos(self) -> list[str] | None:
        """Identities whose videos it asks for now (``JoinSpec.page``); None: every video."""
        return self.bot.shown_videos()

    def video_pauses(self) -> int:
        """``video_quality`` events so far that paused a video it receives (the server found
        its downlink too narrow for it)."""
        if self.bot._signal is None:
            return 0
        return sum(
            1
            for e in self.bot.signal.events
            if e.get("type") == "video_quality" and e.get("quality") == "paused"
        )

    def server_ports(self) -> set[int]:
        """The server's UDP ports this participant receives from (to find the process)."""
        return self.bot.subscription.server_ports()

    @property
    def relay(self) -> UdpRelay | None:
        """The impairing relay its subscribe connection goes through, if any."""
        return self.bot.subscription.relay

    async def packets_sent(self) -> int:
        if not isinstance(self.bot, PublisherBot) or self.bot._publication is None:
            return 0
        return await packets_sent(self.bot.publication.senders())

    async def close(self) -> None:
        await self.bot.close()
        if self.relay is not None:
            await self.relay.close()

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
    """Our server; ``cpu`` pins it to a core or a ``taskset`` list of cores (None: unpinned),
    ``workers`` sets ``SFU_WORKERS``."""

    name = "ours"

    def __init__(
        self,
        cpu: int | str | None = 0,
        workers: int | None = None,
        *,
        feedback: Feedback | bool = "cheap",
    ) -> None:
        self.cpu = cpu if cpu is not None and can_pin() else None
        self.workers = workers
        self.feedback = feedback
        """How subscribers receive (``bench.subscription``): ``"cheap"`` sends a browser's
        RRs, NACKs and PLIs generated by the bench; ``"aiortc"`` runs aiortc's receiver."""
        self.server: ServerProcess | None = None
        self._data_dir: Path | None = None
        self._events: dict[str, asyncio.Task[EventRoom]] = {}
        """Bench room → the event it is on our server (``JoinSpec.event``), made once even
        when its participants join at the same time."""
        self._hls: list[HlsAudience] = []

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

    def extra_stats(self) -> dict[str, object]:
        """What the HLS clients of the events got (for the step's record)."""
        if not self._hls:
            return {}
        return {"hls": self._hls[0].summary() if len(self._hls) == 1 else
                [a.summary() for a in self._hls]}  # fmt: skip

    async def stop(self) -> None:
        for audience in self._hls:
            await audience.stop()
        self._hls.clear()
        self._events.clear()
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
        if spec.event:
            token = await self._event_token(server, spec)
        else:
            token = server.token(spec.identity, role=spec.role, room=spec.room)
        return await open_participant(server.url, token, spec, spec.feedback or self.feedback)

    async def _event_token(self, server: ServerProcess, spec: JoinSpec) -> str:
        """A token into the event that stands for ``spec.room`` (made on first use, with its
        HLS clients): music mode for whoever publishes, the audience's for the others."""
        making = self._events.get(spec.room)
        if making is None:
            assert self._data_dir is not None
            making = asyncio.ensure_future(self._make_event(server, self._data_dir))
            self._events[spec.room] = making
        event = await making
        if spec.publish is not None:
            return event.performer_token(server.secret, spec.identity)
        return event.viewer_token(server.secret, spec.identity)

    async def _make_event(self, server: ServerProcess, data_dir: Path) -> EventRoom:
        event = await prepare_event(data_dir)
        audience = HlsAudience(server.url + event.hls_path(server.secret), HLS_VIEWERS)
        audience.start()
        self._hls.append(audience)
        return event


async def open_participant(
    url: str, token: str, spec: JoinSpec, feedback: Feedback | bool
) -> OursParticipant:
    """A bot joined to ``spec.room`` through the server at ``url`` (and publishing, if
    ``spec`` publishes): our server alone, or any node of a district."""
    publish = spec.publish
    relay = (
        UdpRelay(down_impairment=spec.downlink, seed=spec.link_seed)
        if spec.downlink is not None
        else None
    )
    bot: SubscriberBot
    if publish is None:
        bot = SubscriberBot(url, token, feedback=feedback, relay=relay, page=spec.page)
    else:
        bot = PublisherBot(
            url,
            token,
            video_size=None,
            audio=publish.audio is not None,
            video_frames=publish.video,
            audio_frames=publish.audio,
            layered_video=publish.layered,
            audio_level=publish.audio_level,
            simulcast=publish.simulcast or False,
            feedback=feedback,
            relay=relay,
            page=spec.page,
        )
    try:
        # Whose media to receive goes with the join, as a large class's client would send it.
        await bot.join(spec.subscribe_to)
        joined_at = time.monotonic()
        if isinstance(bot, PublisherBot):
            await bot.publish()
    except BaseException:
        await bot.close()
        if relay is not None:
            await relay.close()
        raise
    return OursParticipant(spec.identity, bot, joined_at)
