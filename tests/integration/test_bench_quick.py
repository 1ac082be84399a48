"""A tiny lesson step of the bench against our server: the record's fields are there and sane."""

import asyncio

import pytest

from bench.loadgen import Timing, run_step
from bench.ours_target import OursTarget
from bench.report import StepRecord
from bench.scenarios import Media, lesson


@pytest.mark.timeout(60)
async def test_lesson_step_against_ours() -> None:
    media = await asyncio.to_thread(Media.load)
    plan = lesson(2, media)  # 1 teacher + 2 pupils, everyone sees everyone
    # Unpinned: this test shares the machine with other tests.
    record = await run_step(OursTarget(cpu=None), plan, Timing(warmup=1.5, window=3.0))

    assert isinstance(record, StepRecord)
    assert record.error is None, record.extra
    assert (record.scenario, record.server, record.n) == ("lesson", "ours", 2)
    assert (record.publishers, record.subscribers, record.participants) == (3, 3, 3)
    assert record.window_s == pytest.approx(3.0, abs=0.5)
    # Teacher 720p to 2 pupils, each pupil's 360p to the teacher and the other pupil, + audio.
    assert record.pps_in is not None and record.pps_in > 200
    assert record.pps_out > record.pps_in
    assert record.loss_pct < 1.0
    assert record.video_streams_expected == 6
    assert record.video_streams_missing == 0
    assert record.ttff_ms_p50 is not None and record.ttff_ms_p95 is not None
    assert 0 < record.ttff_ms_p50 <= record.ttff_ms_p95 < 5000
    assert record.cpu_pct > 0 and record.cpu_pct_by_process
    assert record.cpu_us_per_pkt_out is not None and record.cpu_us_per_pkt_out > 0
    assert record.rss_mb > 20 and record.rss_idle_mb > 20
    assert record.bots_cpu_pct > 0
    # Publisher, server and bots share this machine's clock, and the bots' SRs (like a
    # browser's) name their send time: a packet cannot arrive before it was sent.
    delay_p50, delay_p95 = record.extra["delay_ms_p50"], record.extra["delay_ms_p95"]
    assert delay_p50 is not None and delay_p95 is not None
    assert -1.0 <= delay_p50 <= delay_p95 < 1000
    assert record.verdict in ("held", "ttff", "bots saturated")
