"""An event on a district (the ``broadcast`` scenario): one event in the nodes' shared school
database, its stage's and its audience's tokens, and its HLS clients on the node holding it.

As on our single server (``bench.ours_target``) the event is made at its first join, with
music mode for whoever publishes and the audience's grants (watch only) for the others.
Whichever node the first join reaches, the district places the room on one node (the
origin, which composes the live HLS); a viewer who comes in through another node's door
watches from that node's SFU, the stage piped there once (``signaling/cascade.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from .event_room import EventRoom, prepare_event
from .hls_clients import HlsAudience
from .ours_target import HLS_VIEWERS
from .target import JoinSpec

OwnerUrl = Callable[[str], Awaitable[str | None]]
"""A room → the URL of the node holding it (None: placed nowhere yet)."""


class DistrictEvents:
    """The events of one district's step, by bench room."""

    def __init__(self, secret: str, data_dir: Path, database: Path) -> None:
        self._secret = secret
        self._data_dir = data_dir
        self._database = database
        self._events: dict[str, asyncio.Task[EventRoom]] = {}
        """Made once even when its participants join at the same time."""
        self._hls: dict[str, HlsAudience | None] = {}
        """The HLS clients of each event (None while the owner is looked up)."""

    async def token(self, spec: JoinSpec) -> str:
        """A token into the event standing for ``spec.room`` (made on first use)."""
        making = self._events.get(spec.room)
        if making is None:
            making = asyncio.ensure_future(prepare_event(self._data_dir / "events", self._database))
            self._events[spec.room] = making
        event = await making
        if spec.publish is not None:
            return event.performer_token(self._secret, spec.identity)
        return event.viewer_token(self._secret, spec.identity)

    def room_of(self, room: str) -> str | None:
        """The event's room (its session id) for a bench room, once made."""
        making = self._events.get(room)
        if making is None or not making.done() or making.exception() is not None:
            return None
        return making.result().room

    async def joined(self, room: str, owner_url: OwnerUrl) -> None:
        """Someone is in the event now, so it is placed: its HLS clients start fetching
        from the node holding it (which composes the broadcast), once."""
        if room in self._hls:
            return
        self._hls[room] = None
        event = await self._events[room]
        url = await owner_url(event.room)
        if url is None:
            return
        audience = HlsAudience(url + event.hls_path(self._secret), HLS_VIEWERS)
        audience.start()
        self._hls[room] = audience

    def summary(self) -> dict[str, object] | None:
        """What the HLS clients got (as ``OursTarget.extra_stats``'s ``hls``)."""
        audiences = [a for a in self._hls.values() if a is not None]
        if not audiences:
            return None
        return audiences[0].summary()

    async def stop(self) -> None:
        for audience in self._hls.values():
            if audience is not None:
                await audience.stop()
        self._hls.clear()
        for making in self._events.values():
            making.cancel()
        await asyncio.gather(*self._events.values(), return_exceptions=True)
        self._events.clear()
