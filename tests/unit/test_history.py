"""NACK history: what was sent in the last seconds can be found again by sequence number."""

import pytest

from sfu.history import PacketHistory, SentPacket
from sfu.rtp import RtpView

VIEW = RtpView(bytes.fromhex("806000010000000200000009") + b"x")


def entry(seq: int, at: float) -> SentPacket:
    return SentPacket(seq, seq * 10, 0, VIEW, at)


def test_finds_a_sent_packet_by_its_outgoing_sequence_number() -> None:
    history = PacketHistory(capacity=8, max_age=1.0)
    history.put(entry(65535, 0.0))
    history.put(entry(0, 0.01))
    assert history.get(65535, 0.5) == entry(65535, 0.0)
    assert history.get(0, 0.5) == entry(0, 0.01)
    assert history.get(1, 0.5) is None


def test_an_overwritten_slot_is_not_confused_with_its_successor() -> None:
    history = PacketHistory(capacity=8)
    history.put(entry(3, 0.0))
    history.put(entry(11, 0.1))  # same slot (11 & 7 == 3)
    assert history.get(3, 0.2) is None
    assert history.get(11, 0.2) == entry(11, 0.1)


def test_packets_older_than_max_age_are_not_retransmitted() -> None:
    history = PacketHistory(capacity=8, max_age=1.0)
    history.put(entry(5, 0.0))
    assert history.get(5, 1.0) is not None
    assert history.get(5, 1.01) is None


def test_default_history_holds_more_than_a_second_of_720p_video() -> None:
    history = PacketHistory()
    # 2.5 Mbit/s of 1200-byte packets is ~260 packets/s; keyframe bursts add more.
    for seq in range(1000):
        history.put(entry(seq, seq / 400))
    # 1.5 s after it was sent (and 400 packets later) a packet is still there
    assert history.get(600, 2.999) is not None
    assert history.get(0, 2.999) is None  # older than max_age


def test_capacity_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        PacketHistory(capacity=1000)
