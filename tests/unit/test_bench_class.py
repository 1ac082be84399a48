"""The bench's `class` scenario: its plan, what each role received, the videos a page-following
participant should have, a ramp that runs every step, and the report's class section."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bench import simulcast
from bench.gallery import COMPUTER, PHONE
from bench.loadgen import (
    WIRE_OVERHEAD_BYTES,
    Timing,
    Volumes,
    received_by_role,
    run_ramp,
    ttff_samples,
    video_streams,
)
from bench.media import EncodedFrame
from bench.publication import TONE_LEVEL_DBOV
from bench.report import (
    StepRecord,
    class_cost,
    class_pauses,
    class_received,
    class_target,
    markdown,
)
from bench.rtp_stats import StreamStats
from bench.scenarios import (
    CLASS_WARMUP,
    DEFAULT_STEPS,
    QUICK_STEPS,
    SCENARIOS,
    SILENT_DBOV,
    Media,
    Plan,
    class_lesson,
    sources,
)
from bench.target import JoinSpec

MEDIA = Media(video_720p=[], video_360p=[], audio=[])


def test_a_class_of_n_is_a_talking_teacher_on_a_computer_and_silent_pupils_on_phones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clips: list[list[EncodedFrame]] = [[], [], []]
    monkeypatch.setattr(simulcast, "shared_clips", lambda: clips)
    plan = class_lesson(30, MEDIA)
    assert SCENARIOS["class"] is class_lesson
    assert (plan.scenario, plan.n, plan.rooms, plan.every_step) == ("class", 30, 1, True)
    # Past the default warm-up, and past a layer let go 5 s after the last page settled.
    assert plan.min_warmup == CLASS_WARMUP >= 8.0
    teacher, *pupils = plan.joins
    assert len(pupils) == 29 and len({j.room for j in plan.joins}) == 1
    assert (teacher.identity, teacher.role, teacher.page) == ("teacher", "teacher", COMPUTER)
    # Every camera is the web client's: three sizes (simulcast), the clips shared.
    assert teacher.publish is not None and teacher.publish.simulcast is clips
    assert teacher.publish.video is None and teacher.publish.audio is MEDIA.audio
    assert teacher.publish.audio_level == TONE_LEVEL_DBOV
    for k, pupil in enumerate(pupils):
        assert (pupil.identity, pupil.role, pupil.page) == (f"pupil-{k}", "pupil", PHONE)
        assert pupil.publish is not None and pupil.publish.simulcast is clips
        assert pupil.publish.video is None
        assert pupil.publish.audio_level == SILENT_DBOV
        assert pupil.subscribe_to is None  # everyone's sound; the page picks the videos
    # Each hears the whole class (its videos are the page's, read live from the bots).
    assert all(len(found) == 29 for found in sources(plan).values())
    assert DEFAULT_STEPS["class"][-1] == 30 and QUICK_STEPS["class"] == [6]


def volumes(*rows: tuple[str, int, str, str | None, int, int]) -> Volumes:
    return {
        (who, ssrc): (kind, source, packets, size)
        for who, ssrc, kind, source, packets, size in rows
    }


def test_received_by_role_splits_kinds_and_publishers_and_counts_streams() -> None:
    roles = {"r/t": "teacher", "r/a": "pupil", "r/b": "pupil"}
    before = volumes(
        ("r/a", 1, "video", "r/t", 100, 100_000),
        ("r/a", 9, "video", "r/b", 50, 40_000),  # an earlier video: nothing in the window
    )
    after = volumes(
        ("r/a", 1, "video", "r/t", 1100, 1_350_000),  # 1.25 MB of the teacher's in 10 s
        ("r/a", 9, "video", "r/b", 50, 40_000),
        ("r/a", 2, "audio", "r/b", 500, 50_000),
        ("r/a", 3, "audio", "r/t", 500, 50_000),
        ("r/b", 4, "video", "r/t", 1000, 1_250_000),
        ("r/b", 5, "video", "r/a", 400, 375_000),
        ("r/b", 6, "audio", "r/a", 500, 50_000),
        ("r/t", 7, "video", "r/a", 400, 375_000),
    )
    found = received_by_role(roles, before, after, 10.0)
    pupil, teacher = found["pupil"], found["teacher"]
    assert pupil["participants"] == 2
    # a: 1.25 MB + 0.1 MB = 1080 kbit/s; b: 1.25 + 0.375 + 0.05 MB = 1340 kbit/s.
    assert (pupil["kbps_min"], pupil["kbps_max"], pupil["kbps_mean"]) == (1080.0, 1340.0, 1210.0)
    assert pupil["video_kbps_mean_from"] == {"teacher": 1000.0, "pupil": 150.0}
    assert pupil["audio_kbps_mean"] == 60.0
    assert pupil["video_kbps_mean"] + pupil["audio_kbps_mean"] == pupil["kbps_mean"]
    wire_b = (1_675_000 + WIRE_OVERHEAD_BYTES * 1900) * 8 / 10 / 1000
    assert pupil["wire_kbps_max"] == round(wire_b, 1)
    assert (pupil["video_streams_min"], pupil["video_streams_max"]) == (1, 2)
    assert (pupil["audio_streams_min"], pupil["audio_streams_max"]) == (1, 2)
    assert teacher["participants"] == 1 and teacher["kbps_mean"] == 300.0
    assert teacher["audio_streams_max"] == 0
    assert received_by_role(roles, before, after, 0.0) == {}


@dataclass
class PageParticipant:
    """Streams by SSRC, their publishers by SSRC, and the page's videos."""

    identity: str
    got: list[StreamStats]
    whose: dict[int, str]
    page: list[str] | None
    join_started_at: float | None = None
    closed: bool = field(default=False)

    def streams(self) -> list[StreamStats]:
        return self.got

    def source_of(self, stream: StreamStats) -> str | None:
        return self.whose.get(stream.ssrc)

    def shown_videos(self) -> list[str] | None:
        return self.page

    async def close(self) -> None:
        self.closed = True


