"""The command interface signalling drives the SFU through: plain values in and out.

Every argument and result is a str / int / bool / list / dict, so the same calls travel
over msgpack to an SFU in another process (`sfu.wire`) without changing a caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from .counters import Counters
from .errors import NotFound, Unavailable
from .forwarder import UdpForwarder
from .ids import PeerId, RoomId, TrackId
from .pipe import PipeReceiver, PipeSender
from .router import Router
from .tap import RoomTap, Tap


class SfuEvents(Protocol):
    """What the SFU tells signalling without being asked."""

    def subscribe_offer(
        self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]
    ) -> None: ...

    def peer_failed(self, room: str, peer: str) -> None: ...

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        """A video `peer` receives became "full", "reduced" or "paused" for its downlink."""

    def active_speaker(self, room: str, peer: str | None) -> None:
        """The room's dominant speaker is now `peer` (None: nobody speaks); sfu/speaker.py."""

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        """Of `peer`'s simulcast `source`, only these encodings are watched: it may stop the
        others (and start them again when they are named)."""


class SfuControl(Protocol):
    async def open_room(self, room: str) -> None: ...
    async def close_room(self, room: str) -> None: ...
    async def add_peer(
        self,
        room: str,
        peer: str,
        subscribe: bool,
        publishers: list[str] | None = None,
        priority: int = 0,
    ) -> None:
        """`priority`: whose video a weak downlink keeps first (a teacher's: 1)."""

    async def remove_peer(self, room: str, peer: str) -> list[str]: ...
    async def suspend_peer(self, room: str, peer: str) -> None:
        """Its connections dropped: close them, keep its tracks and subscriptions."""

    async def resume_peer(self, room: str, peer: str) -> None:
        """It came back: offer what it receives on a new subscribe connection."""

    async def publish(
        self, room: str, peer: str, sdp: str, sources: dict[str, str], music: bool = False
    ) -> dict[str, Any]:
        """Answer a publish offer; `music`: stereo Opus at a high bitrate (sdp.MUSIC_OPUS)."""

    async def unpublish(self, room: str, peer: str, track: str) -> None: ...
    async def set_muted(self, room: str, peer: str, track: str, muted: bool) -> None: ...
    async def subscribe_answer(self, room: str, peer: str, sdp: str) -> None: ...
    async def set_subscriptions(
        self, room: str, peer: str, publishers: list[str] | None, video: list[str] | None = None
    ) -> None:
        """Whose media `peer` receives (None: everyone's), and of them whose video."""

    async def set_video_sizes(
        self, room: str, peer: str, sizes: dict[str, tuple[int, int]]
    ) -> None:
        """The size (device pixels) `peer` draws each video at, by track id."""

    async def tracks(self, room: str, peer: str) -> list[dict[str, Any]]: ...
    async def stats(self) -> dict[str, int]: ...
    async def downlinks(self) -> list[dict[str, Any]]: ...
    async def start_recording(self, room: str, options: dict[str, Any]) -> None:
        """Record every track of the room from now on (idempotent while it records)."""

    async def stop_recording(self, room: str) -> dict[str, Any]:
        """Finish the room's recording; what the recorder says it wrote. NotFound if none."""

    async def start_forwarding(self, room: str, port: int) -> None:
        """Send every track of the room as plain RTP to 127.0.0.1:`port` (sfu/forwarder.py)
        from now on; a second call changes nothing, unless it names another port."""

    async def stop_forwarding(self, room: str) -> None:
        """Stop sending the room's tracks (nothing happens if they were not sent)."""

    async def open_pipe(self, room: str) -> tuple[str, int]:
        """This node's end of the pipes that bring another node's room here (sfu/pipe.py):
        the address an origin's `start_pipe` sends to; the same one while it is open."""

    async def close_pipe(self, room: str) -> None:
        """Stop taking the room's piped tracks; their producers here close."""

    async def start_pipe(self, room: str, host: str, port: int) -> None:
        """Send every track of the room to another node's `open_pipe` address from now on
        (idempotent for one address); NACKs and keyframe requests come back from it."""

    async def stop_pipe(self, room: str, host: str, port: int) -> None:
        """Stop sending the room to that address (nothing happens if it was not sent)."""


class Recorder(RoomTap, Protocol):
    """A tap that owns files: closing it finishes them (see sfu/tap.py)."""

    async def close(self) -> dict[str, Any]: ...


