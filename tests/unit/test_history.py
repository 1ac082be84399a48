"""NACK history: what was sent in the last seconds can be found again by sequence number."""

import gc

import pytest

from sfu.history import PacketHistory, SentPacket
from sfu.rtp import RtpView

VIEW = RtpView(bytes.fromhex("806000010000000200000009") + b"x")


def entry(seq: int, at: float) -> SentPacket:
    return SentPacket(seq, seq * 10, 0, VIEW, at)


def put(history: PacketHistory, seq: int, at: float) -> None:
    history.put(seq, seq * 10, 0, VIEW, at)


def test_finds_a_sent_packet_by_its_outgoing_sequence_number() -> None:
    history = PacketHistory(capacity=8, max_age=1.0)
    put(history, 65535, 0.0)
    put(history, 0, 0.01)
    assert history.get(65535, 0.5) == entry(65535, 0.0)
    assert history.get(0, 0.5) == entry(0, 0.01)
    assert history.get(1, 0.5) is None


def test_an_overwritten_slot_is_not_confused_with_its_successor() -> None:
    history = PacketHistory(capacity=8)
    put(history, 3, 0.0)
    put(history, 11, 0.1)  # same slot (11 & 7 == 3)
    assert history.get(3, 0.2) is None
    assert history.get(11, 0.2) == entry(11, 0.1)


def test_packets_older_than_max_age_are_not_retransmitted() -> None:
    history = PacketHistory(capacity=8, max_age=1.0)
    put(history, 5, 0.0)
    assert history.get(5, 1.0) is not None
    assert history.get(5, 1.01) is None


def test_default_history_holds_more_than_a_second_of_720p_video() -> None:
    history = PacketHistory()
    # 2.5 Mbit/s of 1200-byte packets is ~260 packets/s; keyframe bursts add more.
    for seq in range(1000):
        put(history, seq, seq / 400)
    # 1.5 s after it was sent (and 400 packets later) a packet is still there
    assert history.get(600, 2.999) is not None
    assert history.get(0, 2.999) is None  # older than max_age


def test_capacity_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        PacketHistory(capacity=1000)


def test_a_retransmission_is_remembered_until_the_slot_is_reused() -> None:
    history = PacketHistory(capacity=8)
    put(history, 4, 0.0)
    history.mark_resent(4, 0.3)
    assert history.get(4, 0.4) == SentPacket(4, 40, 0, VIEW, 0.0, resent_at=0.3)
    history.mark_resent(12, 0.5)  # not in the history: the entry for 4 is untouched
    assert history.get(4, 0.6) == SentPacket(4, 40, 0, VIEW, 0.0, resent_at=0.3)
    put(history, 12, 0.7)
    assert history.get(12, 0.8) == SentPacket(12, 120, 0, VIEW, 0.7, resent_at=-1.0)


def test_forwarding_allocates_no_object_the_garbage_collector_tracks() -> None:
    history = PacketHistory(capacity=64)
    before = len(gc.get_objects())
    for seq in range(1000):
        put(history, seq, seq / 100)
    assert len(gc.get_objects()) - before < 5
