"""Transport feedback towards a publisher: every number once, missing ones as lost, across
the 16-bit wrap."""

from __future__ import annotations

import pytest

from sfu.arrivals import MAX_SPAN, Arrivals
from sfu.transport_feedback import parse


def test_each_feedback_reports_what_arrived_since_the_last_and_the_gaps_as_lost() -> None:
    arrivals = Arrivals()
    for seq, at in ((65534, 10.0), (65535, 10.01), (1, 10.03)):  # 0 never came
        arrivals.add(seq, at)
    (first,) = arrivals.feedback(1, 2)
    read = parse(first)
    assert (read.sender_ssrc, read.media_ssrc, read.base_seq, read.count) == (1, 2, 65534, 0)
    gaps = [a is None for a in read.arrivals]
    assert gaps == [False, False, True, False]
    assert read.arrivals[3] is not None and read.arrivals[0] is not None
    assert read.arrivals[3] - read.arrivals[0] == pytest.approx(0.03, abs=0.00025)
    arrivals.add(0, 10.05)  # too late: already reported lost
    arrivals.add(2, 10.06)
    (second,) = arrivals.feedback(1, 2)
    assert (parse(second).base_seq, parse(second).count, len(parse(second).arrivals)) == (2, 1, 1)
    assert arrivals.feedback(1, 2) == []


def test_a_long_run_is_split_into_feedbacks_of_at_most_max_span() -> None:
    arrivals = Arrivals()
    for seq in range(MAX_SPAN + 10):
        arrivals.add(seq, 1.0 + seq / 1000)
    packets = [parse(p) for p in arrivals.feedback(1, 2)]
    assert [(p.base_seq, len(p.arrivals), p.count) for p in packets] == [
        (0, MAX_SPAN, 0),
        (MAX_SPAN, 10, 1),
    ]
