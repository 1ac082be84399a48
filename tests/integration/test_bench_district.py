"""Tiny steps of the bench against a district of two nodes and their own redis-server.

`rooms`: each node holds one lesson, joins relayed by the other node count as through a door,
and every pupil receives the teacher's sound and picture from the node that holds it.
`broadcast`: the event's room on node0, where its performer came in; the viewers who came in
through node1 watch from node1, the stage piped there once."""

from __future__ import annotations

import asyncio

import pytest

from bench.district_target import DistrictTarget
from bench.loadgen import Timing, run_step
from bench.ours_target import OursParticipant
from bench.scenarios import Media, Plan, broadcast, lesson_joins
from bench.target import JoinSpec

LESSONS = 2
PUPILS = 2


class KeptDistrict(DistrictTarget):
    """The district, keeping each participant for the test to read after the step."""

    def __init__(self) -> None:
        super().__init__(2, cpu=None)  # unpinned: this test shares the machine
        self.kept: dict[str, tuple[JoinSpec, OursParticipant]] = {}

    async def join(self, spec: JoinSpec) -> OursParticipant:
        participant = await super().join(spec)
        self.kept[f"{spec.room}/{spec.identity}"] = (spec, participant)
        return participant


@pytest.mark.timeout(120)
async def test_two_lessons_on_two_nodes_each_hold_one_and_every_pupil_gets_the_teacher() -> None:
    media = await asyncio.to_thread(Media.load)
    rooms = [f"lesson-{m}" for m in range(LESSONS)]
    joins = [j for room in rooms for j in lesson_joins(room, PUPILS, media)]
    plan = Plan("rooms", LESSONS, LESSONS, joins)
    target = KeptDistrict()
    record = await run_step(target, plan, Timing(warmup=1.5, window=3.0))

    assert record.error is None, record.extra
    assert (record.server, record.nodes, record.label) == ("district", 2, "district 2 nodes")
    assert (record.publishers, record.subscribers) == (6, 6)
    district = record.extra["district"]
    placed = {node["id"]: sorted(node["rooms"]) for node in district["nodes"]}
    # One lesson each; which where depends on whose first join reached Redis first.
    assert sorted(placed.values()) == [["lesson-0"], ["lesson-1"]]
    assert all(node["alive"] and node["pids"] for node in district["nodes"])
    # Doors in turn: teacher-0 node0, pupil-0 node1, pupil-1 node0 | teacher node1, pupil-0
    # node0, pupil-1 node1: with lesson-0 on node0, one pupil of each lesson came through the
    # other node; with the lessons the other way round, every teacher and one pupil each did.
    joins = district["joins"]
    expected = (4, 2) if placed["node0"] == ["lesson-0"] else (2, 4)
    assert (joins["direct"]["joins"], joins["door"]["joins"]) == expected
    assert joins["door"]["join_ms_p50"] > 0 and joins["direct"]["join_ms_p50"] > 0
    # Every node's processes were measured, and each forwarded its own lesson's packets.
    measured = {p["pid"]: p for p in record.extra["processes"]}
    for node in district["nodes"]:
        forwarded = [measured[pid] for pid in node["pids"] if pid in measured]
        assert sum(p["rss_mb"] for p in forwarded) > 20
        assert {room for p in forwarded for room in p["rooms"]} == set(placed[node["id"]])

    for room in rooms:
        for pupil in (f"pupil-{k}" for k in range(PUPILS)):
            _, participant = target.kept[f"{room}/{pupil}"]
            from_teacher = [
                s
                for s in participant.streams()
                if participant.source_of(s) == "teacher" and s.packets > 0
            ]
            assert sorted(s.kind or "" for s in from_teacher) == ["audio", "video"], (room, pupil)
            (video,) = [s for s in from_teacher if s.kind == "video"]
            assert video.first_keyframe_end_at is not None
    assert record.video_streams_missing == 0


VIEWERS = 4


@pytest.mark.timeout(120)
async def test_an_event_s_viewers_through_node1_watch_from_node1_the_stage_piped_there_once() -> (
    None
):
    media = await asyncio.to_thread(Media.load)
    plan = broadcast(VIEWERS, media)
    target = KeptDistrict()
    record = await run_step(target, plan, Timing(warmup=1.5, window=3.0))

    assert record.error is None, record.extra
    assert (record.publishers, record.subscribers) == (1, VIEWERS)
    district = record.extra["district"]
    nodes = {node["id"]: node for node in district["nodes"]}
    # Doors in turn: the performer node0, viewer-0 node1, viewer-1 node0, viewer-2 node1,
    # viewer-3 node0. The performer's join placed the room on the idle district's node0.
    (room,) = nodes["node0"]["rooms"]
    # In the directory each node counts those whose media it carries: node0 the performer and
    # its two viewers, node1 the room's other two viewers, as guests.
    assert nodes["node0"]["rooms"] == {room: 1 + VIEWERS // 2}
    assert (nodes["node1"]["rooms"], nodes["node1"]["guests"]) == ({}, VIEWERS // 2)
    assert nodes["node0"]["guests"] == 0
    joins = district["joins"]
    assert (joins["direct"]["joins"], joins["door"]["joins"]) == (3, 2)
    assert [nodes[n]["viewers_through"] for n in ("node0", "node1")] == [2, 2]
    # Each viewer's media comes from its door's node: node1's SFU for those it relayed.
    assert target.watching == {
        f"{plan.joins[0].room}/viewer-{k}": ("node1" if k % 2 == 0 else "node0")
        for k in range(VIEWERS)
    }
    assert [nodes[n]["viewers_watching"] for n in ("node0", "node1")] == [2, 2]
    assert district["viewers_unplaced"] == 0
    groups = {g["group"]: g["pupils"] for g in record.extra["groups"]}
    assert groups == {"node1 (edge)": 2, "node0 (origin)": 2}
    # One pipe, node0 to node1 (the nodes' own /metrics); node1's signalling holds nobody.
    origin, edge = nodes["node0"]["metrics"], nodes["node1"]["metrics"]
    assert (origin["pipes_out"], origin["pipes_in"], edge["pipes_out"], edge["pipes_in"]) == (
        1,
        0,
        0,
        1,
    )
    assert (origin["rooms"], origin["participants"]) == (1, 1 + VIEWERS)
    assert (edge["rooms"], edge["participants"], edge["door_relays"]) == (1, 0, 2)
    # The stage reached node1 once for its two viewers, not once each.
    assert 0 < edge["pps_in"] < 1.5 * origin["pps_in"]
    assert record.extra["hls"]["clients"] == 10  # fetching from node0, which composes it

    for k in range(VIEWERS):
        _, viewer = target.kept[f"{plan.joins[0].room}/viewer-{k}"]
        from_stage = [
            s for s in viewer.streams() if viewer.source_of(s) == "performer" and s.packets > 0
        ]
        assert sorted(s.kind or "" for s in from_stage) == ["audio", "video"], k
        (video,) = [s for s in from_stage if s.kind == "video"]
        assert video.first_keyframe_end_at is not None
    assert record.video_streams_missing == 0
