"""A subscriber's downlink budget from its REMB and the loss it reports."""

import pytest

from sfu.downlink import FLOOR, LOSS_QUIET, LOSSY_PLAYOUT, SMOOTH_HOLD, STEADY_PLAYOUT, Downlink


def test_nothing_known_means_no_budget() -> None:
    assert Downlink().budget() is None


def test_a_rising_remb_is_a_ramp_up_not_a_limit() -> None:
    downlink = Downlink()
    for second, bitrate in enumerate((300_000, 330_000, 320_000, 360_000, 400_000)):
        downlink.on_remb(bitrate)  # 320 k: within 5 %, noise
        downlink.tick(600_000, float(second))
        assert downlink.budget() is None


def test_once_the_remb_falls_it_is_the_budget_up_and_down_never_below_the_floor() -> None:
    downlink = Downlink()
    downlink.on_remb(600_000)
    downlink.on_remb(450_000)  # the receiver saw its queue grow
    assert downlink.budget() == 450_000
    downlink.on_remb(700_000)
    assert downlink.budget() == 700_000
    downlink.on_remb(1_000)
    assert downlink.budget() == FLOOR


def test_a_remb_flat_below_what_is_sent_for_two_seconds_is_the_limit() -> None:
    downlink = Downlink()
    for second, bitrate in enumerate((380_000, 374_000, 376_000)):
        assert downlink.budget() is None
        downlink.on_remb(bitrate)
        downlink.tick(650_000, float(second))
    assert downlink.budget() == 376_000
    flat_above = Downlink()  # flat but above what is sent: it limits nothing
    for second in range(4):
        flat_above.on_remb(900_000)
        flat_above.tick(650_000, float(second))
    assert flat_above.budget() is None


def test_loss_in_two_reports_in_a_row_cuts_by_half_the_loss() -> None:
    downlink = Downlink()
    downlink.tick(1_000_000, 0.0)
    downlink.on_loss(0.2, 0.0)
    assert downlink.budget() is None  # once: a keyframe's tail, perhaps
    downlink.on_loss(0.0, 1.0)
    downlink.on_loss(0.2, 2.0)
    assert downlink.budget() is None  # not in a row
    downlink.on_loss(0.2, 3.0)
    assert downlink.budget() == pytest.approx(900_000)  # from what was sent
    downlink.on_loss(0.5, 3.5)
    downlink.on_loss(0.5, 4.0)
    assert downlink.budget() == pytest.approx(900_000)  # the queue before the cut: ignored
    downlink.on_remb(3_000_000)
    downlink.on_remb(2_000_000)
    assert downlink.budget() == pytest.approx(900_000)  # the smaller of the two
    downlink.on_loss(0.05, 3.0 + LOSS_QUIET)  # between the thresholds: held
    assert downlink.budget() == pytest.approx(900_000)


def test_a_cut_starts_from_what_the_link_was_believed_to_carry() -> None:
    downlink = Downlink()
    downlink.on_remb(700_000)
    downlink.on_remb(600_000)
    downlink.tick(50_000, 0.0)  # video paused: only audio went out
    downlink.on_loss(0.4, 0.0)
    downlink.on_loss(0.4, 1.0)
    assert downlink.budget() == pytest.approx(480_000)  # from the REMB, not from audio alone
    downlink.on_loss(0.4, 1.0 + LOSS_QUIET)
    downlink.on_loss(0.4, 1.5 + LOSS_QUIET)
    assert downlink.budget() == pytest.approx(480_000)  # the burst before the cut drains
    downlink.on_loss(0.4, 1.0 + 2 * LOSS_QUIET)
    downlink.on_loss(0.4, 2.0 + 2 * LOSS_QUIET)
    assert downlink.budget() == pytest.approx(384_000)  # loss that lasts: from the cap


