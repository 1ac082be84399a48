"""One bench participant in a Janus VideoRoom: publishes pre-encoded media, receives by counting.

Like janus.js, a participant is a session with a "publisher" handle (joined even when it sends
nothing: that handle is what hears of publishers coming and going) and, once there is someone
to receive, one multistream "subscriber" handle. Janus offers on the subscriber handle and the
bot answers with ``start``; new publishers are added with ``subscribe`` (Janus re-offers), and
Janus re-offers by itself when a publisher leaves.

With ``JoinSpec.page`` the subscriber handle carries what a lesson page of that size would
receive from our server (``bench.gallery``): every publisher's audio, and the videos of the
people on its first page (those of everyone while all fit). It subscribes stream by stream
(``{"feed", "mid"}``), and when the page changes asks for the difference in one ``update``
(``subscribe`` + ``unsubscribe``). Janus knows no roles and lists publishers, not
participants, in no set order: the target tells each participant every display's role and
the order people joined the room (``people``), which stands for the order a page learned of
them. Janus has no active speaker here (no ``audiolevel_event``) and no pins. Janus does not
choose a simulcast layer by the size a page draws a video at, so such a page asks for it
(``configure`` with ``substream``): the layer covering its tiles (``bench.tile_sizes``), as
our server picks from the page's ``set_video_sizes``; each time it answers an offer, it tells
``on_substreams`` what it asked of each feed.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from ..candidates import udp_candidates
from ..client_glue import LOOPBACK
from ..gallery import Gallery
from ..publication import Publication
from ..relay import UdpRelay
from ..rtp_stats import StreamStats
from ..simulcast import CAMERA_LAYERS
from ..subscription import Feedback, Subscription
from ..target import JoinSpec
from ..tile_sizes import layer_for, shown_size, tiles_on_screen
from .videoroom import Event, JanusHandle, JanusSession, plugin_data


class JanusParticipant:
    """Joins ``room_id`` as ``spec.identity`` (the VideoRoom ``display``)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        room_id: int,
        spec: JoinSpec,
        *,
        feedback: Feedback | bool = "cheap",
        clock: Callable[[], float] = time.monotonic,
        people: dict[str, tuple[int, str]] | None = None,
        on_substreams: Callable[["JanusParticipant", dict[int, int]], None] | None = None,
    ) -> None:
        """``feedback``: the receive mode (``bench.subscription``), as for our server, unless
        ``spec.feedback`` says otherwise; ``spec.downlink`` puts a relay on the subscribe
        connection; ``people``: display → (place in the room's join order, role), for
        ``spec.page``; ``on_substreams``: told feed → substream asked for, after each
        ``configure``."""
        self.identity = spec.identity
        self.join_started_at: float | None = None
        self.spec = spec
        self.room_id = room_id
        self.feed_id: int | None = None
        """This participant's VideoRoom id (what others subscribe to)."""
        self.publication: Publication | None = None
        self.relay = (
            UdpRelay(down_impairment=spec.downlink, seed=spec.link_seed)
            if spec.downlink is not None
            else None
        )
        """The impairing relay the subscribe connection goes through (``spec.downlink``)."""
        self.subscription = Subscription(
            decode=False, feedback=spec.feedback or feedback, relay=self.relay, clock=clock
        )
        self.subscribed: set[int] = set()
        """Feeds whose streams the subscriber handle carries."""
        self.gallery = Gallery(spec.page) if spec.page is not None else None
        """What its page shows (``spec.page``); keys are feed ids."""
        self.streams_subscribed: set[tuple[int, str]] = set()
        """(feed, mid) the subscriber handle carries (``spec.page``)."""
        self._people = people if people is not None else {}
        self._on_substreams = on_substreams
        self.substreams: dict[int, int] = {}
        """Feed → the simulcast layer last asked of it (``configure``)."""
        self._feeds: dict[int, dict[str, Any]] = {}
        """Publishers present that this participant may receive (``spec.page``), by feed."""
        self._http = http
        self._url = url
        self._clock = clock
        self._session: JanusSession | None = None
        self._publisher: JanusHandle | None = None
        self._subscriber: JanusHandle | None = None
        self._private_id: int | None = None
        # One negotiation at a time on the subscriber handle: Janus's offers and our
        # ``subscribe`` requests must not cross.
        self._negotiating = asyncio.Lock()
        self._closed = False

    @property
    def closing(self) -> bool:
        """``close()`` has begun."""
        return self._closed

    @property
    def errors(self) -> list[str]:
        """What went wrong in the background (event handling, long poll)."""
        return self._session.errors if self._session is not None else []

    def streams(self) -> list[StreamStats]:
        return list(self.subscription.counter.streams.values())

    def source_of(self, stream: StreamStats) -> str | None:
        """Identity of whoever published ``stream`` (Janus names the feed's ``display``)."""
        track = self.subscription.tracks.get(stream.mid or "")
        return track["participantId"] if track is not None else None

    def shown_videos(self) -> list[str] | None:
        """Displays whose videos it receives now (``spec.page``); None: every video."""
        return self.gallery.video() if self.gallery is not None else None

    def server_ports(self) -> set[int]:
        """Janus's UDP ports this participant receives from."""
        return self.subscription.server_ports()

    async def packets_sent(self) -> int:
        """RTP packets this participant's senders sent (aiortc's stats; RTX excluded)."""
        if self.publication is None:
            return 0
        total = 0
        for sender in self.publication.senders():
            for stats in (await sender.getStats()).values():
                if getattr(stats, "type", None) == "outbound-rtp":
                    total += int(getattr(stats, "packetsSent", 0))
        return total

    async def join(self) -> None:
        """Join, publish if asked, subscribe to who is there; returns when signalling is done."""
        self.join_started_at = self._clock()
        self._session = await JanusSession.create(self._http, self._url)
        publisher = self._publisher = await self._session.attach()
        publisher.on_event = self._on_room_event
        joined = await publisher.request(
            {
                "request": "join",
                "ptype": "publisher",
                "room": self.room_id,
                "display": self.identity,
            }
        )
        self.feed_id = int(joined["id"])
        self._private_id = joined.get("private_id")
        if self.spec.publish is not None:
            await self._publish(publisher)
        await self._subscribe(joined.get("publishers", []))

    async def close(self) -> None:
        """Leave (Janus drops the session and its handles) and close both connections."""
        if self._closed:
            return
        self._closed = True
        if self._session is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(3):
                    await self._session.destroy()
            await self._session.close()
        if self.publication is not None:
            await self.publication.close()
        await self.subscription.close()
        if self.relay is not None:
            await self.relay.close()

    async def _publish(self, publisher: JanusHandle) -> None:
        assert self.spec.publish is not None
        publish = self.spec.publish
        publication = self.publication = Publication(
            video=publish.video,
            audio=publish.audio,
            layered_video=publish.layered,
            audio_level=publish.audio_level,
            simulcast=publish.simulcast,
        )
        offer, _ = await publication.offer()
        jsep = {"type": "offer", "sdp": offer}
        if publish.simulcast is not None:
            jsep["rid_order"] = "lmh"  # q;h;f is smallest first (Janus's default: "hml")
        event = await publisher.message({"request": "publish", "display": self.identity}, jsep=jsep)
        await publication.accept(loopback_only(str(event["jsep"]["sdp"])))
        await publisher.trickle_completed()

    def _wanted(self, publisher: dict[str, Any]) -> bool:
        wanted = self.spec.subscribe_to
        return (
            int(publisher["id"]) != self.feed_id
            and bool(publisher.get("streams", True))
            and (wanted is None or str(publisher.get("display")) in wanted)
        )

    async def _subscribe(self, publishers: list[dict[str, Any]]) -> None:
        if self.gallery is not None:
            await self._follow_page(publishers, [])
            return
        async with self._negotiating:
            feeds = [int(p["id"]) for p in publishers if self._wanted(p)]
            feeds = [f for f in dict.fromkeys(feeds) if f not in self.subscribed]
            if not feeds or self._closed:
                return
            streams = [{"feed": feed} for feed in feeds]
            subscriber = self._subscriber
            if subscriber is None:
                assert self._session is not None
                subscriber = self._subscriber = await self._session.attach()
                subscriber.on_event = self._on_subscriber_event
                body: dict[str, Any] = {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": self.room_id,
                    "streams": streams,
                }
                if self._private_id is not None:
                    body["private_id"] = self._private_id
            else:
                body = {"request": "subscribe", "streams": streams}
            event = await subscriber.message(body)
            self.subscribed.update(feeds)
            if "jsep" in event:
                await self._answer(subscriber, event)

    async def _follow_page(self, publishers: list[dict[str, Any]], gone: list[int]) -> None:
        """Note who came and went, then (un)subscribe the streams the page's rule wants."""
        gallery = self.gallery
        assert gallery is not None
        async with self._negotiating:
            for publisher in publishers:
                if not self._wanted(publisher):
                    continue
                feed, display = int(publisher["id"]), str(publisher.get("display"))
                self._feeds[feed] = publisher
                order, role = self._people.get(display, (None, None))
                gallery.add(str(feed), display, role, order=order)
            for feed in gone:
                self._feeds.pop(feed, None)
                gallery.remove(str(feed))
                # Janus takes a leaving publisher's streams off the subscription itself.
                self.streams_subscribed = {s for s in self.streams_subscribed if s[0] != feed}
            wanted = page_streams(self._feeds, gallery.video())
            add = sorted(wanted - self.streams_subscribed)
            drop = sorted(self.streams_subscribed - wanted)
            if (not add and not drop) or self._closed:
                return
            subscriber = self._subscriber
            streams = [{"feed": feed, "mid": mid} for feed, mid in add]
            if subscriber is None:
                if not add:
                    return
                assert self._session is not None
                subscriber = self._subscriber = await self._session.attach()
                subscriber.on_event = self._on_subscriber_event
                body: dict[str, Any] = {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": self.room_id,
                    "streams": streams,
                }
                if self._private_id is not None:
                    body["private_id"] = self._private_id
            else:
                body = {"request": "update"}
                if add:
                    body["subscribe"] = streams
                if drop:
                    body["unsubscribe"] = [{"feed": feed, "mid": mid} for feed, mid in drop]
            event = await subscriber.message(body)
            self.streams_subscribed = (self.streams_subscribed | set(add)) - set(drop)
            self.subscribed = {feed for feed, _ in self.streams_subscribed}
            if "jsep" in event:
                await self._answer(subscriber, event)

    async def _answer(self, subscriber: JanusHandle, event: Event) -> None:
        """Answer a subscriber offer from Janus with ``start``."""
        streams = plugin_data(event).get("streams", [])
        tracks = tracks_of(streams)
        offer = loopback_only(str(event["jsep"]["sdp"]))
        answer = await self.subscription.answer(offer, tracks)
        await subscriber.message({"request": "start"}, jsep={"type": "answer", "sdp": answer})
        await subscriber.trickle_completed()
        await self._choose_substream(subscriber, streams)

    def page_substream(self) -> int | None:
        """The layer covering this page's tiles now (``spec.page``), else ``spec.substream``."""
        gallery = self.gallery
        if gallery is None:
            return self.spec.substream
        shown = gallery.shown()
        tiles = tiles_on_screen(len(shown if shown is not None else gallery.keys()))
        size = shown_size(gallery.size, tiles)
        if size is None or gallery.staged():
            return self.spec.substream  # not modelled (bench.tile_sizes): Janus's default
        return layer_for(size, [(layer.width, layer.height) for layer in CAMERA_LAYERS])

    async def _choose_substream(self, subscriber: JanusHandle, streams: list[Any]) -> None:
        """Ask for one simulcast layer of every video, as a page on Janus picks it itself
        (Janus does not fit a subscriber's stream to its downlink or its tiles): its tiles'
        (``spec.page``), else ``spec.substream``."""
        substream = self.page_substream()
        if substream is None:
            return
        videos = [
            s for s in streams if s.get("type") == "video" and s.get("active", True) and "mid" in s
        ]
        if not videos:
            return
        await subscriber.message(
            {
                "request": "configure",
                "streams": [
                    {"mid": str(s["mid"]), "substream": substream, "temporal": 2} for s in videos
                ],
            }
        )
        self.substreams = {
            int(s["feed_id"]): substream for s in videos if s.get("feed_id") is not None
        }
        if self._on_substreams is not None:
            self._on_substreams(self, dict(self.substreams))

    async def _on_room_event(self, event: Event) -> None:
        data = plugin_data(event)
        if self.gallery is not None:
            gone = [data[k] for k in ("unpublished", "leaving") if isinstance(data.get(k), int)]
            if data.get("publishers") or gone:
                await self._follow_page(data.get("publishers") or [], gone)
            return
        if data.get("publishers"):
            await self._subscribe(data["publishers"])
        # A feed that left may come back under the same id: subscribe to it again then.
        for key in ("unpublished", "leaving"):
            if isinstance(data.get(key), int):
                self.subscribed.discard(data[key])

    async def _on_subscriber_event(self, event: Event) -> None:
        if event.get("jsep", {}).get("type") == "offer" and self._subscriber is not None:
            async with self._negotiating:
                if not self._closed:
                    await self._answer(self._subscriber, event)


