"""Padding a subscriber's downlink to find room for one step more (sfu/probe.py)."""

from __future__ import annotations

import asyncio

import pytest

from sfu.counters import Counters
from sfu.downlink import Downlink
from sfu.probe import (
    FIRST_BACKOFF,
    INTERVAL,
    LENGTH,
    OVERSHOOT,
    PROVEN_FOR,
    SETTLE,
    SETTLE_AFTER_PROGRESS,
    Prober,
    UpProbe,
)

# A 1 Mbit/s pupil watched the teacher at 480x270 (given 620 kbit/s of an 800 estimate),
# then was knocked down to 240x135: given 250, its receiver's estimate held at 450 by what
# arrives, 480x270 needing 700 again.
CARRIED, GIVEN, BUDGET, NEED = 620_000.0, 250_000.0, 450_000.0, 700_000.0


def knocked_down() -> UpProbe:
    """A probe that saw the link carry 480x270 for `PROVEN_FOR` seconds, then the fall (t=10)."""
    probe = UpProbe()
    for second in range(int(PROVEN_FOR) + 1):
        # The router's timer: a second and a little more each time.
        probe.update(second * 1.0004, 800_000, CARRIED, None, lossy=False)
    assert probe.proven == pytest.approx(CARRIED)
    probe.update(10.0, BUDGET, GIVEN, NEED, lossy=False)
    return probe


def started() -> UpProbe:
    probe = knocked_down()
    probe.update(10.0 + SETTLE, BUDGET, GIVEN, NEED, lossy=False)
    assert probe.running
    return probe


T0 = 10.0 + SETTLE
"""When `started`'s try starts."""


def test_a_try_starts_once_the_step_has_been_within_reach_for_a_while() -> None:
    probe = knocked_down()
    probe.update(10.0 + SETTLE - 0.1, BUDGET, GIVEN, NEED, lossy=False)
    assert not probe.running
    probe.update(10.0 + SETTLE, BUDGET, GIVEN, NEED, lossy=False)
    assert probe.running and probe.tries == 1
    assert probe.target == pytest.approx(OVERSHOOT * BUDGET)  # not all the way at once


@pytest.mark.parametrize(
    ("budget", "given", "need", "lossy", "why"),
    [
        (None, GIVEN, NEED, False, "no limit known: everything is sent anyway"),
        (BUDGET, GIVEN, None, False, "every video has all it may get"),
        (BUDGET, GIVEN, 400_000.0, False, "the step fits already"),
        (BUDGET, GIVEN, 1_500_000.0, False, "a step this link never carried (960x540)"),
        (300_000.0, 258_000.0, 690_000.0, False, "given ~85 %: the link set the estimate"),
        (BUDGET, GIVEN, NEED, True, "the link loses packets now"),
    ],
)
def test_no_try_when(
    budget: float | None, given: float, need: float | None, lossy: bool, why: str
) -> None:
    probe = knocked_down()
    for second in range(11, 30):
        probe.update(float(second), budget, given, need, lossy)
    assert probe.tries == 0, why


def test_no_try_for_a_link_that_never_carried_the_step() -> None:
    probe = UpProbe()  # a 300 kbit/s pupil: 240x135 all along, 480x270 (690 k) never
    for second in range(30):
        probe.update(float(second), 400_000, 250_000, 690_000, lossy=False)
    assert probe.tries == 0 and probe.proven == pytest.approx(250_000)
    lossy = UpProbe()  # what was given while losing packets proves nothing
    for second in range(30):
        lossy.update(float(second), 800_000, CARRIED, None, lossy=True)
    assert lossy.proven == 0


def test_a_try_ends_when_the_estimate_reaches_the_step() -> None:
    probe = started()
    probe.update(T0 + 2, NEED, GIVEN, NEED, lossy=False)
    assert not probe.running and probe.successes == 1


def test_a_try_that_finds_the_link_full_stops_and_the_next_waits_longer_each_time() -> None:
    probe = started()
    assert not probe.dropped(BUDGET * 0.96)
    assert probe.dropped(BUDGET * 0.94)
    probe.update(T0 + 1, BUDGET * 0.9, GIVEN, NEED, lossy=False)
    assert not probe.running
    failed_at = T0 + 1
    for second in range(1, int(FIRST_BACKOFF)):
        probe.update(failed_at + second, BUDGET, GIVEN, NEED, lossy=False)
    assert probe.tries == 1  # within the backoff: none
    probe.update(failed_at + FIRST_BACKOFF + SETTLE, BUDGET, GIVEN, NEED, lossy=False)
    assert probe.tries == 2
    probe.abort(failed_at + FIRST_BACKOFF + SETTLE + 1)  # full again: twice as long now
    assert probe.not_before == pytest.approx(failed_at + 3 * FIRST_BACKOFF + SETTLE + 1)


def test_a_try_that_got_on_is_followed_soon_by_one_from_the_new_estimate() -> None:
    probe = started()
    higher = BUDGET * 1.2
    probe.update(T0 + LENGTH, higher, GIVEN, NEED, lossy=False)  # time up, but it grew
    assert not probe.running
    probe.update(T0 + LENGTH + 0.5, higher, GIVEN, NEED, lossy=False)
    probe.update(T0 + LENGTH + 0.5 + SETTLE_AFTER_PROGRESS, higher, GIVEN, NEED, False)
    assert probe.running and probe.tries == 2
    assert probe.target == pytest.approx(min(NEED, OVERSHOOT * higher))
    # One that did not grow is a failure.
    stuck = started()
    stuck.update(T0 + LENGTH, BUDGET, GIVEN, NEED, lossy=False)
    assert stuck.not_before == pytest.approx(T0 + LENGTH + FIRST_BACKOFF)


class Recorder:
    """Sends whole packets of 300 bytes, as much as it is asked for."""

    def __init__(self) -> None:
        self.octets: list[float] = []
        self.sent: list[int] = []

    def send_padding(self, octets: float) -> int:
        self.octets.append(octets)
        self.sent.append(int(octets // 300) * 300)
        return self.sent[-1]


async def test_the_prober_pads_up_to_its_target_and_stops_when_the_estimate_falls() -> None:
    downlink = Downlink()
    downlink.on_remb(500_000)
    downlink.on_remb(BUDGET)  # fell: a limit
    downlink.tick(GIVEN, 0.0)
    counters = Counters()
    prober = Prober(downlink, counters)
    sink = Recorder()
    prober.probe.proven = CARRIED
    prober.steer(0.0, GIVEN, NEED, sink)
    prober.steer(SETTLE, GIVEN, NEED, sink)
    assert prober.probe.running and counters.downlink_probes == 1
    await asyncio.sleep(INTERVAL * 3.5)
    bursts = len(sink.octets)
    assert bursts >= 3
    # What was missing of the target, a burst's share of it; what a burst could not send (a
    # part of a packet) is asked for with the next.
    due = (OVERSHOOT * BUDGET - GIVEN) * INTERVAL / 8
    assert sink.octets[:2] == pytest.approx([due, 2 * due - sink.sent[0]])
    downlink.on_remb(BUDGET * 0.8)  # the link is full
    await asyncio.sleep(INTERVAL * 3)
    assert not prober.probe.running
    assert len(sink.octets) <= bursts + 1
    prober.stop()
