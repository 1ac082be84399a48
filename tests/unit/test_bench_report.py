"""bench.report: records → JSON fields, Markdown tables, verdicts, plots; and their figures."""

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.accounting import Usage
from bench.loadgen import percentile, process_table, ttff_samples, window_traffic
from bench.report import (
    StepRecord,
    details,
    hls_table,
    limits,
    limits_table,
    markdown,
    process_scaling,
    process_scaling_summary,
    record_from_dict,
    run_json,
    scaling_curve,
    side_by_side,
    targets,
    verdict_of,
    write_run,
)
from bench.rtp_stats import StreamStats

REQUIRED = {
    "scenario",
    "server",
    "publishers",
    "subscribers",
    "pps_in",
    "pps_out",
    "cpu_us_per_pkt_out",
    "cpu_pct",
    "rss_mb",
    "loss_pct",
    "ttff_ms_p50",
    "ttff_ms_p95",
    "bots_saturated",
    "workers",
}


def record(server: str, n: int, us: float, **changes: Any) -> StepRecord:
    base = StepRecord(
        scenario="broadcast",
        server=server,
        workers=None,
        n=n,
        rooms=1,
        publishers=1,
        subscribers=n,
        participants=n + 1,
        window_s=10.0,
        pps_in=230.0,
        pps_out=230.0 * n,
        cpu_pct=us * 230 * n / 1e4,
        cpu_pct_by_process=[us * 230 * n / 1e4],
        cpu_us_per_pkt_out=us,
        cpu_us_per_pkt_in=us * n,
        rss_mb=100.0 + n,
        rss_peak_mb=101.0 + n,
        rss_idle_mb=100.0,
        rss_mb_per_participant=1.0 / (n + 1) * n,
        loss_pct=0.0,
        ttff_ms_p50=120.0,
        ttff_ms_p95=300.0,
        video_streams_expected=n,
        video_streams_missing=0,
        bots_cpu_pct=40.0,
        loop_lag_p99_ms=2.0,
        bots_saturated=False,
        verdict="held",
    )
    return replace(base, **changes)


RECORDS = [
    record("ours", 10, 20.0, extra={"delay_ms_p50": 1.25, "delay_ms_p95": 3.5}),
    record("ours", 20, 16.0, loss_pct=1.5, verdict="loss", extra={"delay_ms_p50": 2.0}),
    record("janus", 10, 8.0),
    record("janus", 20, 8.0, bots_saturated=True, bots_cpu_pct=95.0, verdict="bots saturated"),
]


def test_json_records_carry_the_required_fields() -> None:
    data = json.loads(json.dumps(run_json(RECORDS, {"stamp": "x"})))
    assert data["run"] == {"stamp": "x"}
    assert len(data["records"]) == 4
    for item in data["records"]:
        assert REQUIRED <= set(item)
    first = data["records"][0]
    assert (first["scenario"], first["server"], first["subscribers"]) == ("broadcast", "ours", 10)
    assert first["cpu_us_per_pkt_out"] == 20.0
    assert record_from_dict(first) == RECORDS[0]
    assert data["limits"] == [
        {
            "scenario": "broadcast",
            "server": "ours",
            "workers": None,
            "held_n": 10,
            "stopped_by": "loss at N=20",
            "nodes": None,
        },
        {
            "scenario": "broadcast",
            "server": "janus",
            "workers": None,
            "held_n": 10,
            "stopped_by": "bots saturated at N=20",
            "nodes": None,
        },
    ]


def test_side_by_side_table_with_ratio_and_saturation_marks() -> None:
    assert side_by_side(RECORDS) == [
        "| N | subscribers | ours µs/pkt out | janus µs/pkt out | ours/janus | ours loss % "
        "| janus loss % | ours TTFF p95 ms | janus TTFF p95 ms | ours delay p50 ms "
        "| janus delay p50 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| 10 | 10 | 20.0 | 8.0 | 2.50 | 0.00 | 0.00 | 300 | 300 | 1.2 | — |",
        # Janus's bots were saturated at 20: starred, and no ratio.
        "| 20 | 20 | 16.0 | 8.0* | — | 1.50 | 0.00* | 300 | 300* | 2.0 | —* |",
    ]


