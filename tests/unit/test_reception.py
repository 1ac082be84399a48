"""Producer-side reception: RFC 3550 statistics and which packets to NACK."""

from sfu.reception import NackTracker, ReceptionStats


def test_gap_is_nacked_once_when_seen_and_retried_after_the_interval() -> None:
    nacks = NackTracker(retry_after=0.05, max_tries=2)
    assert nacks.add(100, 0.0) == []
    assert nacks.add(103, 0.01) == [101, 102]
    assert nacks.add(104, 0.02) == []  # too soon to ask again
    assert nacks.add(105, 0.07) == [101, 102]
    assert nacks.add(106, 0.2) == []  # two tries spent: given up
    assert nacks.missing == []


def test_a_retransmission_fills_its_gap() -> None:
    nacks = NackTracker()
    nacks.add(10, 0.0)
    nacks.add(13, 0.0)
    nacks.add(11, 0.01)
    assert nacks.missing == [12]


def test_gaps_across_the_wrap_are_nacked_in_order() -> None:
    nacks = NackTracker()
    nacks.add(65534, 0.0)
    assert nacks.add(1, 0.0) == [65535, 0]


def test_a_huge_jump_is_a_restart_not_loss() -> None:
    nacks = NackTracker()
    nacks.add(1, 0.0)
    assert nacks.add(5000, 0.0) == []
    assert nacks.missing == []


def test_stats_count_loss_and_wraps() -> None:
    stats = ReceptionStats(90000)
    for seq in (65533, 65534, 1, 2):  # 65535 and 0 lost
        stats.add(seq, 0, 0.0)
    assert stats.expected == 6
    assert stats.lost == 2
    assert stats.extended_max_seq == (1 << 16) | 2
    assert stats.fraction_lost() == (2 << 8) // 6
    stats.add(3, 0, 0.0)
    assert stats.fraction_lost() == 0


def test_jitter_grows_with_irregular_arrival() -> None:
    stats = ReceptionStats(90000)
    stats.add(1, 0, 0.0)
    stats.add(2, 3000, 0.033)
    assert stats.jitter == 1  # |transit difference| 30 / 16
    stats.add(3, 6000, 0.2)  # 134 ms late
    assert stats.jitter == 753  # 1.875 + (12030 - 1.875) / 16
