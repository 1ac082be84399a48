"""Bench bots: participants that join a room over the wire protocol, publish and receive media.

``SubscriberBot`` joins and receives whatever the server offers it (or, with ``page``, only
the videos a lesson page of that size shows, and everyone's sound); ``PublisherBot`` also
publishes pre-encoded camera and microphone tracks. Both speak only docs/protocol.md and
WebRTC, like a browser, and use ICE on 127.0.0.1 only.
"""

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from .gallery import SETTLE_S, Gallery, PageSize
from .media import EncodedFrame, load_audio, load_video
from .publication import TONE_LEVEL_DBOV, Publication, PublishedSource
from .relay import UdpRelay
from .rtp_stats import StreamStats
from .signal_client import Message, SignalClient, SignalClosed, SignalError
from .simulcast import load_simulcast
from .subscription import DecodedTrackStats, Feedback, Subscription
from .tile_sizes import shown_size, tiles_on_screen


class SubscriberBot:
    """A participant that joins, answers every subscribe offer and counts what it receives.

    ``decode`` / ``feedback`` / ``keyframe_timeout`` choose how it receives (see
    ``bench.subscription``); ``relay``
    carries its subscribe connection through an impairing ``UdpRelay`` (started here, closed
    by its owner). ``page`` makes it ask for videos as a lesson page of that size does
    (``bench.gallery``: the first page of the class's cameras, the pinned person and a speaker
    brought in first, screens always; everyone's sound): it joins receiving everything, then
    sends ``set_subscriptions`` with ``video`` 250 ms after what its page shows changes, and
    ``set_video_sizes`` with the size each shown camera's tile is drawn at
    (``bench.tile_sizes``, at ``device_pixel_ratio``) 250 ms after that, or after the tiles
    or someone's tracks changed, as seen.js does.
    """

    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        decode: bool = False,
        feedback: Feedback | bool = "aiortc",
        relay: UdpRelay | None = None,
        keyframe_timeout: float | None = 1.0,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        page: PageSize | None = None,
        device_pixel_ratio: float = 1.0,
    ) -> None:
        self.server_url = server_url
        self.token = token
        self.subscription = Subscription(
            decode=decode,
            feedback=feedback,
            relay=relay,
            keyframe_timeout=keyframe_timeout,
            clock=clock,
        )
        self.joined: Message | None = None
        """The server's ``joined`` response."""
        self.join_started_at: float | None = None
        self._session = session
        self._signal: SignalClient | None = None
        self._clock = clock
        self.gallery = Gallery(page) if page is not None else None
        """What its page shows (``page``), kept from the room's events."""
        self.video_requests: list[list[str] | None] = []
        """Every ``video`` it asked for with ``set_subscriptions``, in order."""
        self.size_requests: list[dict[str, list[int]]] = []
        """Every ``sizes`` it sent with ``set_video_sizes``, in order (``page``)."""
        self.device_pixel_ratio = device_pixel_ratio
        self._asked: tuple[str, ...] | None | object = _NOTHING_ASKED
        self._sized: tuple[tuple[str, int, int], ...] | object = _NOTHING_ASKED
        self._settle: asyncio.TimerHandle | None = None
        self._size_settle: asyncio.TimerHandle | None = None
        self._asking: set[asyncio.Task[None]] = set()
        self._screen_tracks: dict[str, set[str]] = {}
        self._camera_tracks: dict[str, str] = {}
        """Participant id → the id of its camera track (what ``set_video_sizes`` names)."""

    @property
    def signal(self) -> SignalClient:
        if self._signal is None:
            raise RuntimeError("the bot has not joined")
        return self._signal

    @property
    def participant_id(self) -> str | None:
        return str(self.joined["self"]["id"]) if self.joined else None

    async def join(
        self, identities: list[str] | None = None, resume_token: str | None = None
    ) -> Message:
        """Open the WebSocket and join; subscribe offers are answered from now on.

        ``identities`` limits whose media is received from the start (None: everyone's);
        ``resume_token`` (from an earlier ``joined``) takes back a dropped participant's place.
        """
        self.join_started_at = self._clock()
        self._signal = await SignalClient.connect(self.server_url, session=self._session)
        self._signal.on("subscribe_offer", self._on_subscribe_offer)
        if self.gallery is not None:
            for event in PAGE_EVENTS:
                self._signal.on(event, self._on_room_event)
        self.joined = await self._signal.join(self.token, identities, resume_token)
        # No await before the page has read `joined`: the room's later events wait behind it.
        if self.gallery is not None:
            self._show_room(self.joined)
        return self.joined

    def shown_videos(self) -> list[str] | None:
        """Identities whose videos this bot asks for now; None: every video."""
        if self.gallery is None:
            return None
        return self.gallery.video()

    def shown_sizes(self) -> dict[str, list[int]]:
        """What its page's ``set_video_sizes`` says now: camera track id → [width, height]
        of the tile, for the cameras on the page (seen.js ``_sizes``)."""
        gallery = self.gallery
        if gallery is None:
            return {}
        shown = gallery.shown()
        keys = shown if shown is not None else gallery.keys()
        size = shown_size(gallery.size, tiles_on_screen(len(keys)), self.device_pixel_ratio)
        if size is None or gallery.staged():
            return {}  # a stage's sizes are not modelled (bench.tile_sizes)
        return {
            self._camera_tracks[k]: [size[0], size[1]] for k in keys if k in self._camera_tracks
        }

    async def chat(self, text: str) -> None:
        await self.signal.chat(text)

    async def leave(self) -> None:
        """Say goodbye (``leave``); the server closes the socket."""
        await self.signal.leave()

    async def close(self) -> None:
        """Close the socket and the connections without leaving first. Idempotent."""
        if self._settle is not None:
            self._settle.cancel()
        if self._size_settle is not None:
            self._size_settle.cancel()
        for task in list(self._asking):
            task.cancel()
        await asyncio.gather(*self._asking, return_exceptions=True)
        # The socket first: an offer arriving meanwhile must not meet a closed connection.
        if self._signal is not None:
            await self._signal.close()
        await self.subscription.close()

    async def __aenter__(self) -> "SubscriberBot":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def streams(self) -> list[StreamStats]:
        """Every RTP stream received so far."""
        return list(self.subscription.counter.streams.values())

    async def wait_for_streams(
        self,
        count: int,
        *,
        packets: int = 1,
        video_keyframe: bool = False,
        within: float = 15.0,
    ) -> list[StreamStats]:
        """Wait until ``count`` streams have ``packets`` packets each (and, if asked, every
        video stream's first keyframe has arrived); return those streams."""

        def ready() -> list[StreamStats]:
            return [
                s
                for s in self.streams()
                if s.packets >= packets
                and not (video_keyframe and s.kind == "video" and s.first_keyframe_end_at is None)
            ]

        async with asyncio.timeout(within):
            while True:
                found = ready()
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)

    async def wait_for_decoded(
        self, count: int, *, frames: int = 1, within: float = 15.0
    ) -> list[DecodedTrackStats]:
        """Wait until ``count`` tracks have decoded ``frames`` frames each (``decode=True``)."""
        async with asyncio.timeout(within):
            while True:
                found = [d for d in self.subscription.decoded.values() if d.frames >= frames]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.05)

    def report(self) -> dict[str, Any]:
        """A JSON-friendly account of what this bot did and received."""
        signal = self._signal
        return {
            "participant": self.participant_id,
            "join_started_at": self.join_started_at,
            "subscribe_offers": self.subscription.offers,
            "subscribe_state": self.subscription.connection_state,
            "subscribe": self.subscription.summary(),
            "unattributed_packets": self.subscription.counter.unattributed_packets,
            "feedback": self.subscription.feedback,
            "feedback_sent": (
                vars(self.subscription.generated.counters).copy()
                if self.subscription.generated is not None
                else None
            ),
            "relay": _relay_report(self.subscription.relay),
            "handler_errors": [repr(e) for e in signal.handler_errors] if signal else [],
        }

    async def _on_subscribe_offer(self, message: Message) -> None:
        answer = await self.subscription.answer(str(message["sdp"]), list(message["tracks"]))
        await self.signal.subscribe_answer(answer)

    # The page's subscriptions (``page``): what app.js, tiles.js and seen.js do.

    def _show_room(self, joined: Message) -> None:
        """After a (re)join: the room as ``joined`` tells it; the page asks once, whatever it
        shows (seen.js ``resync``)."""
        gallery = self.gallery
        assert gallery is not None
        me = str(joined.get("self", {}).get("id"))
        for person in joined.get("participants", []):
            if str(person["id"]) == me:
                continue
            gallery.add(
                str(person["id"]),
                str(person["identity"]),
                person.get("role"),
                screen=self._note_tracks(person),
            )
        gallery.set_pinned(_id_or_none(joined.get("pinned")))
        gallery.set_speaker(_id_or_none(joined.get("activeSpeaker")))
        self._asked = _NOTHING_ASKED
        self._sized = _NOTHING_ASKED
        self._ask_soon()
        self._size_soon()

    async def _on_room_event(self, event: Message) -> None:
        gallery = self.gallery
        assert gallery is not None
        kind = event.get("type")
        changed = False
        # The tiles change size (a tile came or went: the page's 'sizechange'), or someone's
        # tracks changed (its 'tracksChanged'): the sizes are told again if they differ.
        resized = False
        if kind == "participant_joined":
            person = event["participant"]
            if str(person["id"]) == self.participant_id:
                return
            changed = gallery.add(
                str(person["id"]),
                str(person["identity"]),
                person.get("role"),
                screen=self._note_tracks(person),
            )
            resized = True
        elif kind == "participant_left":
            self._screen_tracks.pop(str(event["participantId"]), None)
            self._camera_tracks.pop(str(event["participantId"]), None)
            changed = gallery.remove(str(event["participantId"]))
            resized = True
        elif kind in ("track_added", "track_removed"):
            key = str(event["participantId"])
            screens = self._screen_tracks.setdefault(key, set())
            track = event.get("track") or {}
            if kind == "track_added" and track.get("source") == "screen":
                screens.add(str(track.get("id")))
            elif kind == "track_added" and _is_camera(track):
                self._camera_tracks[key] = str(track.get("id"))
            elif kind == "track_removed":
                screens.discard(str(event.get("trackId")))
                if self._camera_tracks.get(key) == str(event.get("trackId")):
                    del self._camera_tracks[key]
            changed = gallery.set_screen(key, bool(screens))
            resized = key in gallery
        elif kind == "pinned":
            changed = gallery.set_pinned(_id_or_none(event.get("participantId")))
        elif kind == "active_speaker":
            changed = gallery.set_speaker(_id_or_none(event.get("participantId")))
        if changed:
            self._ask_soon()
        if resized:
            self._size_soon()

    def _note_tracks(self, person: Message) -> bool:
        """Remember ``person``'s camera and screen-share track ids; whether they share a
        screen."""
        tracks = person.get("tracks", [])
        screens = {str(t.get("id")) for t in tracks if t.get("source") == "screen"}
        self._screen_tracks[str(person["id"])] = screens
        camera = next((str(t.get("id")) for t in tracks if _is_camera(t)), None)
        if camera is not None:
            self._camera_tracks[str(person["id"])] = camera
        else:
            self._camera_tracks.pop(str(person["id"]), None)
        return bool(screens)

    def _ask_soon(self) -> None:
        if self._settle is not None:
            self._settle.cancel()
        loop = asyncio.get_running_loop()
        self._settle = loop.call_later(SETTLE_S, self._ask_now)

    def _ask_now(self) -> None:
        self._settle = None
        self._spawn(self._ask())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    def _size_soon(self) -> None:
        if self._size_settle is not None:
            self._size_settle.cancel()
        loop = asyncio.get_running_loop()
        self._size_settle = loop.call_later(SETTLE_S, self._size_now)

    def _size_now(self) -> None:
        self._size_settle = None
        self._spawn(self._send_sizes())

    async def _send_sizes(self) -> None:
        if self.gallery is None or self._signal is None or self._signal.closed:
            return
        sizes = self.shown_sizes()
        key = tuple(sorted((track, w, h) for track, (w, h) in sizes.items()))
        if key == self._sized:
            return
        self._sized = key
        self.size_requests.append(sizes)
        try:
            await self._signal.request({"type": "set_video_sizes", "sizes": sizes})
        except (SignalClosed, SignalError, TimeoutError, ConnectionError):
            self._sized = _NOTHING_ASKED  # as seen.js: told again after a rejoin

    async def _ask(self) -> None:
        if self.gallery is None or self._signal is None or self._signal.closed:
            return
        video = self.gallery.video()
        key = None if video is None else tuple(video)
        if key == self._asked:
            return
        self._asked = key
        self.video_requests.append(video)
        try:
            await self._signal.request(
                {"type": "set_subscriptions", "identities": None, "video": video}
            )
        except (SignalClosed, SignalError, TimeoutError, ConnectionError):
            self._asked = _NOTHING_ASKED  # as seen.js: asked again after a rejoin
            return
        self._size_soon()  # the tiles shown now are drawn now