def test_detail_rows() -> None:
    rows = details([RECORDS[1], record("relay", 1, 3000.0, error="boom | bang", verdict="error")])
    assert rows[0].startswith("| server | N | pub | sub | pps in | pps out | CPU % | µs/pkt out")
    assert rows[2] == (
        "| ours | 20 | 1 | 20 | 230 | 4600 | 7.4 | 16.0 | 320.0 | 120 | 0.95 | 1.50 | 120 | "
        "300 | 2.0 | — | 40 | loss |"
    )
    assert rows[3].endswith("| error: boom / bang |")
    late = record("ours", 4, 9.0, ttff_ms_p95=None, video_streams_missing=3, verdict="ttff")
    assert details([late])[2].endswith("| 120 | — | — | — | 40 | ttff (3/4 videos missing) |")


def test_workers_get_their_own_column() -> None:
    two = record("ours", 10, 10.0, workers=2)
    table = side_by_side([RECORDS[0], two, RECORDS[2]])
    assert table[0].startswith(
        "| N | subscribers | ours µs/pkt out | ours ×2 µs/pkt out | janus µs/pkt out | "
        "ours/janus | ours ×2/janus |"
    )
    assert table[2].startswith("| 10 | 10 | 20.0 | 10.0 | 8.0 | 2.50 | 1.25 |")


def test_limits_and_targets() -> None:
    assert limits_table(RECORDS) == [
        "| scenario | ours | janus |",
        "| --- | --- | --- |",
        "| broadcast | 10 (loss at N=20) | 10 (bots saturated at N=20) |",
    ]
    assert [lim.held_n for lim in limits([record("ours", 5, 10.0, verdict="ttff")])] == [None]
    assert targets(RECORDS) == [
        "- broadcast: CPU per forwarded packet 16.0–20.0 µs (target ≤ 10: missed by ×2.00); "
        "ours/janus 2.50–2.50 (target ≤ 1.5: missed by ×1.67); TTFF p95 300–300 ms over held "
        "steps (target ≤ 500 at moderate load: met at the lightest)."
    ]


def test_verdicts() -> None:
    assert verdict_of(error=None, saturated=False, loss_pct=0.5, ttff_ms_p95=1999) == "held"
    assert verdict_of(error=None, saturated=False, loss_pct=1.01, ttff_ms_p95=10) == "loss"
    assert verdict_of(error=None, saturated=False, loss_pct=0, ttff_ms_p95=2001) == "ttff"
    assert verdict_of(error=None, saturated=False, loss_pct=0, ttff_ms_p95=None) == "ttff"
    assert verdict_of(error=None, saturated=True, loss_pct=5, ttff_ms_p95=None) == "bots saturated"
    assert verdict_of(error="x", saturated=True, loss_pct=0, ttff_ms_p95=1) == "error"


