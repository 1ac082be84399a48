"""msgpack encoding of SfuControl calls, so an SFU can live in another process.

A call is `[op, kwargs]`; a reply is `[ok, value]` where a failure carries the error's
class name and message. `WireSfu` speaks it through any async byte transport (a loopback in
tests, a pipe to an SFU worker process in `sfu.process`). Between processes each message is a
frame: a 4-byte big-endian length, then msgpack.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack

from . import errors
from .control import COMMANDS, SfuControl, SfuEvents

Transport = Callable[[bytes], Awaitable[bytes]]
_LENGTH = struct.Struct("!I")
MAX_FRAME = 16 * 1024 * 1024


def frame(message: Any) -> bytes:
    data = msgpack.packb(message, use_bin_type=True)
    return _LENGTH.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next framed message; IncompleteReadError when the other side has gone."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes exceeds {MAX_FRAME}")
    return msgpack.unpackb(await reader.readexactly(length), raw=False)


def encode_call(op: str, kwargs: dict[str, Any]) -> bytes:
    if op not in COMMANDS:
        raise ValueError(f"unknown SFU command {op!r}")
    return msgpack.packb([op, kwargs], use_bin_type=True)


async def serve_call(sfu: SfuControl, data: bytes) -> bytes:
    """Run one encoded call against an SFU of this process and encode its outcome."""
    try:
        op, kwargs = msgpack.unpackb(data, raw=False)
        if op not in COMMANDS:
            raise ValueError(f"unknown SFU command {op!r}")
        value = await getattr(sfu, op)(**kwargs)
        return msgpack.packb([True, value], use_bin_type=True)
    except errors.SfuError as exc:
        return error_reply(type(exc).__name__, str(exc))


def error_reply(error_name: str, message: str) -> bytes:
    return msgpack.packb([False, [error_name, message]], use_bin_type=True)


EVENTS = ("subscribe_offer", "peer_failed", "video_quality", "active_speaker", "publish_layers")


def dispatch_event(events: SfuEvents, name: str, kwargs: dict[str, Any]) -> None:
    """An event frame's `name` and `kwargs` handed to `events` (unknown names ignored)."""
    if name in EVENTS:
        getattr(events, name)(**kwargs)


def decode_reply(data: bytes) -> Any:
    ok, value = msgpack.unpackb(data, raw=False)
    if ok:
        return value
    name, message = value
    error_class = getattr(errors, name, errors.SfuError)
    raise error_class(message)


class WireSfu:
    """An SfuControl whose calls are msgpack bytes over `transport`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _call(self, op: str, **kwargs: Any) -> Any:
        return decode_reply(await self._transport(encode_call(op, kwargs)))

    async def open_room(self, room: str) -> None:
        await self._call("open_room", room=room)

    async def close_room(self, room: str) -> None:
        await self._call("close_room", room=room)

    async def add_peer(
        self,
        room: str,
        peer: str,
        subscribe: bool,
        publishers: list[str] | None = None,
        priority: int = 0,
    ) -> None:
        await self._call(
            "add_peer",
            room=room,
            peer=peer,
            subscribe=subscribe,
            publishers=publishers,
            priority=priority,
        )

    async def suspend_peer(self, room: str, peer: str) -> None:
        await self._call("suspend_peer", room=room, peer=peer)

    async def resume_peer(self, room: str, peer: str) -> None:
        await self._call("resume_peer", room=room, peer=peer)

    async def remove_peer(self, room: str, peer: str) -> list[str]:
        result: list[str] = await self._call("remove_peer", room=room, peer=peer)
        return result

    async def publish(
        self, room: str, peer: str, sdp: str, sources: dict[str, str], music: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "publish", room=room, peer=peer, sdp=sdp, sources=sources, music=music
        )
        return result

    async def unpublish(self, room: str, peer: str, track: str) -> None:
        await self._call("unpublish", room=room, peer=peer, track=track)

    async def set_muted(self, room: str, peer: str, track: str, muted: bool) -> None:
        await self._call("set_muted", room=room, peer=peer, track=track, muted=muted)

    async def subscribe_answer(self, room: str, peer: str, sdp: str) -> None:
        await self._call("subscribe_answer", room=room, peer=peer, sdp=sdp)

    async def set_subscriptions(
        self, room: str, peer: str, publishers: list[str] | None, video: list[str] | None = None
    ) -> None:
        await self._call(
            "set_subscriptions", room=room, peer=peer, publishers=publishers, video=video
        )

    async def set_video_sizes(
        self, room: str, peer: str, sizes: dict[str, tuple[int, int]]
    ) -> None:
        await self._call(
            "set_video_sizes", room=room, peer=peer, sizes={t: list(s) for t, s in sizes.items()}
        )

    async def tracks(self, room: str, peer: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("tracks", room=room, peer=peer)
        return result

    async def stats(self) -> dict[str, int]:
        result: dict[str, int] = await self._call("stats")
        return result

    async def downlinks(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("downlinks")
        return result

    async def start_recording(self, room: str, options: dict[str, Any]) -> None:
        await self._call("start_recording", room=room, options=options)

    async def stop_recording(self, room: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("stop_recording", room=room)
        return result

    async def start_forwarding(self, room: str, port: int) -> None:
        await self._call("start_forwarding", room=room, port=port)

    async def stop_forwarding(self, room: str) -> None:
        await self._call("stop_forwarding", room=room)

    async def open_pipe(self, room: str) -> tuple[str, int]:
        host, port = await self._call("open_pipe", room=room)
        return str(host), int(port)

    async def close_pipe(self, room: str) -> None:
        await self._call("close_pipe", room=room)

    async def start_pipe(self, room: str, host: str, port: int) -> None:
        await self._call("start_pipe", room=room, host=host, port=port)

    async def stop_pipe(self, room: str, host: str, port: int) -> None:
        await self._call("stop_pipe", room=room, host=host, port=port)
