"""An event's audience spread over the district's nodes: one room, its peers on several SFUs.

The origin node holds the room: its signalling, its stage and every peer of those who came
in through its own door stay on its own SFU. A watch-only participant who came in through
another node's door (`place`) gets their peer in that node's SFU, reached over a link
(signaling/sfu_link.py); the first such peer on a node opens the room there and a pipe from
the origin's SFU to it (sfu/pipe.py), so the stage crosses between two nodes once whatever the
audience on each, and the last one closes both. The viewer's media then goes to and from the
node it reached, with its ICE addresses. Every other call goes where its peer is; the room's
own (publishing, recording, the broadcast) stay at the origin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sfu.control import SfuControl

logger = logging.getLogger(__name__)


class CascadeSfu:
    def __init__(
        self,
        local: SfuControl,
        link: Callable[[str], Awaitable[SfuControl | None]],
        failed: Callable[[str, str], None],
    ) -> None:
        """`link(node)`: that node's SFU (None when it is not in the district); `failed(room,
        peer)`: a peer's media is gone (its SFU's node is), as the SFU's `peer_failed`."""
        self.local = local
        self._link = link
        self._failed = failed
        self._placed: dict[tuple[str, str], str] = {}
        """(room, peer) → the node the next `add_peer` puts it on."""
        self._where: dict[tuple[str, str], SfuControl] = {}
        """Peers on another node's SFU."""
        self._edges: dict[tuple[str, SfuControl], int] = {}
        """(room, edge SFU) → how many of the room's peers it holds."""
        self._pipes: dict[tuple[str, SfuControl], tuple[str, int]] = {}
        self._lock = asyncio.Lock()

    def elsewhere(self, room: str) -> int:
        """How many of the room's peers are on other nodes' SFUs (their load, not ours)."""
        return sum(n for (r, _), n in self._edges.items() if r == room)

    def place(self, room: str, peer: str, node: str) -> None:
        """The next `add_peer` of `peer` goes on `node`'s SFU (where it came in)."""
        self._placed[(room, peer)] = node

    def _sfu(self, room: str, peer: str) -> SfuControl:
        return self._where.get((room, peer), self.local)

    async def _edge(self, room: str, node: str) -> SfuControl | None:
        """`node`'s SFU with the room open there and piped from here, and a place taken in it
        (counted in `_edges` at once: the last other peer there leaving while this one's
        `add_peer` is under way must not close the room under it); None when it cannot be
        (the peer then stays here)."""
        edge = await self._link(node)
        if edge is None:
            return None
        async with self._lock:
            if (room, edge) not in self._pipes:
                try:
                    await edge.open_room(room)
                    host, port = await edge.open_pipe(room)
                    await self.local.start_pipe(room, host, port)
                except Exception:
                    logger.exception("cannot cascade room %s to node %s", room, node)
                    await self._close_edge_room(room, edge)
                    return None
                self._pipes[(room, edge)] = (host, port)
            self._edges[(room, edge)] = self._edges.get((room, edge), 0) + 1
            return edge

    async def _close_edge_room(self, room: str, edge: SfuControl) -> None:
        """The room opened on the edge for a cascade that could not be made: closed again."""
        try:
            await edge.close_room(room)
        except Exception:
            logger.warning("the edge of room %s did not close it", room)

    async def _release(self, room: str, edge: SfuControl) -> None:
        """The edge holds none of the room's peers any more: its room and pipe go."""
        async with self._lock:
            if self._edges.get((room, edge), 0) > 0:
                return
            self._edges.pop((room, edge), None)
            pipe = self._pipes.pop((room, edge), None)
            if pipe is not None:
                await self.local.stop_pipe(room, *pipe)
            await self._close_edge_room(room, edge)

    async def edge_lost(self, edge: SfuControl) -> None:
        """The link to an edge broke (its node died or restarted): its peers' media is gone.
        They are forgotten here and their sessions told as for a failed connection: the
        pages reconnect through a live door, and watch from there."""
        lost = [key for key, where in self._where.items() if where is edge]
        for key in lost:
            del self._where[key]
        for room, sfu in [k for k in self._pipes if k[1] is edge]:
            host, port = self._pipes.pop((room, sfu))
            self._edges.pop((room, sfu), None)
            await self.local.stop_pipe(room, host, port)
        for room, peer in lost:
            self._failed(room, peer)

    # --- the room ----------------------------------------------------------------------

    async def open_room(self, room: str) -> None:
        await self.local.open_room(room)

    async def close_room(self, room: str) -> None:
        for (placed_room, edge), _ in list(self._pipes.items()):
            if placed_room == room:
                self._edges[(room, edge)] = 0
                await self._release(room, edge)
        self._where = {k: v for k, v in self._where.items() if k[0] != room}
        await self.local.close_room(room)

    # --- its peers ---------------------------------------------------------------------

    async def add_peer(
        self,
        room: str,
        peer: str,
        subscribe: bool,
        publishers: list[str] | None = None,
        priority: int = 0,
    ) -> None:
        node = self._placed.pop((room, peer), None)
        edge = await self._edge(room, node) if node is not None else None
        if edge is None:
            await self.local.add_peer(room, peer, subscribe, publishers, priority)
            return
        try:
            await edge.add_peer(room, peer, subscribe, publishers, priority)
        except BaseException:
            # Its place goes: the room and pipe there too, if they were for it alone.
            self._edges[(room, edge)] = self._edges.get((room, edge), 1) - 1
            await self._release(room, edge)
            raise
        self._where[(room, peer)] = edge

    async def remove_peer(self, room: str, peer: str) -> list[str]:
        edge = self._where.pop((room, peer), None)
        if edge is None:
            return await self.local.remove_peer(room, peer)
        try:
            return await edge.remove_peer(room, peer)
        finally:
            self._edges[(room, edge)] = self._edges.get((room, edge), 1) - 1
            await self._release(room, edge)

    async def suspend_peer(self, room: str, peer: str) -> None:
        await self._sfu(room, peer).suspend_peer(room, peer)

    async def resume_peer(self, room: str, peer: str) -> None:
        await self._sfu(room, peer).resume_peer(room, peer)

    async def subscribe_answer(self, room: str, peer: str, sdp: str) -> None:
        await self._sfu(room, peer).subscribe_answer(room, peer, sdp)

    async def set_subscriptions(
        self, room: str, peer: str, publishers: list[str] | None, video: list[str] | None = None
    ) -> None:
        await self._sfu(room, peer).set_subscriptions(room, peer, publishers, video)

    async def set_video_sizes(
        self, room: str, peer: str, sizes: dict[str, tuple[int, int]]
    ) -> None:
        await self._sfu(room, peer).set_video_sizes(room, peer, sizes)

    async def tracks(self, room: str, peer: str) -> list[dict[str, Any]]:
        return await self._sfu(room, peer).tracks(room, peer)

    # --- the stage and the room's own, at the origin -----------------------------------

    async def publish(
        self, room: str, peer: str, sdp: str, sources: dict[str, str], music: bool = False
    ) -> dict[str, Any]:
        return await self.local.publish(room, peer, sdp, sources, music)

    async def unpublish(self, room: str, peer: str, track: str) -> None:
        await self.local.unpublish(room, peer, track)

    async def set_muted(self, room: str, peer: str, track: str, muted: bool) -> None:
        await self.local.set_muted(room, peer, track, muted)

    async def stats(self) -> dict[str, int]:
        return await self.local.stats()

    async def downlinks(self) -> list[dict[str, Any]]:
        return await self.local.downlinks()

    async def start_recording(self, room: str, options: dict[str, Any]) -> None:
        await self.local.start_recording(room, options)

    async def stop_recording(self, room: str) -> dict[str, Any]:
        return await self.local.stop_recording(room)

    async def start_forwarding(self, room: str, port: int) -> None:
        await self.local.start_forwarding(room, port)

    async def stop_forwarding(self, room: str) -> None:
        await self.local.stop_forwarding(room)

    async def open_pipe(self, room: str) -> tuple[str, int]:
        return await self.local.open_pipe(room)

    async def close_pipe(self, room: str) -> None:
        await self.local.close_pipe(room)

    async def start_pipe(self, room: str, host: str, port: int) -> None:
        await self.local.start_pipe(room, host, port)

    async def stop_pipe(self, room: str, host: str, port: int) -> None:
        await self.local.stop_pipe(room, host, port)