def test_markdown_and_files(tmp_path: Path) -> None:
    text = markdown(RECORDS, {"stamp": "20260101-000000"}, ["a-cpu.png"])
    assert text.startswith("# Bench run 20260101-000000\n")
    assert "## broadcast\n" in text
    assert "![a-cpu.png](a-cpu.png)" in text
    json_path, md_path = write_run(RECORDS, {}, tmp_path, stamp="s1")
    assert json_path == tmp_path / "s1.json" and md_path == tmp_path / "s1.md"
    assert json.loads(json_path.read_text())["run"]["stamp"] == "s1"
    for name in ("s1-cpu.png", "s1-loss.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
        assert f"![{name}]({name})" in md_path.read_text()


# The figures records are made of (bench.loadgen).


class FakeParticipant:
    def __init__(self, identity: str, streams: list[StreamStats], sources: dict[int, str]) -> None:
        self.identity = identity
        self.join_started_at: float | None = None
        self._streams = streams
        self._sources = sources

    def streams(self) -> list[StreamStats]:
        return self._streams

    async def close(self) -> None:
        pass

    def source_of(self, stream: StreamStats) -> str | None:
        return self._sources.get(stream.ssrc)


class Unattributed(FakeParticipant):
    source_of = None  # type: ignore[assignment]


def video(ssrc: int, keyframe_end: float | None) -> StreamStats:
    return StreamStats(ssrc=ssrc, kind="video", first_keyframe_end_at=keyframe_end)


def test_ttff_counts_from_the_later_of_subscriber_and_publisher_join() -> None:
    joined = {"r/a": 10.0, "r/b": 12.0, "r/c": 11.0}
    # a joined first: b's stream is timed from b's join (12.0), not from a's.
    a = FakeParticipant("a", [video(1, 12.5), video(2, 11.4)], {1: "b", 2: "c"})
    # c expected a and b but got only a's video: b's counts as missing (inf).
    c = FakeParticipant("c", [video(3, 11.25)], {3: "a"})
    samples = ttff_samples([("r", a, 10.0, ["b", "c"]), ("r", c, 11.0, ["a", "b"])], joined)
    assert samples == [0.5, pytest.approx(0.4), 0.25, math.inf]
    assert percentile(samples, 50) == pytest.approx(0.4)
    assert percentile(samples, 95) == math.inf
    assert percentile([], 95) is None


def test_ttff_without_attribution_only_times_late_joiners() -> None:
    joined = {"r/a": 10.0, "r/b": 12.0}
    a = Unattributed("a", [video(1, 12.5)], {})
    b = Unattributed("b", [video(2, 12.3), video(3, None)], {})
    samples = ttff_samples([("r", a, 10.0, ["b"]), ("r", b, 12.0, ["a"])], joined)
    assert samples == [pytest.approx(0.3), math.inf]


def test_window_traffic_counts_new_streams_from_zero() -> None:
    before = {("r/a", 1): (100, 100, 0)}
    after = {("r/a", 1): (300, 302, 2), ("r/b", 2): (50, 50, 0)}
    assert window_traffic(before, after) == (250, 252, 2)


def test_process_table_pairs_each_process_with_the_rooms_it_serves() -> None:
    usage = Usage(
        seconds=10.0,
        server_cpu_seconds=3.05,
        cpu_by_pid={10: 0.05, 11: 2.0, 12: 1.0},
        role_by_pid={10: "signaling", 11: "sfu.worker", 12: "sfu.worker"},
        rss_peak_bytes=1,
        rss_mean_bytes=1.0,
        bots_cpu_seconds=1.0,
        bots_cores=1,
        loop_lag_p99_s=0.0,
        loop_lag_max_s=0.0,
        rss_by_pid={10: 60 * 2**20, 11: 90.04 * 2**20},
    )
    before = {("r0/a", 1): (100, 100, 0)}
    after = {("r0/a", 1): (40100, 40100, 0), ("r1/b", 2): (25000, 25000, 0), ("r2/c", 3): (9, 9, 0)}
    table = process_table(usage, before, after, {"r0/a": 11, "r1/b": 12})
    assert table == [
        {
            "pid": 10,
            "role": "signaling",
            "cpu_pct": 0.5,
            "rss_mb": 60.0,
            "pps_out": 0.0,
            "cpu_us_per_pkt_out": None,
            "rooms": [],
        },
        {
            "pid": 11,
            "role": "sfu.worker",
            "cpu_pct": 20.0,
            "rss_mb": 90.0,
            "pps_out": 4000.0,
            "cpu_us_per_pkt_out": 50.0,
            "rooms": ["r0"],
        },
        {
            "pid": 12,
            "role": "sfu.worker",
            "cpu_pct": 10.0,
            "rss_mb": 0.0,
            "pps_out": 2500.0,
            "cpu_us_per_pkt_out": 40.0,
            "rooms": ["r1"],
        },
    ]


def process(pid: int, role: str, cpu: float, pps: float, rooms: list[str]) -> dict[str, Any]:
    return {
        "pid": pid,
        "role": role,
        "cpu_pct": cpu,
        "pps_out": pps,
        "cpu_us_per_pkt_out": round(cpu * 1e4 / pps, 2) if pps else None,
        "rooms": rooms,
    }


def rooms_record(n: int, workers: int, per_room_cpu: float, **changes: Any) -> StepRecord:
    names = [f"rooms-{n}-{m}" for m in range(n)]
    processes = [process(1, "signaling", 0.2, 0.0, [])]
    shares = [names[k::workers] for k in range(workers)]
    processes += [
        process(2 + k, "sfu.worker", per_room_cpu * len(share), 5000.0 * len(share), share)
        for k, share in enumerate(shares)
    ]
    return record(
        "ours",
        n,
        per_room_cpu / 0.5,
        scenario="rooms",
        workers=workers,
        rooms=n,
        extra={"processes": processes},
        **changes,
    )


def test_process_scaling_shows_each_worker_and_the_main_process() -> None:
    records = [rooms_record(2, 1, 20.0), rooms_record(2, 2, 22.0), RECORDS[0]]
    assert process_scaling(records) == [
        "| server | N | process | rooms | pps out | CPU % | µs/pkt out |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| ours ×1 | 2 | worker 1 | rooms-2-0, rooms-2-1 | 10000 | 40.0 | 40.0 |",
        "| ours ×1 | 2 | main (signalling) |  |  | 0.2 |  |",
        "| ours ×2 | 2 | worker 1 | rooms-2-0 | 5000 | 22.0 | 44.0 |",
        "| ours ×2 | 2 | worker 2 | rooms-2-1 | 5000 | 22.0 | 44.0 |",
        "| ours ×2 | 2 | main (signalling) |  |  | 0.2 |  |",
    ]
    assert process_scaling_summary(records) == [
        "- N=2: one worker holding every room 40.0 µs/pkt; split over 2 workers "
        "44.0 / 44.0 µs/pkt (×1.10 at worst)."
    ]
    assert process_scaling([RECORDS[0]]) == []
    text = markdown(records, {"machine": {"cores": 2}}, [])
    assert "## Process scaling" in text and "Scaling curve" not in text


def test_the_scaling_curve_is_printed_on_four_cores_or_more() -> None:
    records = [
        rooms_record(n, w, 10.0, **({"verdict": "loss"} if n > w + 1 else {}))
        for w in (1, 2, 3)
        for n in (1, 2, 3, 4)
    ]
    assert scaling_curve(records) == [
        "| SFU processes | largest N held | pps out there | server CPU % | stopped by |",
        "| --- | --- | --- | --- | --- |",
        "| 1 | 2 | 460 | 0.9 | loss at N=3 |",
        "| 2 | 3 | 690 | 1.4 | loss at N=4 |",
        "| 3 | 4 | 920 | 1.8 | end of steps |",
    ]
    text = markdown(records, {"machine": {"cores": 4}}, [])
    assert "Scaling curve (4 cores), `rooms`:" in text


def test_the_hls_clients_of_our_events_get_a_table_per_n() -> None:
    hls = {
        "clients": 10,
        "segments_fetched": 120,
        "segments_failed": 1,
        "segments_skipped": 2,
        "mbytes": 85.5,
        "fetch_ms_p95": 31,
    }
    ours = record("ours", 20, 30.0, extra={"hls": hls})
    assert hls_table([record("janus", 20, 25.0), ours]) == [
        "HLS clients of the event (from their first segment to the step's end):",
        "",
        "| server | N | clients | segments fetched | failed | skipped | MB | fetch p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| ours | 20 | 10 | 120 | 1 | 2 | 85.5 | 31 |",
        "",
    ]
    assert hls_table([record("janus", 20, 25.0)]) == []
