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


def test_heavy_loss_caps_at_what_was_sent_minus_half_the_loss() -> None:
    downlink = Downlink()
    downlink.sent_rate = 1_000_000
    downlink.on_loss(0.2)
    assert downlink.budget() == pytest.approx(900_000)
    downlink.on_remb(2_000_000)
    assert downlink.budget() == pytest.approx(900_000)  # the smaller of the two
    downlink.on_loss(0.05)  # between the thresholds: held
    assert downlink.budget() == pytest.approx(900_000)


def test_the_loss_cap_grows_back_and_lets_go_once_loss_is_low() -> None:
    downlink = Downlink()
    downlink.sent_rate = 500_000
    downlink.on_loss(0.5)
    assert downlink.budget() == pytest.approx(375_000)
    budgets = []
    for _ in range(14):
        downlink.on_loss(0.0)
        budgets.append(downlink.budget())
    assert budgets[0] == pytest.approx(375_000 * 1.08)
    assert budgets[-1] is None  # past twice what is sent: it no longer binds
    assert all(a is None or b is None or b > a for a, b in zip(budgets, budgets[1:], strict=False))
