"""``JanusTarget``: the reference SFU (Janus VideoRoom) behind the bench's ``Target`` protocol."""

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp

from ..subscription import Feedback
from ..target import JoinSpec, Target
from .participant import JanusParticipant
from .process import JanusProcess
from .videoroom import JanusError, JanusHandle, JanusSession

# Janus's "room already exists" (JANUS_VIDEOROOM_ERROR_ROOM_EXISTS).
_ROOM_EXISTS = 427
FIRST_ROOM_ID = 1000


class JanusTarget:
    """Runs one Janus process; rooms are created on first use with limits that never throttle.

    Rooms take up to ``publishers`` publishers, put no bitrate cap on them (``bitrate`` 0),
    never ask for periodic keyframes (``fir_freq`` 0: only subscribers' PLIs and Janus's own
    request when a subscriber starts), Opus and VP8 only, nothing recorded.

    Janus does not tell a simulcast publisher which layers anyone receives. Our server does
    (``publish_layers``), and the web client then stops the others; so that both servers
    take in the same layers, the target does it for Janus's publishers from what each
    subscriber asked for (``configure`` with ``substream``): each camera sends the layers up
    to the largest asked of it, the smallest always (``fit_layers``).
    """

    name = "janus"

    def __init__(
        self,
        cpu: int | None = None,
        *,
        folder: Path | None = None,
        publishers: int = 100,
        event_loops: int = 1,
        debug_level: int = 2,
        feedback: Feedback | bool = "cheap",
    ) -> None:
        """``cpu`` pins Janus (``taskset``); ``feedback`` as OursTarget's: how subscribers
        receive (``bench.subscription``; the same for both servers keeps them comparable)."""
        self.feedback = feedback
        self.process = JanusProcess(
            folder, cpu=cpu, event_loops=event_loops, debug_level=debug_level
        )
        self.publishers = publishers
        self.rooms: dict[str, int] = {}
        """Bench room names to the numeric Janus room ids made for them."""
        self.participants: list[JanusParticipant] = []
        self.people: dict[str, dict[str, tuple[int, str]]] = {}
        """Per bench room, display → (place in join order, role): what our server tells a
        page and Janus does not (``JoinSpec.page``)."""
        self._http: aiohttp.ClientSession | None = None
        self._admin: JanusSession | None = None
        self._admin_handle: JanusHandle | None = None
        self._room_lock = asyncio.Lock()
        self._substreams: dict[JanusParticipant, dict[int, int]] = {}
        """Per subscriber, feed → the simulcast layer it asked for."""

    def server_pids(self) -> list[int]:
        """Janus's PID while it runs (it is one process; its threads count with it)."""
        pid = self.process.pid
        return [pid] if pid is not None and self.process.running else []

    async def start(self) -> None:
        await self.process.start()
        # Every participant holds a long poll open: no cap on connections to Janus.
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self._admin = await JanusSession.create(self._http, self.process.url)
        self._admin_handle = await self._admin.attach()

    async def stop(self) -> None:
        """Close participants still open, then stop Janus. Idempotent; always stops Janus."""
        try:
            # All at once: one by one, each leaving publisher would make Janus re-offer to the
            # participants still waiting to close.
            await asyncio.gather(*(p.close() for p in self.participants), return_exceptions=True)
            if self._admin is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(3):
                        await self._admin.destroy()
                await self._admin.close()
                self._admin = None
            if self._http is not None:
                await self._http.close()
                self._http = None
        finally:
            # A clean exit leaves nothing to read; otherwise the folder keeps janus.log.
            if await self.process.stop() == 0:
                self.process.remove_folder()

    async def join(self, spec: JoinSpec) -> JanusParticipant:
        if self._http is None:
            raise RuntimeError("the Janus target is not started")
        room_id = await self._room(spec.room)
        people = self.people.setdefault(spec.room, {})
        people.setdefault(spec.identity, (len(people), spec.role))
        participant = JanusParticipant(
            self._http,
            self.process.url,
            room_id,
            spec,
            feedback=self.feedback,
            people=people,
            on_substreams=self._asked,
        )
        self.participants.append(participant)
        try:
            await participant.join()
        except BaseException:
            await participant.close()
            raise
        return participant

    def _asked(self, subscriber: JanusParticipant, substreams: dict[int, int]) -> None:
        self._substreams[subscriber] = substreams
        self.fit_layers()

    def fit_layers(self) -> None:
        """Each simulcast publisher sends its layers up to the largest any subscriber asked
        of it (the smallest always), as our server's ``publish_layers`` has it do."""
        top: dict[int, int] = {}
        for subscriber, asked in self._substreams.items():
            if subscriber.closing:
                continue
            for feed, substream in asked.items():
                top[feed] = max(top.get(feed, 0), substream)
        for publisher in self.participants:
            publication = publisher.publication
            if publication is None or publication.simulcast is None or publisher.feed_id is None:
                continue
            rids = publication.simulcast.rids
            publication.simulcast.set_active(rids[: top.get(publisher.feed_id, 0) + 1])

    async def _room(self, name: str) -> int:
        async with self._room_lock:
            room_id = self.rooms.get(name)
            if room_id is not None:
                return room_id
            room_id = FIRST_ROOM_ID + len(self.rooms)
            assert self._admin_handle is not None
            try:
                await self._admin_handle.request(
                    {
                        "request": "create",
                        "room": room_id,
                        "description": name,
                        "publishers": self.publishers,
                        "bitrate": 0,
                        "fir_freq": 0,
                        "audiocodec": "opus",
                        "videocodec": "vp8",
                        "record": False,
                        "notify_joining": False,
                    }
                )
            except JanusError as error:
                if error.code != _ROOM_EXISTS:
                    raise
            self.rooms[name] = room_id
            return room_id


if TYPE_CHECKING:
    # mypy proves here that JanusTarget (and its participants) fit the bench's protocols.
    _target: Target = JanusTarget()