def test_after_a_clean_measurement_loss_cuts_again_at_once() -> None:
    downlink = Downlink()
    downlink.tick(500_000, 0.0)
    downlink.on_loss(0.2, 0.0)
    downlink.on_loss(0.2, 1.0)
    assert downlink.budget() == pytest.approx(450_000)
    downlink.on_loss(0.0, 1.0 + LOSS_QUIET)  # the queue drained
    downlink.on_loss(0.2, 1.5 + LOSS_QUIET)
    downlink.on_loss(0.2, 2.0 + LOSS_QUIET)
    assert downlink.budget() == pytest.approx(405_000)


def test_the_loss_cap_grows_back_while_loss_is_low() -> None:
    downlink = Downlink()
    downlink.tick(500_000, 0.0)
    downlink.on_loss(0.5, 0.0)
    downlink.on_loss(0.5, 1.0)
    assert downlink.budget() == pytest.approx(375_000)
    now = 1.0 + LOSS_QUIET
    budgets = []
    for step in range(10):
        downlink.on_loss(0.0, now + step)
        budgets.append(downlink.budget())
    assert budgets[0] == pytest.approx(375_000)  # growth counts from the end of the quiet
    assert budgets[-1] == pytest.approx(375_000 * 1.08**9)  # 8 % a second
    # On a narrow link a measurement can span seconds: the growth is per second, up to 5.
    downlink.on_loss(0.0, now + 12)
    assert downlink.budget() == pytest.approx(375_000 * 1.08**12)
    downlink.on_loss(0.0, now + 30)
    assert downlink.budget() == pytest.approx(375_000 * 1.08**17)


def test_a_lossy_link_is_asked_to_buffer_and_one_stray_loss_is_not() -> None:
    downlink = Downlink()
    assert downlink.playout_delay(0.0) is None  # never lossy: the receiver's own defaults
    downlink.on_loss(0.03, 0.0)  # one lost packet in a second
    assert downlink.playout_delay(0.5) is None
    downlink.on_loss(0.0, 20.0)
    downlink.on_loss(0.05, 21.0)  # lossy again, but long after: still one
    assert downlink.playout_delay(21.5) is None
    downlink.on_loss(0.04, 22.0)  # a second lossy measurement within SMOOTH_HOLD
    assert downlink.playout_delay(22.5) == LOSSY_PLAYOUT
    assert downlink.playout_delay(22.0 + SMOOTH_HOLD - 0.1) == LOSSY_PLAYOUT
    assert downlink.playout_delay(22.0 + SMOOTH_HOLD) == STEADY_PLAYOUT  # given back


def test_our_estimate_is_a_ramp_until_it_has_seen_the_limit_then_the_budget() -> None:
    downlink = Downlink()
    downlink.on_estimate(300_000, limit=False, now=0.0)
    downlink.on_estimate(250_000, limit=False, now=0.0)  # a ramp's start, not a queue: no budget
    assert (downlink.budget(), downlink.source, downlink.estimate) == (None, "twcc", 250_000)
    downlink.on_estimate(420_000, limit=True, now=0.0)
    assert downlink.budget() == 420_000
    downlink.on_estimate(600_000, limit=False, now=0.0)  # once seen, it stays the budget
    assert downlink.budget() == 600_000


def test_a_remb_after_our_own_estimate_is_ignored() -> None:
    downlink = Downlink()
    downlink.on_remb(900_000)
    assert downlink.source == "remb"
    downlink.on_estimate(500_000, limit=True, now=0.0)
    downlink.on_remb(100_000)  # stale: the browser stops REMB once transport-cc is on
    assert (downlink.budget(), downlink.source, downlink.estimate) == (500_000, "twcc", 500_000)


def test_a_remb_far_under_what_is_sent_two_seconds_in_a_row_is_the_limit_at_once() -> None:
    downlink = Downlink()
    downlink.tick(2_400_000, 0.0)
    downlink.on_remb(290_000)  # a 300 kbit/s pupil's first REMB, while 2.4 Mbit/s went out
    downlink.tick(2_400_000, 1.0)
    assert downlink.budget() == 290_000
    bursty = Downlink()  # one second of keyframes is not enough: the second before counts too
    bursty.tick(1_300_000, 0.0)
    bursty.on_remb(1_180_000)
    bursty.tick(3_000_000, 1.0)
    assert bursty.budget() is None
    assert not bursty.lossy(1.0)


