"""Sharing a subscriber's downlink among its videos."""

import pytest

from sfu.allocation import (
    DOWN_AFTER,
    PAUSE_AFTER,
    PROBE_GRACE,
    SEVERE_PAUSE_AFTER,
    UP_GRACE,
    UP_HEADROOM,
    Demand,
    DownHold,
    PauseProbe,
    allocate,
    given_rate,
    step_up_need,
)
from sfu.layers import MAX_LAYER, PAUSED

CAMERA = (300_000.0, 450_000.0, 600_000.0)  # layers 0, 0-1, 0-2 together
SCREEN = (500_000.0, 700_000.0, 900_000.0)
FLAT = (800_000.0, 800_000.0, 800_000.0)  # H.264, or VP8 without layers


def demand(
    key: str, rates: tuple[float, ...] = CAMERA, current: int = MAX_LAYER, source: str = "camera"
) -> Demand:
    return Demand(key, source, rates, current)


def test_no_estimate_means_everything() -> None:
    assert allocate(float("inf"), 0, [demand("a"), demand("b")]) == {"a": 2, "b": 2}


def test_a_budget_for_everything_changes_nothing() -> None:
    assert allocate(1_300_000, 40_000, [demand("a"), demand("b")]) == {"a": 2, "b": 2}


def test_the_first_video_gets_its_full_rate_before_the_second_gets_more_than_its_base() -> None:
    # 1.0 M - 40 k audio: both base layers (600 k), then a to layer 2 (+300 k), 60 k left for b
    assert allocate(1_000_000, 40_000, [demand("a"), demand("b")]) == {"a": 2, "b": 0}


def test_a_screen_share_comes_before_cameras() -> None:
    chosen = allocate(1_000_000, 0, [demand("cam"), demand("screen", SCREEN, source="screen")])
    assert chosen == {"screen": 1, "cam": 0}


def test_what_does_not_fit_even_at_its_base_layer_is_paused_audio_never() -> None:
    assert allocate(250_000, 40_000, [demand("a")]) == {"a": PAUSED}
    assert allocate(400_000, 40_000, [demand("a"), demand("b")]) == {"a": 0, "b": PAUSED}


def test_a_video_without_layers_is_whole_or_paused() -> None:
    assert allocate(900_000, 0, [demand("h264", FLAT)]) == {"h264": 2}
    assert allocate(700_000, 0, [demand("h264", FLAT)]) == {"h264": PAUSED}


def test_going_up_needs_headroom_staying_does_not() -> None:
    exactly = 450_000.0  # layers 0 and 1 of CAMERA, to the bit
    assert allocate(exactly, 0, [demand("a", current=1)]) == {"a": 1}
    assert allocate(exactly, 0, [demand("a", current=0)]) == {"a": 0}
    assert allocate(300_000 + 150_000 * UP_HEADROOM, 0, [demand("a", current=0)]) == {"a": 1}
    assert allocate(300_000, 0, [demand("a", current=PAUSED)]) == {"a": PAUSED}
    assert allocate(300_000 * UP_HEADROOM, 0, [demand("a", current=PAUSED)]) == {"a": 0}


def test_unmeasured_rates_fit_anything() -> None:
    assert allocate(60_000, 40_000, [demand("new", (0.0, 0.0, 0.0), current=PAUSED)]) == {"new": 2}


def test_a_video_pauses_only_when_its_base_layer_goes_on_not_fitting() -> None:
    probe = PauseProbe()
    assert probe.adjust(PAUSED, 2, now=0.0) == 0  # a keyframe's jump, perhaps: base layer
    assert probe.adjust(0, 0, now=1.0) == 0  # it was
    assert probe.adjust(PAUSED, 0, now=2.0) == 0
    assert probe.adjust(PAUSED, 0, now=3.0) == 0
    assert probe.adjust(PAUSED, 0, now=2.0 + PAUSE_AFTER - 0.1) == 0
    assert probe.adjust(PAUSED, 0, now=2.0 + PAUSE_AFTER) == PAUSED