def stream(ssrc: int, mid: str, first: float, keyframe: float | None) -> StreamStats:
    return StreamStats(
        ssrc=ssrc, mid=mid, kind="video", first_packet_at=first, first_keyframe_end_at=keyframe
    )


def test_a_page_follower_should_have_the_newest_stream_of_each_video_on_its_page() -> None:
    got = [
        stream(1, "1", 10.0, 10.2),  # the teacher's, on the page
        stream(2, "3", 10.0, None),  # a classmate's from the first offer, since dropped
        stream(3, "5", 10.0, 10.3),  # m-line 5 reused: its old stream…
        stream(4, "5", 14.0, 14.4),  # …and the new one, pupil-2's
        StreamStats(ssrc=5, mid="7", kind="audio", first_packet_at=10.0),
    ]
    whose = {1: "teacher", 3: "pupil-2", 4: "pupil-2", 5: "pupil-1"}  # 2: m-line now inactive
    page = PageParticipant("pupil-0", got, whose, ["pupil-2", "teacher"])
    assert [s.ssrc for s in video_streams(page)] == [1, 4]
    # Without a page (or everyone fits): every video stream it got.
    assert [s.ssrc for s in video_streams(replace(page, page=None))] == [1, 2, 3, 4]
    samples = ttff_samples([("r", page, 10.0, ["pupil-2", "teacher"])], {"r/pupil-2": 14.0})
    assert samples == [pytest.approx(0.2), pytest.approx(0.4)]
    # The dropped stream with no keyframe is not "missing"; a page video that never came is.
    short = replace(page, got=got[:1])
    assert ttff_samples([("r", short, 10.0, ["pupil-2", "teacher"])], {}) == [
        pytest.approx(0.2),
        math.inf,
    ]


class FailingTarget:
    """Every step fails (an error): a ramp normally stops at the first."""

    name = "fake"

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def server_pids(self) -> list[int]:
        return []

    async def start(self) -> None:
        self.log.append("start")
        raise RuntimeError("no server here")

    async def stop(self) -> None:
        pass

    async def join(self, spec: JoinSpec) -> Any:
        raise AssertionError("never joined")


@pytest.mark.parametrize("every_step", [False, True])
async def test_a_ramp_runs_every_step_of_a_scenario_that_asks(every_step: bool) -> None:
    log: list[str] = []
    plans = [Plan("class", n, 1, [], every_step=every_step) for n in (4, 6, 8)]
    records = await run_ramp(lambda: FailingTarget(log), plans, Timing(warmup=0, window=0))
    assert [r.verdict for r in records] == ["error"] * (3 if every_step else 1)
    assert len(log) == len(records)
    await asyncio.sleep(0)


