"""The `weak` scenario: pupils split into link groups, and what each group received."""

from fractions import Fraction

from bench.frame_assembly import CompleteFrame, FrameAssembly, FrameHead
from bench.group_stats import group_stats, traffic
from bench.impairment import Impairment
from bench.link_groups import WEAK_GROUPS, LinkGroup, assign, describe
from bench.media import EncodedFrame
from bench.report import group_table, group_tables, markdown
from bench.rtp_stats import StreamStats
from bench.scenarios import QUICK_STEPS, SCENARIOS, WEAK_WARMUP, Media, key, sources
from bench.target import JoinSpec

from .test_bench_report import record


def test_pupils_are_dealt_round_robin_into_the_groups() -> None:
    names = [g.name for g in assign(7)]
    assert names == [
        "good",
        "1 Mbit",
        "300 kbit + 2 % loss",
        "good",
        "1 Mbit",
        "300 kbit + 2 % loss",
        "good",
    ]
    assert [names.count(g.name) for g in WEAK_GROUPS] == [3, 2, 2]
    assert [g.name for g in assign(2)] == ["good", "1 Mbit"]
    two = (LinkGroup("a", None), LinkGroup("b", Impairment(loss=0.1)))
    assert [g.name for g in assign(5, two)] == ["a", "b", "a", "b", "a"]


def test_the_groups_links() -> None:
    good, mbit, narrow = WEAK_GROUPS
    assert good.downlink is None and good.description == "direct (no impairment)"
    assert mbit.downlink == Impairment(bandwidth_kbps=1000, queue_ms=300)
    assert narrow.downlink == Impairment(bandwidth_kbps=300, queue_ms=300, loss=0.02, jitter_ms=30)
    assert narrow.description == "300 kbit/s, 300 ms queue, 2 % loss, 30 ms jitter"
    assert describe(Impairment(burst_loss=0.01, delay_ms=40)) == (
        "bursts of 3 starting at 1 %, 40 ms delay"
    )


def test_the_weak_plan_a_layered_teacher_and_pupils_behind_their_links() -> None:
    video = [EncodedFrame(b"v", 0, 3000, True, Fraction(1, 90000))]
    media = Media(video_720p=[], video_360p=[], audio=[], layered_720p=video)
    plan = SCENARIOS["weak"](4, media)
    assert (plan.scenario, plan.n, plan.rooms, plan.min_warmup) == ("weak", 4, 1, WEAK_WARMUP)
    teacher, *pupils = plan.joins
    assert teacher.role == "teacher" and teacher.publish is not None
    assert teacher.publish.layered and teacher.publish.video is video
    assert [p.group for p in pupils] == ["good", "1 Mbit", "300 kbit + 2 % loss", "good"]
    assert [p.downlink is None for p in pupils] == [True, False, False, True]
    assert len({p.link_seed for p in pupils}) == 4  # a seed of its own each
    assert {p.feedback for p in pupils} == {"aiortc"}  # REMB, as a browser sends
    assert all(p.publish is None for p in pupils)
    wanted = sources(plan)
    assert all([s.identity for s in wanted[key(p)]] == ["teacher"] for p in pupils)
    assert QUICK_STEPS["weak"] == [3]


class Pupil:
    def __init__(self, identity: str, streams: list[StreamStats]) -> None:
        self.identity = identity
        self.join_started_at: float | None = None
        self._streams = streams
        self.relay = None

    def streams(self) -> list[StreamStats]:
        return self._streams

    async def close(self) -> None:
        pass


def video_stream(frames: list[CompleteFrame]) -> StreamStats:
    stream = StreamStats(ssrc=1, kind="video", codec="vp8", assembly=FrameAssembly())
    assert stream.assembly is not None
    stream.assembly.frames = frames
    return stream