class PublisherBot(SubscriberBot):
    """A participant that also publishes pre-encoded camera (VP8) and microphone (Opus).

    ``video_size`` picks the cached clip (None: no camera); ``video`` / ``audio`` frame lists,
    if given, are used instead (share them between many bots to save memory). ``audio_level``
    (dBov) goes into the audio-level extension, for the server's active-speaker detection.
    ``layered_video``: the video frames have three temporal layers (a layered ``VideoSpec``).
    ``simulcast``: the camera goes out in three sizes instead, as the web client's does
    (``bench.simulcast``; True loads the cached clips, or pass them to share them), and, as
    the web client, only the layers the server says are watched (``publish_layers``) are
    sent, unless ``follow_layers`` is False.
    """

    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        video_size: tuple[int, int] | None = (1280, 720),
        audio: bool = True,
        video_frames: list[EncodedFrame] | None = None,
        audio_frames: list[EncodedFrame] | None = None,
        publish_relay: UdpRelay | None = None,
        audio_level: int | None = TONE_LEVEL_DBOV,
        layered_video: bool = False,
        simulcast: bool | list[list[EncodedFrame]] = False,
        follow_layers: bool = True,
        **subscriber_options: Any,
    ) -> None:
        super().__init__(server_url, token, **subscriber_options)
        self.layered_video = layered_video
        self.simulcast = simulcast
        self.follow_layers = follow_layers
        self.layer_requests: list[list[str]] = []
        """The RIDs of every ``publish_layers`` for its camera, in order."""
        self.video_size = video_size
        self.audio = audio
        self.audio_level = audio_level
        self.publish_relay = publish_relay
        self._video_frames = video_frames
        self._audio_frames = audio_frames
        self._publication: Publication | None = None

    @property
    def publication(self) -> Publication:
        if self._publication is None:
            raise RuntimeError("the bot has not published")
        return self._publication

    async def publish(self) -> None:
        """Offer the tracks (after ICE gathering) and apply the server's answer."""
        video = self._video_frames
        if video is None and self.video_size is not None and self.simulcast is False:
            # The first use of a size encodes the clip (seconds): keep the loop running.
            video = await asyncio.to_thread(load_video, *self.video_size)
        audio = self._audio_frames
        if audio is None and self.audio:
            audio = await asyncio.to_thread(load_audio)
        simulcast: list[list[EncodedFrame]] | None = None
        if self.simulcast is True:
            simulcast = await asyncio.to_thread(load_simulcast)
        elif self.simulcast:
            simulcast = self.simulcast
        self._publication = Publication(
            simulcast=simulcast,
            video=video,
            audio=audio,
            relay=self.publish_relay,
            audio_level=self.audio_level,
            layered_video=self.layered_video,
        )
        if simulcast is not None and self.follow_layers:
            self.signal.on("publish_layers", self._on_publish_layers)
        sdp, tracks = await self._publication.offer()
        answer = await self.signal.publish_offer(sdp, tracks)
        await self._publication.accept(answer)

    async def _on_publish_layers(self, message: Message) -> None:
        """Send only the camera layers named (protocol.js ``_setActiveLayers``)."""
        rids = message.get("rids")
        publication = self._publication
        if message.get("source") != "camera" or not isinstance(rids, list):
            return
        if publication is None or publication.simulcast is None:
            return
        self.layer_requests.append([str(r) for r in rids])
        publication.simulcast.set_active([str(r) for r in rids])

    @property
    def pli_received(self) -> int:
        """Keyframe requests (PLI and FIR) that reached the camera's sender."""
        camera = self._camera()
        return camera.feedback.pli + camera.feedback.fir if camera else 0

    @property
    def keyframes_sent(self) -> int:
        """Camera keyframes sent, the clip's own and those jumped to on request."""
        camera = self._camera()
        return camera.track.counters.keyframes_sent if camera else 0

    @property
    def keyframes_on_request(self) -> int:
        """Jumps to a keyframe made because of PLI / FIR."""
        camera = self._camera()
        return camera.track.counters.keyframes_on_request if camera else 0

    def _camera(self) -> PublishedSource | None:
        return self._publication.sources.get("camera") if self._publication else None

    def set_audio_level(self, dbov: int | None) -> None:
        """Announce a new loudness from the next audio packet on (-127 is silence)."""
        self.audio_level = dbov
        if self._publication is not None and "microphone" in self._publication.sources:
            self._publication.sources["microphone"].track.audio_level = dbov

    async def start(self, resume_token: str | None = None) -> Message:
        """Join, then publish."""
        joined = await self.join(resume_token=resume_token)
        await self.publish()
        return joined

    async def close(self) -> None:
        if self._publication is not None:
            await self._publication.close()
        await super().close()

    def report(self) -> dict[str, Any]:
        report = super().report()
        publication = self._publication
        report["publish_state"] = publication.connection_state if publication else None
        report["publish"] = publication.summary() if publication else {}
        report["publish_relay"] = _relay_report(self.publish_relay)
        return report


_NOTHING_ASKED = object()
"""Nothing asked yet on this connection (seen.js's ``sent = undefined``)."""
PAGE_EVENTS = (
    "participant_joined",
    "participant_left",
    "track_added",
    "track_removed",
    "pinned",
    "active_speaker",
)
"""The room events that can change what a page shows."""


def _is_camera(track: Message) -> bool:
    return track.get("kind") == "video" and track.get("source", "camera") == "camera"


def _id_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _relay_report(relay: UdpRelay | None) -> dict[str, Any] | None:
    if relay is None:
        return None
    return {"up": vars(relay.up).copy(), "down": vars(relay.down).copy()}