def step(server: str, n: int, us: float, *, saturated: bool = False) -> StepRecord:
    pupil = {
        "participants": n - 1,
        "kbps_mean": 3000.0 + n,
        "kbps_min": 2990.0,
        "kbps_max": 3100.0 + n,
        "wire_kbps_mean": 3400.0,
        "wire_kbps_max": 3500.0,
        "video_kbps_mean": 2600.0,
        "audio_kbps_mean": 400.0 + n,
        "video_kbps_mean_from": {"teacher": 1500.0, "pupil": 1100.0},
        "video_streams_min": 4,
        "video_streams_max": 4,
        "audio_streams_min": n - 1,
        "audio_streams_max": n - 1,
        "pictures_from": {"pupil": ["480x270"], "teacher": ["480x270", "240x135"]},
    }
    teacher = {
        **pupil,
        "participants": 1,
        "kbps_mean": 2400.0,
        "video_kbps_mean_from": {"pupil": 2000.0},
        "audio_kbps_mean": 400.0,
        "video_streams_min": n - 1,
        "video_streams_max": n - 1,
        "pictures_from": {"pupil": ["240x135"]},
    }
    return StepRecord(
        scenario="class",
        server=server,
        workers=None,
        n=n,
        rooms=1,
        publishers=n,
        subscribers=n,
        participants=n,
        window_s=10.0,
        pps_in=100.0 * n,
        pps_out=1000.0 * n,
        cpu_pct=us * n / 10,
        cpu_pct_by_process=[],
        cpu_us_per_pkt_out=us,
        cpu_us_per_pkt_in=None,
        rss_mb=100.0,
        rss_peak_mb=100.0,
        rss_idle_mb=90.0,
        rss_mb_per_participant=0.3,
        loss_pct=0.0,
        ttff_ms_p50=300.0,
        ttff_ms_p95=600.0,
        video_streams_expected=5 * n,
        video_streams_missing=0,
        bots_cpu_pct=95.0 if saturated else 60.0,
        loop_lag_p99_ms=30.0 if saturated else 4.0,
        bots_saturated=saturated,
        verdict="bots saturated" if saturated else "held",
        extra={
            "received": {"pupil": pupil, "teacher": teacher},
            "loop_lag_max_ms": 50.0,
            "joins": {"seconds": 2.5 * n, "ms_p50": 400.0, "ms_p95": 900.0, "ms_max": 1200.0},
        },
    )


CLASS_RECORDS = [
    step("ours", 10, 24.0),
    step("janus", 10, 20.0),
    step("ours", 30, 18.0, saturated=True),
    step("janus", 30, 12.0),
]


def test_the_class_section_shows_what_pupils_and_the_teacher_received() -> None:
    rows = class_received(CLASS_RECORDS)
    assert len(rows) == 2 + 4
    assert rows[2] == (
        "| 10 | ours | 3010 (3110) | 1500 + 1100 + 410 | 3400 (3500) | 4 / 9 | "
        "480x270, 240x135 / 480x270 | 2400 | 2000 + 400 | 9 / 9 | 240x135 |"
    )
    assert rows[4].startswith("| 30 | ours | 3030 (3130)* |")
    paused = replace(
        CLASS_RECORDS[0],
        extra={
            **CLASS_RECORDS[0].extra,
            "video_pauses": {"before_window": 7, "in_window": 2, "participants_in_window": 1},
        },
    )
    assert class_pauses([paused, CLASS_RECORDS[1]]) == [
        '- Videos our server paused (`video_quality` "paused": a downlink it found too '
        "narrow): N=10 2 in the window to 1 participants (7 before it)."
    ]
    lines = class_target(CLASS_RECORDS)
    assert lines[0] == (
        "- ours: pupils received N=10 3010 (max 3110), N=30 3030* (max 3130) kbit/s "
        "(target ≤ 1500: missed by ×2.09)."
    )
    assert lines[1].startswith("- janus: pupils received N=10 3010 (max 3110)")


def test_the_class_section_compares_the_servers_per_packet_even_when_saturated() -> None:
    rows = class_cost(CLASS_RECORDS)
    assert rows[2].startswith("| 10 | 24.0 | 20.0 | 1.20 | 24.0 / 20.0 | 10000 / 10000 |")
    assert "| 600 / 600 | 25.0 (900) / 25.0 (900) | 60 / 60 |" in rows[2]
    assert "| 4.0 (50.0) / 4.0 (50.0) | held / held |" in rows[2]
    assert rows[3].startswith("| 30 | 18.0* | 12.0 | 1.50* |")
    assert "| 95* / 60 | 30.0 (50.0)* / 4.0 (50.0) | bots saturated / held |" in rows[3]
    text = markdown(CLASS_RECORDS, {"stamp": "x"}, [])
    assert "## class" in text and "A class of N: 1 teacher" in text
    assert "What each participant received" in text
    # Other scenarios show no class section.
    assert "What each participant received" not in markdown(
        [replace(r, scenario="lesson") for r in CLASS_RECORDS], {"stamp": "x"}, []
    )
