"""Several SFUs behind one SfuControl: each call goes to the shard its room was placed on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .control import SfuControl
from .placement import Placement


class ShardedSfu:
    def __init__(self, shards: Sequence[SfuControl], placement: Placement) -> None:
        self.shards = list(shards)
        self._placement = placement

    async def _shard(self, room: str) -> SfuControl:
        return self.shards[await self._placement.locate(room)]

    async def open_room(self, room: str) -> None:
        await self.shards[await self._placement.place(room)].open_room(room)

    async def close_room(self, room: str) -> None:
        shard = await self._shard(room)
        await self._placement.release(room)
        await shard.close_room(room)

    async def add_peer(
        self,
        room: str,
        peer: str,
        subscribe: bool,
        publishers: list[str] | None = None,
        priority: int = 0,
    ) -> None:
        index = await self._placement.locate(room)
        await self.shards[index].add_peer(room, peer, subscribe, publishers, priority)
        await self._placement.add_load(index, 1)

    async def remove_peer(self, room: str, peer: str) -> list[str]:
        index = await self._placement.locate(room)
        tracks = await self.shards[index].remove_peer(room, peer)
        await self._placement.add_load(index, -1)
        return tracks

    async def suspend_peer(self, room: str, peer: str) -> None:
        await (await self._shard(room)).suspend_peer(room, peer)

    async def resume_peer(self, room: str, peer: str) -> None:
        await (await self._shard(room)).resume_peer(room, peer)

    async def publish(
        self, room: str, peer: str, sdp: str, sources: dict[str, str], music: bool = False
    ) -> dict[str, Any]:
        return await (await self._shard(room)).publish(room, peer, sdp, sources, music)

    async def unpublish(self, room: str, peer: str, track: str) -> None:
        await (await self._shard(room)).unpublish(room, peer, track)

    async def set_muted(self, room: str, peer: str, track: str, muted: bool) -> None:
        await (await self._shard(room)).set_muted(room, peer, track, muted)

    async def subscribe_answer(self, room: str, peer: str, sdp: str) -> None:
        await (await self._shard(room)).subscribe_answer(room, peer, sdp)

    async def set_subscriptions(
        self, room: str, peer: str, publishers: list[str] | None, video: list[str] | None = None
    ) -> None:
        await (await self._shard(room)).set_subscriptions(room, peer, publishers, video)

    async def set_video_sizes(
        self, room: str, peer: str, sizes: dict[str, tuple[int, int]]
    ) -> None:
        await (await self._shard(room)).set_video_sizes(room, peer, sizes)

    async def tracks(self, room: str, peer: str) -> list[dict[str, Any]]:
        return await (await self._shard(room)).tracks(room, peer)

    async def start_recording(self, room: str, options: dict[str, Any]) -> None:
        await (await self._shard(room)).start_recording(room, options)

    async def stop_recording(self, room: str) -> dict[str, Any]:
        return await (await self._shard(room)).stop_recording(room)

    async def start_forwarding(self, room: str, port: int) -> None:
        await (await self._shard(room)).start_forwarding(room, port)

    async def stop_forwarding(self, room: str) -> None:
        await (await self._shard(room)).stop_forwarding(room)

    async def open_pipe(self, room: str) -> tuple[str, int]:
        return await (await self._shard(room)).open_pipe(room)

    async def close_pipe(self, room: str) -> None:
        await (await self._shard(room)).close_pipe(room)

    async def start_pipe(self, room: str, host: str, port: int) -> None:
        await (await self._shard(room)).start_pipe(room, host, port)

    async def stop_pipe(self, room: str, host: str, port: int) -> None:
        await (await self._shard(room)).stop_pipe(room, host, port)

    async def downlinks(self) -> list[dict[str, Any]]:
        return [d for shard in self.shards for d in await shard.downlinks()]

    async def stats(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for shard in self.shards:
            for key, value in (await shard.stats()).items():
                total[key] = total.get(key, 0) + value
        return total