def test_far_under_what_is_sent_a_video_pauses_sooner() -> None:
    probe = PauseProbe()
    assert probe.adjust(PAUSED, 2, now=0.0, far_over=True) == 0
    assert probe.adjust(PAUSED, 0, now=SEVERE_PAUSE_AFTER - 0.1, far_over=True) == 0
    assert probe.adjust(PAUSED, 0, now=SEVERE_PAUSE_AFTER, far_over=True) == PAUSED


def test_a_paused_video_is_tried_again_with_growing_patience() -> None:
    probe = PauseProbe()
    assert probe.adjust(PAUSED, 2, now=-PAUSE_AFTER) == 0
    assert probe.adjust(PAUSED, 0, now=0.0) == PAUSED  # paused at 0
    assert probe.adjust(PAUSED, PAUSED, now=4.9) == PAUSED
    assert probe.adjust(PAUSED, PAUSED, now=5.0) == 0  # tried again at 5 s...
    assert probe.adjust(PAUSED, 0, now=8.9) == 0  # ...and kept, whatever the estimate says
    assert probe.adjust(PAUSED, 0, now=9.0) == 0  # the estimate did not follow: in doubt
    assert probe.adjust(PAUSED, 0, now=9.0 + PAUSE_AFTER) == PAUSED
    start = 9.0 + PAUSE_AFTER
    assert probe.adjust(PAUSED, PAUSED, now=start + 9.9) == PAUSED  # next try after 10 s
    assert probe.adjust(PAUSED, PAUSED, now=start + 10.0) == 0
    assert probe.adjust(0, 0, now=start + 12.0) == 0  # the estimate grew with it
    assert probe.adjust(1, 0, now=start + 15.0) == 1  # past the grace: the link is back
    assert probe.adjust(PAUSED, 1, now=start + 20.0) == 0
    assert probe.adjust(PAUSED, 0, now=start + 20.0 + PAUSE_AFTER) == PAUSED
    assert probe.adjust(PAUSED, PAUSED, now=start + 25.0 + PAUSE_AFTER) == 0  # 5 s again


def test_a_paused_video_waits_its_try_while_a_more_valuable_one_is_paused() -> None:
    probe = PauseProbe()
    assert probe.adjust(PAUSED, 2, now=-PAUSE_AFTER) == 0
    assert probe.adjust(PAUSED, 0, now=0.0) == PAUSED
    assert probe.adjust(PAUSED, PAUSED, now=5.0, may_try=False) == PAUSED  # the teacher's first
    assert probe.adjust(PAUSED, PAUSED, now=9.0, may_try=False) == PAUSED
    assert probe.adjust(PAUSED, PAUSED, now=9.5) == 0  # the teacher's plays again: now


def test_patience_stops_growing_at_a_minute() -> None:
    probe = PauseProbe()
    now = 0.0
    assert probe.adjust(PAUSED, 2, now) == 0
    now += PAUSE_AFTER
    assert probe.adjust(PAUSED, 0, now) == PAUSED
    waits = []
    for _ in range(6):
        start = now
        while probe.adjust(PAUSED, PAUSED, now) == PAUSED:
            now += 1.0
        waits.append(now - start)
        now += PROBE_GRACE
        assert probe.adjust(PAUSED, 0, now) == 0
        now += PAUSE_AFTER
        assert probe.adjust(PAUSED, 0, now) == PAUSED
    assert waits == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_the_teachers_camera_comes_before_pupils_cameras() -> None:
    pupil = Demand("pupil", "camera", CAMERA, MAX_LAYER, priority=0)
    teacher = Demand("teacher", "camera", CAMERA, MAX_LAYER, priority=1)
    assert allocate(400_000, 40_000, [pupil, teacher]) == {"teacher": 0, "pupil": PAUSED}


