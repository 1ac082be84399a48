"""A tiny `rooms` step of the bench against a district of two nodes and their own
redis-server: each node holds one lesson, joins relayed by the other node count as through a
door, and every pupil receives the teacher's sound and picture from the node that holds it."""

from __future__ import annotations

import asyncio

import pytest

from bench.district_target import DistrictTarget
from bench.loadgen import Timing, run_step
from bench.ours_target import OursParticipant
from bench.scenarios import Media, Plan, lesson_joins
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
