"""A subscriber's downlink budget from its REMB and the loss it reports."""

import pytest

from sfu.downlink import FLOOR, Downlink


def test_nothing_known_means_no_budget() -> None:
    assert Downlink().budget() is None


def test_remb_is_the_budget_but_never_below_the_floor() -> None:
    downlink = Downlink()
    downlink.on_remb(300_000)
    assert downlink.budget() == 300_000
    downlink.on_remb(1_000)
    assert downlink.budget() == FLOOR


def test_loss_in_two_reports_in_a_row_cuts_by_half_the_loss() -> None:
    downlink = Downlink()
    downlink.sent_rate = 1_000_000
    downlink.on_loss(0.2)
    assert downlink.budget() is None  # once: a keyframe's tail, perhaps
    downlink.on_loss(0.0)
    downlink.on_loss(0.2)
    assert downlink.budget() is None  # not in a row
    downlink.on_loss(0.2)
    assert downlink.budget() == pytest.approx(900_000)  # from what was sent
    downlink.on_remb(2_000_000)
    assert downlink.budget() == pytest.approx(900_000)  # the smaller of the two
    downlink.on_loss(0.05)  # between the thresholds: held
    assert downlink.budget() == pytest.approx(900_000)


def test_a_cut_starts_from_what_the_link_was_believed_to_carry() -> None:
    downlink = Downlink()
    downlink.on_remb(600_000)
    downlink.sent_rate = 50_000  # video paused: only audio went out
    downlink.on_loss(0.4)
    downlink.on_loss(0.4)
    assert downlink.budget() == pytest.approx(480_000)  # from the REMB, not from audio alone
    downlink.on_loss(0.4)
    assert downlink.budget() == pytest.approx(384_000)  # and from the cap, report by report


def test_the_loss_cap_grows_back_and_lets_go_once_loss_is_low() -> None:
    downlink = Downlink()
    downlink.sent_rate = 500_000
    downlink.on_loss(0.5)
    downlink.on_loss(0.5)
    assert downlink.budget() == pytest.approx(375_000)
    budgets = []
    for _ in range(14):
        downlink.on_loss(0.0)
        budgets.append(downlink.budget())
    assert budgets[0] == pytest.approx(375_000 * 1.08)
    assert budgets[-1] is None  # past twice what is sent: it no longer binds
    assert all(a is None or b is None or b > a for a, b in zip(budgets, budgets[1:], strict=False))
