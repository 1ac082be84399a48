"""A router: one live room's peers, producers and consumers, closed together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from . import rtcp
from .allocation import spatial_cap
from .counters import Counters
from .errors import NotFound
from .ids import PeerId, RoomId, TrackId
from .peer import OfferHandler, Peer
from .pipe import PipeSender, producer_params
from .producer import Producer
from .publishing import PublishChange, TrackInfo
from .speaker import ActiveSpeaker
from .tap import RoomTap, Tap, TapTrack

logger = logging.getLogger(__name__)

REPORT_INTERVAL = 1.0
"""Seconds between RTCP reports. One timer per room, not two loops per sender."""


class Router:
    def __init__(
        self,
        room_id: RoomId,
        ice_addresses: list[str],
        counters: Counters,
        on_subscribe_offer: Callable[[RoomId, PeerId, str, list[dict[str, object]]], None],
        on_peer_failed: Callable[[RoomId, PeerId], None],
        on_video_quality: Callable[[RoomId, PeerId, TrackId, str], None] | None = None,
        on_active_speaker: Callable[[RoomId, PeerId | None], None] | None = None,
        on_publish_layers: Callable[[RoomId, PeerId, str, list[str]], None] | None = None,
    ) -> None:
        self.id = room_id
        self._ice_addresses = ice_addresses
        self._counters = counters
        self._on_subscribe_offer = on_subscribe_offer
        self._on_peer_failed = on_peer_failed
        self._on_video_quality = on_video_quality
        self._on_active_speaker = on_active_speaker
        self._on_publish_layers = on_publish_layers
        self.speaker = ActiveSpeaker()
        self.peers: dict[PeerId, Peer] = {}
        self.taps: list[Tap] = []
        """Hidden consumers of every track (a recorder), see sfu/tap.py."""
        self._subscribes: dict[PeerId, bool] = {}
        self._allowed: dict[PeerId, set[PeerId] | None] = {}
        """Whose media each peer receives: None for everyone's."""
        self._video: dict[PeerId, set[PeerId] | None] = {}
        """Of those, whose video each peer receives (the tiles its page shows): None for all.
        Everyone else's sound still arrives: a pupil hears the class it does not see."""
        self._loop = asyncio.get_running_loop()
        self._last_tick = self._loop.time()
        self._reports: asyncio.TimerHandle | None = self._loop.call_later(
            REPORT_INTERVAL, self._send_reports
        )
        self._speaker_timer: asyncio.TimerHandle | None = self._loop.call_later(
            self.speaker.params.interval, self._detect_speaker
        )
        self.closed = False

    def add_peer(
        self,
        peer_id: PeerId,
        subscribe: bool = True,
        publishers: list[PeerId] | None = None,
        priority: int = 0,
    ) -> Peer:
        """Add a participant; `publishers` limits whose media it receives from the start;
        `priority` ranks its videos for weak downlinks (a teacher's before pupils')."""
        offer_handler: OfferHandler = lambda peer, sdp, tracks: self._on_subscribe_offer(  # noqa: E731
            self.id, peer.id, sdp, tracks
        )
        peer = Peer(
            peer_id,
            self._ice_addresses,
            self._counters,
            offer_handler,
            lambda p: self._on_peer_failed(self.id, p.id),
            self._video_quality,
        )
        peer.priority = priority
        self.peers[peer_id] = peer
        self._subscribes[peer_id] = subscribe
        self._allowed[peer_id] = None if publishers is None else set(publishers)
        self._sync_subscriptions(peer)
        return peer

    def _video_quality(self, peer: Peer, track: TrackId, quality: str) -> None:
        if self._on_video_quality is not None:
            self._on_video_quality(self.id, peer.id, track, quality)

    def _receives(self, subscriber: PeerId, publisher: PeerId, kind: str) -> bool:
        if subscriber == publisher or not self._subscribes.get(subscriber):
            return False
        allowed = self._allowed.get(subscriber)
        if allowed is not None and publisher not in allowed:
            return False
        video = self._video.get(subscriber)
        return kind != "video" or video is None or publisher in video

    def set_subscriptions(
        self,
        peer_id: PeerId,
        publishers: list[PeerId] | None,
        video: list[PeerId] | None = None,
    ) -> None:
        """Receive only these publishers' media (None: everyone's), and of them only `video`'s
        videos (None: all of theirs), now and as they publish."""
        peer = self.peer(peer_id)
        self._allowed[peer_id] = None if publishers is None else set(publishers)
        self._video[peer_id] = None if video is None else set(video)
        self._sync_subscriptions(peer)

    def _sync_subscriptions(self, peer: Peer) -> None:
        """Make `peer`'s consumers match what it should receive."""
        for other in self.peers.values():
            for producer in other.producers.values():
                wanted = self._receives(peer.id, other.id, producer.kind)
                consumer = peer.consumer_of(producer.id)
                if wanted and consumer is None:
                    peer.subscribe(producer, stream_id=other.id)
                elif not wanted and consumer is not None:
                    consumer.close()

    def peer(self, peer_id: PeerId) -> Peer:
        peer = self.peers.get(peer_id)
        if peer is None:
            raise NotFound(f"no peer {peer_id} in room {self.id}")
        return peer

    async def publish(
        self, peer_id: PeerId, offer: str, sources: dict[str, str], music: bool = False
    ) -> PublishChange:
        peer = self.peer(peer_id)
        change = await peer.publish(offer, sources, music)
        for info in change.added:
            producer = peer.producers[info.id]
            for other_id, other in self.peers.items():
                if self._receives(other_id, peer.id, producer.kind):
                    other.subscribe(producer, stream_id=peer.id)
            for tap in self.taps:
                tap.add(producer)
        return change

    def add_remote_track(self, track: TapTrack, feedback: Callable[[bytes], None]) -> Producer:
        """A track of the room's stage on another node, piped here (sfu/pipe.py): a producer
        under the same track and publisher ids, which this node's peers receive as any."""
        publisher = PeerId(track.peer)
        peer = self.peers.get(publisher)
        if peer is None:
            # The performer, as this node knows them: publishes (through the pipe), receives
            # nothing, has no connection here.
            peer = self.add_peer(publisher, subscribe=False)
        producer = peer.add_remote_producer(TrackId(track.id), producer_params(track), feedback)
        for other_id, other in self.peers.items():
            if self._receives(other_id, publisher, producer.kind):
                other.subscribe(producer, stream_id=publisher)
        for tap in self.taps:
            tap.add(producer)
        return producer

    async def remove_remote_track(self, track: str) -> None:
        """A piped track ended; its publisher goes when nothing of theirs is left here."""
        for peer in list(self.peers.values()):
            if peer.close_producer(TrackId(track)) is not None:
                if not peer.producers and not self._subscribes.get(peer.id):
                    await self.remove_peer(peer.id)
                return

    def attach_tap(self, target: RoomTap) -> Tap:
        """Deliver every track of the room, now and as they are published, to `target`."""
        tap = Tap(target, self._counters)
        self.taps.append(tap)
        for peer in self.peers.values():
            for producer in peer.producers.values():
                tap.add(producer)
        return tap

    def detach_tap(self, tap: Tap) -> None:
        if tap in self.taps:
            self.taps.remove(tap)
        tap.close()

    def unpublish(self, peer_id: PeerId, track_id: TrackId) -> None:
        if self.peer(peer_id).close_producer(track_id) is None:
            raise NotFound(f"no track {track_id}")

    def set_muted(self, peer_id: PeerId, track_id: TrackId, muted: bool) -> None:
        producer = self.peer(peer_id).producers.get(track_id)
        if producer is None:
            raise NotFound(f"no track {track_id}")
        producer.set_muted(muted)

    def tracks(self, peer_id: PeerId) -> list[TrackInfo]:
        return [
            TrackInfo(p.id, peer_id, p.kind, p.source, p.muted)
            for p in self.peer(peer_id).producers.values()
        ]

    async def remove_peer(self, peer_id: PeerId) -> list[TrackId]:
        """Close the peer; returns the ids of the tracks it had published."""
        peer = self.peers.pop(peer_id, None)
        self._subscribes.pop(peer_id, None)
        self._allowed.pop(peer_id, None)
        self._video.pop(peer_id, None)
        if peer is None:
            return []
        track_ids = list(peer.producers)
        await peer.close()
        return track_ids

    def _send_reports(self) -> None:
        self._reports = self._loop.call_later(REPORT_INTERVAL, self._send_reports)
        now = self._loop.time()
        elapsed = now - self._last_tick
        self._last_tick = now
        ntp = rtcp.ntp_now()
        peers = list(self.peers.values())
        for peer in peers:
            try:
                for producer in peer.producers.values():
                    producer.sample_rates(elapsed)
            except Exception:
                logger.exception("rates failed for %s", peer.id)
        for peer in peers:
            try:
                peer.allocate(elapsed)
            except Exception:  # one broken peer must not stop the others' allocation
                logger.exception("allocation failed for %s", peer.id)
        self._cap_publishers()
        self._watch_layers(now)
        for peer in peers:
            try:
                peer.send_reports(now, ntp)
            except Exception:  # one broken peer must not silence the room's reports
                logger.exception("RTCP reports failed for %s", peer.id)
        for tap in self.taps:
            try:
                tap.follow_layers(now)
                tap.send_reports(now, ntp)
            except Exception:
                logger.exception("RTCP reports failed for a tap of %s", self.id)

    def _detect_speaker(self) -> None:
        """Once an interval, not per packet: each producer only sums its levels."""
        self._speaker_timer = self._loop.call_later(
            self.speaker.params.interval, self._detect_speaker
        )
        activities: dict[str, int] = {}
        for peer in self.peers.values():
            for producer in peer.producers.values():
                voice = producer.voice
                if voice is None:
                    continue
                activity = voice.take()
                # Muted (by its owner or a host): never the speaker, whatever it sends.
                if not producer.muted and activity >= activities.get(peer.id, 0):
                    activities[peer.id] = activity
        if not self.speaker.update(self._loop.time(), activities):
            return
        self._counters.speaker_changes += 1
        if self._on_active_speaker:
            speaker = self.speaker.speaker
            self._on_active_speaker(self.id, None if speaker is None else PeerId(speaker))

    def _cap_publishers(self) -> None:
        """A publisher's REMB follows its best subscriber: what no one can take is not sent.

        A weak pupil never lowers what the others get (the best one decides), and no one
        without an estimate yet (a bot, a link never measured) is assumed to be weak. Nor
        is an audience on another node, piped the stage (sfu/pipe.py): its links are not
        known here, and a cap from this node's weak viewers would cost its performer the
        top layer that the pipe carries there.
        """
        piped = any(isinstance(tap.target, PipeSender) for tap in self.taps)
        for publisher in self.peers.values():
            if not any(p.kind == "video" for p in publisher.producers.values()):
                continue
            budgets: list[float | None] = [
                subscriber.downlink.budget()
                for subscriber in self.peers.values()
                if subscriber is not publisher
                and self._receives(subscriber.id, publisher.id, "video")
            ]
            if piped or not budgets or any(b is None for b in budgets):
                cap = None
            else:
                cap = max(b for b in budgets if b is not None)
            publisher.cap_publisher(cap)

    def _watch_layers(self, now: float) -> None:
        """Tell each publisher which encodings of its simulcast camera are watched, so its
        browser stops encoding and sending the others (a pupil's phone in a class, seen only
        in small tiles, sends 240x135 and 480x270, not 960x540 too: half its uplink and
        encoder time). A layer is watched by a subscriber whose tile it covers
        (`allocation.spatial_cap`, whatever its downlink carries now: the allocator can only
        climb to a layer that arrives), and every layer by a recording; the smallest always
        is, so a new subscriber has a picture at once. A layer is let go only after
        `UNWATCHED_AFTER` seconds: turning a page back must not wait for it."""
        if self._on_publish_layers is None:
            return
        for peer in self.peers.values():
            for producer in peer.producers.values():
                if not producer.simulcast or producer.kind != "video":
                    continue
                top = len(producer.encodings) - 1 if self.taps else 0
                sizes = [e.size for e in producer.encodings]
                for other in self.peers.values():
                    consumer = other.consumer_of(producer.id)
                    if consumer is not None and not consumer.closed:
                        shown = other.video_sizes.get(producer.id)
                        top = max(top, spatial_cap(sizes, shown))
                wanted = producer.watch(top, now)
                if wanted is not None:
                    rids = [e.rid for e in producer.encodings[: wanted + 1] if e.rid]
                    self._on_publish_layers(self.id, peer.id, producer.source, rids)

    async def close(self) -> None:
        """Close every peer. Idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._reports is not None:
            self._reports.cancel()
        if self._speaker_timer is not None:
            self._speaker_timer.cancel()
        for tap in list(self.taps):
            self.detach_tap(tap)
        for peer_id in list(self.peers):
            await self.remove_peer(peer_id)
