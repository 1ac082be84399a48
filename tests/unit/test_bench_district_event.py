"""The district bench's event figures: a node's own counters read from its /metrics text and
turned into rates over the window, and the report's table of the audience by node."""

from __future__ import annotations

from typing import Any

from bench.district_report import district_section, event_table, stage_crossings
from bench.node_metrics import Scrape, parse, window
from bench.report import StepRecord, markdown
from sfu.counters import Counters
from signaling.metrics import render

from .test_bench_report import record


def stats(**values: int) -> dict[str, int]:
    base = {name: 0 for name in ("rooms", "producers", "peers")}
    return {**base, **Counters().as_dict(), **values}


def test_a_node_s_metrics_text_gives_its_pipes_and_its_counters() -> None:
    text = render(
        stats(rooms=1, pipes_out=1, pipes_in=0, packets_in=2100, bytes_in=2_000_000),
        participants=5,
        errors={},
        relays=2,
    ).decode()
    scrape = parse(text, at=10.0)
    assert scrape.values == {
        "rooms": 1.0,
        "participants": 5.0,
        "door_relays": 2.0,
        "pipes_out": 1.0,
        "pipes_in": 0.0,
        "packets_in": 2100.0,
        "bytes_in": 2_000_000.0,
        "packets_out": 0.0,
        "bytes_out": 0.0,
    }


def test_counters_become_rates_over_the_window_and_gauges_are_read_at_its_end() -> None:
    before = Scrape(10.0, {"packets_in": 100.0, "bytes_in": 0.0, "pipes_out": 0.0})
    after = Scrape(
        12.0,
        {"packets_in": 520.0, "bytes_in": 500_000.0, "packets_out": 900.0, "pipes_out": 1.0},
    )
    found = window(before, after)
    assert found["pps_in"] == 210.0
    assert found["kbps_in"] == 2000.0
    assert found["pps_out"] == 450.0
    assert found["pipes_out"] == 1.0
    assert found["pipes_in"] is None  # not in the text: an older server
    assert window(None, after)["pps_in"] is None and window(None, after)["pipes_out"] == 1.0
    assert set(window(None, None).values()) == {None}


def group(node: str, role: str, viewers: int, delay: float) -> dict[str, Any]:
    return {
        "group": f"{node} ({role})",
        "pupils": viewers,
        "fps": 30.0,
        "fps_min": 29.9,
        "freezes": 0,
        "frozen_pct": 0.0,
        "kbps": 1850.0,
        "video_loss_pct": 0.0,
        "audio_loss_pct": 0.0,
        "delay_ms_p50": delay,
        "delay_ms_p95": delay * 4,
    }


def node(node_id: str, rooms: dict[str, int], pids: list[int], **metrics: float) -> dict[str, Any]:
    return {
        "id": node_id,
        "alive": True,
        "rooms": rooms,
        "pids": pids,
        "metrics": metrics,
        "viewers_through": 2,
        "viewers_watching": 2,
    }


def event_record() -> StepRecord:
    extra = {
        "processes": [
            {"pid": 10, "role": "signaling", "cpu_pct": 2.0, "rss_mb": 90.0, "pps_out": 0.0},
            {"pid": 11, "role": "signaling.sfu_worker", "cpu_pct": 4.0, "pps_out": 420.0},
            {"pid": 12, "role": "recording.broadcast", "cpu_pct": 30.0, "pps_out": 0.0},
            {"pid": 20, "role": "signaling", "cpu_pct": 1.0, "pps_out": 0.0},
            {"pid": 21, "role": "signaling.sfu_worker", "cpu_pct": 2.0, "pps_out": 420.0},
        ],
        "district": {
            "nodes": [
                node(
                    "node0",
                    {"e1": 5},
                    [10, 11, 12],
                    pps_in=210.0,
                    kbps_in=1850.0,
                    pipes_out=1,
                    pipes_in=0,
                    pps_out=840.0,
                ),
                node(
                    "node1",
                    {},
                    [20, 21],
                    pps_in=210.0,
                    kbps_in=1840.0,
                    pipes_out=0,
                    pipes_in=1,
                    pps_out=420.0,
                ),
            ],
            "redis_pids": [],
            "joins": {},
        },
        "groups": [group("node1", "edge", 2, 3.5), group("node0", "origin", 2, 3.0)],
    }
    return record("district", 4, 40.0, scenario="broadcast", nodes=2, extra=extra)


def test_the_audience_by_node_table_and_the_stage_crossing_once() -> None:
    rows = event_table([event_record()])
    assert rows[2] == (
        "| 4 | district 2 nodes | node0 | yes | 2 | 2 | 30.0 (29.9) | 0 | 0.0 | 1850 | "
        "0.00 / 0.00 | 3.0 / 12.0 | 210 (1850) | 1 / 0 | 840 | 36.0 (30.0) |"
    )
    assert rows[3].startswith("| 4 | district 2 nodes | node1 | no | 2 | 2 | 30.0 (29.9) |")
    assert rows[3].endswith("| 3.5 / 14.0 | 210 (1840) | 0 / 1 | 420 | 3.0 (0.0) |")
    assert stage_crossings([event_record()]) == [
        "- N=4, district 2 nodes: the room on node0, 1 pipe(s) out of it; stage in at each "
        "edge over the origin's: node1 (2 watching) ×1.00, its viewers' delay p50 +0.5 ms "
        "against the origin's."
    ]
    text = "\n".join(district_section([event_record()], cores=2, pinned=True))
    assert "## District: broadcast" in text and "The event's audience by node:" in text
    assert "an event's audience split over the nodes" in text
    # The generic link-group tables leave a district's viewers to its own section.
    assert "| node1 (edge) |" not in markdown([event_record()], {"machine": {"cores": 2}}, [])