def test_each_group_s_frames_freezes_and_traffic_over_the_window() -> None:
    spec_a = JoinSpec("r", "a", group="good")
    spec_b = JoinSpec("r", "b", group="good")
    spec_c = JoinSpec("r", "c", group="narrow", downlink=Impairment(bandwidth_kbps=300))
    # a: 10 fps for 4 s, one frame each PictureID from a keyframe; frame 25 never completed,
    # so frames 26 on miss their reference.
    steady = [CompleteFrame(k / 10, FrameHead(keyframe=k == 0, picture_id=k)) for k in range(40)]
    del steady[25]
    # b: a 1.1 s gap; its frames carry no index (references cannot be told: kept).
    stalled = [k / 10 for k in range(20)] + [3.0 + k / 10 for k in range(10)]
    a = Pupil("a", [video_stream(steady)])
    b = Pupil("b", [video_stream([CompleteFrame(t, FrameHead()) for t in stalled])])
    c = Pupil("c", [])  # nothing arrived at all
    members = [(spec_a, a), (spec_b, b), (spec_c, c), (JoinSpec("r", "teacher"), a)]
    before = {key(s): traffic(p) for s, p in members[:3]}
    # The window: 1 s to 3.9 s; a received 100 kB in it and lost 5 of 200 video packets.
    video = a.streams()[0]
    video.bytes = 100_000
    video.sequence.base, video.sequence.highest = 0, 199
    video.sequence._missing = set(range(5))
    video.layer_frames = [29, 0, 0]
    after = {key(s): traffic(p) for s, p in members[:3]}
    good, narrow = group_stats(members, before, after, 1.0, 3.9)

    assert (good.group, good.link, good.pupils) == ("good", "direct (no impairment)", 2)
    # a: frames 1.0 .. 3.8 but 2.5 (28), 1.0 .. 2.4 kept (15); b: 1.0 .. 1.9 and 3.0 .. 3.8
    # (19). a's 0.2 s gap is no freeze (under max(3 × 0.1, 0.1 + 0.15)).
    assert (good.fps, good.fps_min) == (round(47 / 2 / 2.9, 2), round(19 / 2.9, 2))
    assert good.fps_kept == round(34 / 2 / 2.9, 2)
    assert (good.freezes, good.frozen_pct) == (1, round(1.1 / (2 * 2.9) * 100, 1))
    assert good.longest_gap_s == 1.1
    assert good.layer_fps == [round(29 / 5.8, 2), 0.0, 0.0]
    assert good.kbps == round(100_000 * 8 / 5.8 / 1000, 1)
    assert (good.video_loss_pct, good.audio_loss_pct) == (2.5, 0.0)
    assert good.link_drop_pct is None  # direct links

    assert (narrow.pupils, narrow.fps, narrow.freezes, narrow.longest_gap_s) == (1, 0.0, 0, 2.9)
    assert narrow.link == "300 kbit/s, 200 ms queue"
    assert narrow.link_drop_pct == 0.0  # behind a relay (none here: nothing counted)


def test_the_report_shows_a_table_per_server_and_says_what_janus_cannot_do() -> None:
    groups = [
        {
            "group": "good",
            "link": "direct (no impairment)",
            "pupils": 2,
            "fps": 29.9,
            "fps_min": 29.5,
            "fps_kept": 29.0,
            "freezes": 0,
            "frozen_pct": 0.0,
            "longest_gap_s": 0.07,
            "layer_fps": [7.5, 7.5, 15.0],
            "kbps": 1580.0,
            "video_loss_pct": 0.0,
            "audio_loss_pct": 0.0,
            "link_drop_pct": None,
        }
    ]
    ours = record("ours", 6, 10.0, scenario="weak", extra={"groups": groups})
    janus = record("janus", 6, 8.0, scenario="weak", extra={"groups": groups})
    assert group_table(ours)[2] == (
        "| good | direct (no impairment) | 2 | 29.9 (29.5) | 29.0 | 0 | 0.0 | 0.07 "
        "| 7.5 / 7.5 / 15.0 | 1580 | 0.00 | 0.00 | — |"
    )
    lines = group_tables([janus, ours])
    assert lines[0].startswith("ours, N=6") and lines[0].endswith("s measured):")
    at_janus = next(k for k, line in enumerate(lines) if line.startswith("janus, N=6"))
    # Janus's table, then what does not apply to it; ours has no such note.
    assert "does not apply to Janus" in lines[at_janus + 6]
    assert not any("does not apply" in line for line in lines[:at_janus])
    text = markdown([ours, janus], {"stamp": "x"}, [])
    assert "## weak\n" in text and "mixed downlinks" in text
    assert "Chrome's" in text  # the freeze definition is given
    assert group_tables([record("ours", 6, 10.0)]) == []  # other scenarios: nothing