def test_layers_that_stop_fitting_are_kept_two_seconds_then_dropped() -> None:
    hold = DownHold()
    # A REMB dip on a jittery link: fewer layers chosen, but for less than DOWN_AFTER.
    assert hold.adjust(1, MAX_LAYER, 0.0, far_over=False) == MAX_LAYER
    assert hold.adjust(1, MAX_LAYER, 1.0, far_over=False) == MAX_LAYER
    assert hold.adjust(MAX_LAYER, MAX_LAYER, 2.0, far_over=False) == MAX_LAYER  # it came back
    # Lasting: dropped once DOWN_AFTER has passed since it began.
    assert hold.adjust(0, MAX_LAYER, 3.0, far_over=False) == MAX_LAYER
    assert hold.adjust(0, MAX_LAYER, 3.0 + DOWN_AFTER - 0.1, far_over=False) == MAX_LAYER
    assert hold.adjust(0, MAX_LAYER, 3.0 + DOWN_AFTER, far_over=False) == 0
    # A budget far under what is sent is followed at once; going up and pauses pass through.
    assert hold.adjust(0, 1, 10.0, far_over=True) == 0
    assert hold.adjust(MAX_LAYER, 0, 11.0, far_over=False) == MAX_LAYER
    assert hold.adjust(PAUSED, 1, 12.0, far_over=False) == PAUSED


def test_a_step_just_given_is_kept_through_a_dip_for_the_grace() -> None:
    hold = DownHold()
    assert hold.adjust(2, 1, 0.0, far_over=False) == 2  # raised (480x270 after 240x135)
    # Its keyframe's burst: the estimate dips under it from the next second on.
    assert hold.adjust(1, 2, 1.0, far_over=False) == 2
    assert hold.adjust(1, 2, UP_GRACE - 0.1, far_over=False) == 2  # past DOWN_AFTER: kept
    assert hold.adjust(1, 2, UP_GRACE, far_over=False) == 1
    assert hold.adjust(3, 1, 20.0, far_over=False) == 3
    assert hold.adjust(0, 3, 20.5, far_over=True) == 0  # far under: at once, grace or not


def test_our_own_estimate_takes_a_step_just_raised_back_at_once() -> None:
    hold = DownHold()  # no grace: its decrease measured that the step does not fit
    assert hold.adjust(2, 1, 0.0, far_over=False, grace=False) == 2
    assert hold.adjust(1, 2, 1.0, far_over=False, grace=False) == 1
    steady = DownHold()  # a step held for long goes down after DOWN_AFTER, as with a REMB
    assert steady.adjust(1, 2, 10.0, far_over=False, grace=False) == 2
    assert steady.adjust(1, 2, 10.0 + DOWN_AFTER - 0.1, far_over=False, grace=False) == 2
    assert steady.adjust(1, 2, 10.0 + DOWN_AFTER, far_over=False, grace=False) == 1


def test_the_next_step_needed_is_the_most_valuable_videos_with_headroom() -> None:
    teacher = Demand("teacher", "camera", [100_000, 150_000, 200_000, 600_000], 2, priority=1)
    pupil = Demand("pupil", "camera", [50_000, 80_000, 120_000], 0)
    paused = Demand("paused", "camera", [50_000], PAUSED)
    steps = {"teacher": 2, "pupil": 0, "paused": PAUSED}
    demands = [pupil, paused, teacher]
    assert given_rate(60_000, demands, steps) == 60_000 + 200_000 + 50_000
    need = step_up_need(60_000, demands, steps)
    assert need == pytest.approx(310_000 + 400_000 * UP_HEADROOM)  # the teacher's next first
    steps["teacher"] = 3
    assert step_up_need(60_000, demands, steps) == pytest.approx(710_000 + 30_000 * UP_HEADROOM)
    steps["pupil"] = 2  # everyone playing has all it may get; the paused one is not asked for
    assert step_up_need(60_000, demands, steps) is None