def page_streams(feeds: dict[int, dict[str, Any]], video: list[str] | None) -> set[tuple[int, str]]:
    """(feed, mid) of every publisher's audio, and of the videos of ``video``'s displays
    (None: everyone's)."""
    wanted: set[tuple[int, str]] = set()
    for feed, publisher in feeds.items():
        shown = video is None or str(publisher.get("display")) in video
        for stream in publisher.get("streams", []):
            if stream.get("disabled") or "mid" not in stream:
                continue
            if stream.get("type") == "audio" or (stream.get("type") == "video" and shown):
                wanted.add((feed, str(stream["mid"])))
    return wanted


def loopback_only(sdp: str) -> str:
    """``sdp`` itself, if every candidate Janus offers is on 127.0.0.1 (else refuse it)."""
    hosts = {host for host, _ in udp_candidates(sdp)}
    if hosts - {LOOPBACK}:
        raise RuntimeError(f"Janus offered candidates off loopback: {sorted(hosts)}")
    return sdp


def tracks_of(streams: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Janus's subscription ``streams`` as our protocol's ``tracks`` list (for reports)."""
    return [
        {
            "mid": str(s["mid"]),
            "participantId": str(s.get("feed_display") or s.get("feed_id")),
            "trackId": f"{s.get('feed_id')}:{s.get('feed_mid')}",
            "kind": str(s["type"]),
            "source": "microphone" if s["type"] == "audio" else "camera",
        }
        for s in streams
        if s.get("type") in ("audio", "video") and s.get("active", True) and "mid" in s
    ]
