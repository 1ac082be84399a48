"""A subscriber's sequence numbers and timestamps stay continuous across switches and pauses."""

import random

from sfu.rewriter import SeqRewriter


def rewriter() -> SeqRewriter:
    return SeqRewriter(90000, random.Random(1))


def test_first_packet_starts_in_lower_half_and_then_follows_the_source() -> None:
    r = rewriter()
    s0, t0 = r.rewrite(ssrc=1, seq=60000, ts=1000, now=0.0)
    assert s0 < 0x8000
    assert r.rewrite(1, 60001, 4000, 0.033) == ((s0 + 1) & 0xFFFF, (t0 + 3000) & 0xFFFFFFFF)
    # a reordered (older) packet keeps its place instead of being renumbered
    assert r.rewrite(1, 59999, 0, 0.034) == ((s0 - 1) & 0xFFFF, (t0 - 1000) & 0xFFFFFFFF)


def test_switch_to_another_producer_continues_the_sequence() -> None:
    r = rewriter()
    r.rewrite(1, 100, 5000, 0.0)
    last_seq, last_ts = r.rewrite(1, 101, 8000, 0.1)
    seq, ts = r.rewrite(ssrc=2, seq=40000, ts=77, now=0.6)
    assert seq == (last_seq + 1) & 0xFFFF
    assert ts == (last_ts + int(0.5 * 90000)) & 0xFFFFFFFF
    assert r.rewrite(2, 40001, 3077, 0.633) == ((seq + 1) & 0xFFFF, (ts + 3000) & 0xFFFFFFFF)


def test_pause_then_resume_skips_no_sequence_number_and_advances_time() -> None:
    r = rewriter()
    r.rewrite(1, 10, 0, 0.0)
    last_seq, last_ts = r.rewrite(1, 11, 3000, 0.033)
    r.rebase()  # paused: packets 12..111 were not forwarded
    seq, ts = r.rewrite(1, 112, 303000, 2.033)
    assert seq == (last_seq + 1) & 0xFFFF
    assert ts == (last_ts + 2 * 90000) & 0xFFFFFFFF


def test_sequence_wraps_at_65535() -> None:
    r = rewriter()
    r.last_seq = 0xFFFE
    assert r.rewrite(1, 5, 0, 0.0)[0] == 0xFFFF
    assert r.rewrite(1, 6, 0, 0.0)[0] == 0