RecorderFactory = Callable[[str, dict[str, Any]], Recorder]
"""Makes the recorder of a room from `start_recording`'s options (signalling plugs it in:
`sfu` does not know the `recording` package)."""


COMMANDS = (
    "open_room",
    "close_room",
    "add_peer",
    "remove_peer",
    "suspend_peer",
    "resume_peer",
    "publish",
    "unpublish",
    "set_muted",
    "subscribe_answer",
    "set_subscriptions",
    "set_video_sizes",
    "tracks",
    "stats",
    "downlinks",
    "start_recording",
    "stop_recording",
    "start_forwarding",
    "stop_forwarding",
    "open_pipe",
    "close_pipe",
    "start_pipe",
    "stop_pipe",
)


class LocalSfu:
    """The SFU in this process and on this event loop."""

    def __init__(
        self,
        ice_addresses: list[str],
        events: SfuEvents,
        recorders: RecorderFactory | None = None,
    ) -> None:
        self._ice_addresses = ice_addresses
        self._events = events
        self._recorders = recorders
        self.counters = Counters()
        self.routers: dict[RoomId, Router] = {}
        self._recordings: dict[RoomId, tuple[Tap, Recorder]] = {}
        self._forwards: dict[RoomId, tuple[Tap, UdpForwarder]] = {}
        self._pipes_in: dict[RoomId, PipeReceiver] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pipes_out: dict[tuple[RoomId, tuple[str, int]], tuple[Tap, PipeSender]] = {}

    def _router(self, room: str) -> Router:
        router = self.routers.get(RoomId(room))
        if router is None:
            raise NotFound(f"no room {room}")
        return router

    async def open_room(self, room: str) -> None:
        if RoomId(room) not in self.routers:
            self.routers[RoomId(room)] = Router(
                RoomId(room),
                self._ice_addresses,
                self.counters,
                self._events.subscribe_offer,
                self._events.peer_failed,
                self._events.video_quality,
                self._events.active_speaker,
                self._events.publish_layers,
            )

    async def close_room(self, room: str) -> None:
        if RoomId(room) in self._recordings:
            await self.stop_recording(room)
        await self.stop_forwarding(room)
        await self.close_pipe(room)
        for key in [k for k in self._pipes_out if k[0] == room]:
            await self.stop_pipe(room, *key[1])
        router = self.routers.pop(RoomId(room), None)
        if router is not None:
            await router.close()

    async def add_peer(
        self,
        room: str,
        peer: str,
        subscribe: bool,
        publishers: list[str] | None = None,
        priority: int = 0,
    ) -> None:
        self._router(room).add_peer(
            PeerId(peer),
            subscribe,
            None if publishers is None else [PeerId(p) for p in publishers],
            priority,
        )

    async def remove_peer(self, room: str, peer: str) -> list[str]:
        return [str(t) for t in await self._router(room).remove_peer(PeerId(peer))]

    async def suspend_peer(self, room: str, peer: str) -> None:
        await self._router(room).peer(PeerId(peer)).suspend()

    async def resume_peer(self, room: str, peer: str) -> None:
        self._router(room).peer(PeerId(peer)).resume()

    async def publish(
        self, room: str, peer: str, sdp: str, sources: dict[str, str], music: bool = False
    ) -> dict[str, Any]:
        change = await self._router(room).publish(PeerId(peer), sdp, sources, music)
        return {
            "answer": change.answer,
            "added": [t.to_dict() for t in change.added],
            "removed": [str(t) for t in change.removed],
        }

    async def unpublish(self, room: str, peer: str, track: str) -> None:
        self._router(room).unpublish(PeerId(peer), TrackId(track))

    async def set_muted(self, room: str, peer: str, track: str, muted: bool) -> None:
        self._router(room).set_muted(PeerId(peer), TrackId(track), muted)

    async def subscribe_answer(self, room: str, peer: str, sdp: str) -> None:
        await self._router(room).peer(PeerId(peer)).accept_subscribe_answer(sdp)

    async def set_subscriptions(
        self, room: str, peer: str, publishers: list[str] | None, video: list[str] | None = None
    ) -> None:
        self._router(room).set_subscriptions(
            PeerId(peer),
            None if publishers is None else [PeerId(p) for p in publishers],
            None if video is None else [PeerId(p) for p in video],
        )

    async def set_video_sizes(
        self, room: str, peer: str, sizes: dict[str, tuple[int, int]]
    ) -> None:
        self._router(room).peer(PeerId(peer)).set_video_sizes(
            {TrackId(track): (int(size[0]), int(size[1])) for track, size in sizes.items()}
        )

    async def tracks(self, room: str, peer: str) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self._router(room).tracks(PeerId(peer))]

    async def stats(self) -> dict[str, int]:
        values = self.counters.as_dict()
        values["rooms"] = len(self.routers)
        values["peers"] = sum(len(r.peers) for r in self.routers.values())
        values["producers"] = sum(
            len(p.producers) for r in self.routers.values() for p in r.peers.values()
        )
        # An event cascaded over the district: one pipe out per room and edge node.
        values["pipes_out"] = len(self._pipes_out)
        values["pipes_in"] = len(self._pipes_in)
        return values

    async def downlinks(self) -> list[dict[str, Any]]:
        """Each subscriber's downlink: its budget and what each video it receives gets."""
        return [
            {"room": str(room), "peer": str(peer.id), **peer.downlink_report()}
            for room, router in self.routers.items()
            for peer in router.peers.values()
        ]

    async def start_recording(self, room: str, options: dict[str, Any]) -> None:
        if self._recorders is None:
            raise Unavailable("this SFU has no recorder")
        router = self._router(room)
        if RoomId(room) in self._recordings:
            return
        recorder = self._recorders(room, options)
        self._recordings[RoomId(room)] = (router.attach_tap(recorder), recorder)

    async def stop_recording(self, room: str) -> dict[str, Any]:
        recording = self._recordings.pop(RoomId(room), None)
        if recording is None:
            raise NotFound(f"room {room} is not being recorded")
        tap, recorder = recording
        self._detach(room, tap)
        return await recorder.close()

    async def start_forwarding(self, room: str, port: int) -> None:
        router = self._router(room)
        current = self._forwards.get(RoomId(room))
        if current is not None and current[1].address == ("127.0.0.1", int(port)):
            # Every join asks: a new tap would restart every hidden consumer, each waiting
            # for a keyframe the performer is asked for again.
            return
        await self.stop_forwarding(room)
        # Loopback only: the receiver is a process of this server, never another host.
        forwarder = UdpForwarder(("127.0.0.1", int(port)))
        self._forwards[RoomId(room)] = (router.attach_tap(forwarder), forwarder)

    async def stop_forwarding(self, room: str) -> None:
        forward = self._forwards.pop(RoomId(room), None)
        if forward is None:
            return
        tap, forwarder = forward
        self._detach(room, tap)
        forwarder.close()

    async def open_pipe(self, room: str) -> tuple[str, int]:
        router = self._router(room)
        receiver = self._pipes_in.get(RoomId(room))
        if receiver is None:
            loop = asyncio.get_running_loop()

            def closed(track: str) -> None:
                task = loop.create_task(router.remove_remote_track(track))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

            # On the address the node's media leaves from: the district's nodes reach it.
            receiver = PipeReceiver(self._ice_addresses[0], router.add_remote_track, closed, loop)
            self._pipes_in[RoomId(room)] = receiver
        return receiver.address

    async def close_pipe(self, room: str) -> None:
        receiver = self._pipes_in.pop(RoomId(room), None)
        if receiver is not None:
            receiver.close()

    async def start_pipe(self, room: str, host: str, port: int) -> None:
        router = self._router(room)
        key = (RoomId(room), (host, int(port)))
        if key in self._pipes_out:
            return
        sender = PipeSender((host, int(port)), asyncio.get_running_loop())
        sender.tap = router.attach_tap(sender)
        self._pipes_out[key] = (sender.tap, sender)

    async def stop_pipe(self, room: str, host: str, port: int) -> None:
        pipe = self._pipes_out.pop((RoomId(room), (host, int(port))), None)
        if pipe is None:
            return
        tap, sender = pipe
        self._detach(room, tap)
        sender.close()

    def _detach(self, room: str, tap: Tap) -> None:
        router = self.routers.get(RoomId(room))
        if router is not None:
            router.detach_tap(tap)
        else:
            tap.close()  # the room closed first

    async def close(self) -> None:
        for room in list(self.routers):
            await self.close_room(room)
