"""The district bench's figures: joins direct or through a door, each node's share of the
processes measured, and the report's district section beside our single server."""

from __future__ import annotations

from typing import Any

import pytest

from bench.__main__ import parse_args, parse_nodes
from bench.district_report import against_ours, district_section, node_rows, placement
from bench.district_target import DoorJoin, door_joins
from bench.report import StepRecord, markdown

from .test_bench_report import record


def test_a_join_is_direct_when_its_door_holds_its_room_and_relayed_otherwise() -> None:
    joins = [
        DoorJoin("a", "node0", 0.050, 0.200),
        DoorJoin("a", "node1", 0.090, 0.300),
        DoorJoin("b", "node1", 0.060, 0.210),
        DoorJoin("b", "node0", 0.110, 0.330),
        DoorJoin("c", "node0", 0.070, 0.250),
        DoorJoin("gone", "node0", 9.0, 9.0),  # its room is placed nowhere any more
    ]
    found = door_joins(joins, {"a": "node0", "b": "node1", "c": "node1"})
    assert found == {
        "direct": {
            "joins": 2,
            "join_ms_p50": 50.0,
            "join_ms_p95": 60.0,
            "ready_ms_p50": 200.0,
            "ready_ms_p95": 210.0,
        },
        "door": {
            "joins": 3,
            "join_ms_p50": 90.0,
            "join_ms_p95": 110.0,
            "ready_ms_p50": 300.0,
            "ready_ms_p95": 330.0,
        },
    }
    assert door_joins([], {})["door"] == {
        "joins": 0,
        "join_ms_p50": None,
        "join_ms_p95": None,
        "ready_ms_p50": None,
        "ready_ms_p95": None,
    }


def process(pid: int, cpu: float, rss: float, pps: float, rooms: list[str]) -> dict[str, Any]:
    return {"pid": pid, "cpu_pct": cpu, "rss_mb": rss, "pps_out": pps, "rooms": rooms}


def district_record(n: int, **changes: Any) -> StepRecord:
    extra = {
        "processes": [
            process(10, 2.0, 90.0, 0.0, []),
            process(11, 18.0, 110.0, 4000.0, ["r0", "r2"]),
            process(20, 1.0, 90.0, 0.0, []),
            process(21, 10.0, 100.0, 2000.0, ["r1"]),
            process(30, 0.5, 12.0, 0.0, []),
        ],
        "district": {
            "nodes": [
                {"id": "node0", "alive": True, "rooms": {"r2": 11, "r0": 11}, "pids": [10, 11]},
                {"id": "node1", "alive": True, "rooms": {"r1": 11}, "pids": [20, 21]},
            ],
            "redis_pids": [30],
            "joins": door_joins(
                [DoorJoin("r0", "node0", 0.05, 0.2), DoorJoin("r0", "node1", 0.09, 0.3)],
                {"r0": "node0"},
            ),
        },
    }
    return record(
        "district", n, 5.0, scenario="rooms", nodes=2, cpu_pct=31.5, extra=extra, **changes
    )


def test_each_node_is_the_sum_of_its_processes_and_the_redis_a_row_of_its_own() -> None:
    rows = node_rows(district_record(3))
    assert rows[0] == {
        "node": "node0",
        "rooms": ["r0", "r2"],
        "people": 22,
        "cpu_pct": 20.0,
        "rss_mb": 200.0,
        "pps_out": 4000.0,
        "cpu_us_per_pkt_out": 50.0,
    }
    assert (rows[1]["node"], rows[1]["rooms"], rows[1]["cpu_us_per_pkt_out"]) == (
        "node1",
        ["r1"],
        pytest.approx(55.0),
    )
    assert rows[2] == {
        "node": "redis",
        "rooms": None,
        "people": None,
        "cpu_pct": 0.5,
        "rss_mb": 12.0,
        "pps_out": 0.0,
        "cpu_us_per_pkt_out": None,
    }
    assert placement(district_record(3)) == "2 / 1"


def test_the_district_is_compared_with_our_single_server_at_the_same_n() -> None:
    ours = record("ours", 3, 4.0, scenario="rooms", workers=1, cpu_pct=21.0, rss_mb=150.0)
    district = district_record(3, rss_mb=300.0)
    assert against_ours([ours, district]) == [
        "- N=3, over ours ×1: district 2 nodes ×1.25 per packet, ×1.50 CPU, ×2.00 RSS."
    ]


def test_the_report_has_a_district_section_saying_what_two_cores_cannot_show() -> None:
    ours = record("ours", 3, 4.0, scenario="rooms", workers=1)
    district = district_record(3)
    section = district_section([ours, district], cores=2, pinned=True)
    text = "\n".join(section)
    assert section[0] == "## District: rooms"
    assert "every node and the Redis share the servers' core" in text
    assert "cannot show is capacity growing with nodes" in text
    assert "- district 2 nodes: 3 (end of steps)" in text
    assert "| 3 | district 2 nodes | 2 / 1 |" in text
    assert "50 / 50 (1) | 90 / 90 (1) | 200 / 200 (1) | 300 / 300 (1) | held |" in text
    assert "| 3 | district 2 nodes | node0 | r0, r2 | 22 | 20.0 | 200 | 4000 | 50.0 |" in text
    assert "| 3 | district 2 nodes | redis |  |  | 0.5 | 12 |  |  |" in text
    assert "## District" in markdown([ours, district], {"machine": {"cores": 2}}, [])
    assert district_section([ours], cores=2, pinned=True) == []


def test_node_counts_come_from_the_command_line() -> None:
    assert parse_nodes(parse_args([]).nodes) == [1, 2, 3]
    assert parse_nodes("3,1") == [1, 3]
    with pytest.raises(SystemExit):
        parse_nodes("0,2")
    assert "district" not in parse_args([]).servers  # only when asked for
    assert parse_args(["--every-step"]).every_step and not parse_args([]).every_step
