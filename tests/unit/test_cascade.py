"""CascadeSfu (signaling/cascade.py) with SFUs that record their calls: where each call goes,
one pipe per edge and room, and what happens when an edge's node is lost."""

from __future__ import annotations

from typing import Any

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
