"""CascadeSfu (signaling/cascade.py) with SFUs that record their calls: where each call goes,
one pipe per edge and room, and what happens when an edge's node is lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sfu.errors import NotFound, SfuError
from signaling.cascade import CascadeSfu


class Recorder:
    """An SfuControl that keeps the calls made to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, op: str) -> Any:
        async def call(*args: Any) -> Any:
            self.calls.append((op, *args))
            if op == "open_pipe":
                return (f"10.0.0.{len(self.name)}", 40000)
            return [] if op == "remove_peer" else None

        return call


async def test_watchers_through_another_node_go_to_its_sfu_and_the_stage_is_piped_once() -> None:
    origin, edge = Recorder("origin"), Recorder("edge-b")
    failed: list[tuple[str, str]] = []

    async def link(node: str) -> Any:
        return edge if node == "node-b" else None

    cascade = CascadeSfu(origin, link, lambda room, peer: failed.append((room, peer)))
    await cascade.open_room("concert")
    await cascade.add_peer("concert", "performer", True)
    for viewer in ("anna", "boris"):
        cascade.place("concert", viewer, "node-b")
        await cascade.add_peer("concert", viewer, True)
    cascade.place("concert", "gleb", "node-z")  # a node that is not there: watches here
    await cascade.add_peer("concert", "gleb", True)
    await cascade.subscribe_answer("concert", "anna", "v=0")
    await cascade.subscribe_answer("concert", "gleb", "v=0")

    assert [c[0] for c in edge.calls] == [
        "open_room",
        "open_pipe",
        "add_peer",
        "add_peer",
        "subscribe_answer",
    ]
    assert [c for c in origin.calls if c[0] in ("start_pipe", "add_peer", "subscribe_answer")] == [
        ("add_peer", "concert", "performer", True, None, 0),
        ("start_pipe", "concert", "10.0.0.6", 40000),
        ("add_peer", "concert", "gleb", True, None, 0),
        ("subscribe_answer", "concert", "gleb", "v=0"),
    ]

    await cascade.remove_peer("concert", "anna")
    assert ("close_room", "concert") not in edge.calls  # boris still watches there
    await cascade.remove_peer("concert", "boris")
    assert edge.calls[-1] == ("close_room", "concert")
    assert origin.calls[-1] == ("stop_pipe", "concert", "10.0.0.6", 40000)
    assert failed == []


async def test_an_edge_lost_fails_its_watchers_and_takes_its_pipe_away() -> None:
    origin, edge = Recorder("origin"), Recorder("edge-b")
    failed: list[tuple[str, str]] = []

    async def link(node: str) -> Any:
        return edge

    cascade = CascadeSfu(origin, link, lambda room, peer: failed.append((room, peer)))
    await cascade.open_room("concert")
    cascade.place("concert", "anna", "node-b")
    await cascade.add_peer("concert", "anna", True)
    await cascade.edge_lost(edge)
    assert failed == [("concert", "anna")]
    assert origin.calls[-1] == ("stop_pipe", "concert", "10.0.0.6", 40000)
    edge_calls = len(edge.calls)
    assert await cascade.remove_peer("concert", "anna") == []  # her session's leaving
    assert len(edge.calls) == edge_calls  # nothing more is asked of the lost node


class SlowEdge(Recorder):
    """An edge whose `add_peer` of vera waits for the test to let it answer, as a link's round
    trip does; `close_room` forgets the room, and an `add_peer` into a room not open fails,
    as the edge's SFU does; `refuse` fails every `add_peer`."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.answer = asyncio.Event()
        self.asked = asyncio.Event()
        self.open: set[str] = set()
        self.refuse = False

    def __getattr__(self, op: str) -> Any:
        recorded = super().__getattr__(op)

        async def call(*args: Any) -> Any:
            if op == "add_peer" and self.refuse:
                raise SfuError("the edge's SFU refused")
            if op == "add_peer" and args[1] == "vera":
                self.asked.set()
                await self.answer.wait()
            result = await recorded(*args)
            if op == "open_room":
                self.open.add(args[0])
            elif op == "close_room":
                self.open.discard(args[0])
            elif op == "add_peer" and args[0] not in self.open:
                raise NotFound(f"room {args[0]} is not open")
            return result

        return call


async def test_a_watcher_arriving_as_the_last_one_there_leaves_keeps_the_edge_s_room() -> None:
    origin, edge = Recorder("origin"), SlowEdge("edge-c")

    async def link(node: str) -> Any:
        return edge

    cascade = CascadeSfu(origin, link, lambda room, peer: None)
    await cascade.open_room("concert")
    cascade.place("concert", "anna", "node-c")
    await cascade.add_peer("concert", "anna", True)
    # vera comes in through node-c while its call there is under way, anna, the only
    # watcher there yet, leaves: the room and pipe there stay, for vera.
    cascade.place("concert", "vera", "node-c")
    arriving = asyncio.ensure_future(cascade.add_peer("concert", "vera", True))
    await edge.asked.wait()
    await cascade.remove_peer("concert", "anna")
    edge.answer.set()
    await arriving
    assert ("close_room", "concert") not in edge.calls
    assert not [c for c in origin.calls if c[0] == "stop_pipe"]
    # She is the last one there now: when she leaves, the room and pipe go.
    await cascade.remove_peer("concert", "vera")
    assert edge.calls[-1] == ("close_room", "concert")
    assert origin.calls[-1] == ("stop_pipe", "concert", "10.0.0.6", 40000)


async def test_a_watcher_the_edge_refuses_leaves_no_room_open_there() -> None:
    origin, edge = Recorder("origin"), SlowEdge("edge-c")

    async def link(node: str) -> Any:
        return edge

    cascade = CascadeSfu(origin, link, lambda room, peer: None)
    await cascade.open_room("concert")
    edge.refuse = True
    cascade.place("concert", "vera", "node-c")
    with pytest.raises(SfuError):
        await cascade.add_peer("concert", "vera", True)
    # The room was opened there and piped for her alone: both go with her failed call.
    assert edge.calls[-1] == ("close_room", "concert")
    assert origin.calls[-1] == ("stop_pipe", "concert", "10.0.0.6", 40000)


async def test_a_pipe_the_origin_cannot_start_leaves_no_room_open_on_the_edge() -> None:
    class NoPipes(Recorder):
        def __getattr__(self, op: str) -> Any:
            if op == "start_pipe":

                async def refuse(*args: Any) -> None:
                    raise SfuError("no port left")

                return refuse
            return super().__getattr__(op)

    origin, edge = NoPipes("origin"), Recorder("edge-c")

    async def link(node: str) -> Any:
        return edge

    cascade = CascadeSfu(origin, link, lambda room, peer: None)
    await cascade.open_room("concert")
    cascade.place("concert", "vera", "node-c")
    await cascade.add_peer("concert", "vera", True)  # she watches from the origin instead
    assert [c[0] for c in edge.calls] == ["open_room", "open_pipe", "close_room"]
    assert origin.calls[-1] == ("add_peer", "concert", "vera", True, None, 0)
    assert cascade.elsewhere("concert") == 0