def test_a_first_cut_starts_from_the_receivers_estimate_when_it_is_lower() -> None:
    downlink = Downlink()
    downlink.tick(2_400_000, 0.0)
    downlink.on_remb(600_000)  # a ramp, not yet a limit...
    downlink.on_loss(0.3, 0.0)
    downlink.on_loss(0.3, 1.0)
    assert downlink.budget() == pytest.approx(510_000)  # ...but more than it was not believed
    assert downlink.lossy(1.0)


def test_a_link_is_lossy_for_a_while_after_loss_over_one_percent() -> None:
    downlink = Downlink()
    downlink.on_loss(0.005, 0.0)
    assert not downlink.lossy(0.0)
    downlink.on_loss(0.03, 1.0)
    assert downlink.lossy(1.0) and downlink.lossy(4.9)
    assert not downlink.lossy(5.1)


def test_our_own_estimate_before_its_first_overuse_does_not_bound_a_cut() -> None:
    downlink = Downlink()
    downlink.tick(1_000_000, 0.0)
    downlink.on_estimate(300_000, limit=False, now=0.0)  # the ramp's start, not the link
    downlink.on_loss(0.2, 0.0)
    downlink.on_loss(0.2, 1.0)
    assert downlink.budget() == pytest.approx(900_000)  # from what was sent


def test_before_a_limit_a_cut_starts_from_what_arrived_not_from_what_was_sent() -> None:
    downlink = Downlink()
    downlink.tick(164_000, 0.0)  # the second before a flood
    downlink.on_estimate(320_000, limit=False, now=0.5, delivered=290_000)
    downlink.on_loss(0.6, 0.6)
    downlink.on_loss(0.6, 0.7)
    assert downlink.budget() == pytest.approx(290_000 * 0.7)  # not 164k x 0.7
    flooded = Downlink()
    flooded.tick(2_400_000, 0.0)
    flooded.on_estimate(320_000, limit=False, now=0.5, delivered=300_000)
    flooded.on_loss(0.8, 0.6)
    flooded.on_loss(0.8, 0.7)
    assert flooded.budget() == pytest.approx(300_000 * 0.6)  # not 2.4M x 0.6
    unheard = Downlink()  # no feedback yet: what was sent
    unheard.tick(500_000, 0.0)
    unheard.on_estimate(320_000, limit=False, now=0.5)
    unheard.on_loss(0.2, 0.6)
    unheard.on_loss(0.2, 0.7)
    assert unheard.budget() == pytest.approx(450_000)


def test_loss_just_after_our_estimate_fell_is_that_queue_s_and_cuts_nothing() -> None:
    downlink = Downlink()
    downlink.tick(1_500_000, 0.0)
    downlink.on_estimate(320_000, limit=False, now=0.5)
    downlink.on_estimate(226_000, limit=True, now=1.0)  # overuse: 0.85x what arrived
    downlink.on_loss(0.8, 1.1)
    downlink.on_loss(0.8, 1.2)
    downlink.on_loss(0.8, 1.0 + LOSS_QUIET - 0.1)
    assert downlink.budget() == 226_000
    downlink.on_loss(0.8, 1.0 + LOSS_QUIET + 0.1)  # lasting past it: the link loses
    downlink.on_loss(0.8, 1.0 + LOSS_QUIET + 0.2)
    assert downlink.budget() == pytest.approx(226_000 * 0.6)
    rising = Downlink()  # a higher estimate is no answer to anything
    rising.tick(1_000_000, 0.0)
    rising.on_estimate(226_000, limit=True, now=0.0)
    rising.on_estimate(260_000, limit=True, now=1.0)
    rising.on_loss(0.2, 1.1)
    rising.on_loss(0.2, 1.2)
    assert rising.budget() == pytest.approx(260_000 * 0.9)
