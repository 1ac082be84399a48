"""The pacer: its rate, its bursts, its priorities, its queue limit and what it reports."""

import pytest

from sfu.pacer import Kind, Pacer

SIZE = 1000  # bytes: 8000 bits


def ticks(seconds: float, interval: float = 0.005) -> list[float]:
    """Release times every `interval` from 0 through `seconds`, computed without drift."""
    return [i * interval for i in range(round(seconds / interval) + 1)]


def test_the_rate_is_respected_over_a_second() -> None:
    pacer: Pacer[int] = Pacer(rate=1_000_000, queue_limit=60.0)
    for i in range(300):
        pacer.enqueue(i, Kind.VIDEO, 0.0, SIZE)
    released: list[int] = []
    per_tick = []
    for now in ticks(1.0):
        out = pacer.release(now)
        per_tick.append(len(out))
        released += out
    # 10 ms of burst (10 000 bits) plus 1 s at 1 Mbit/s: 1 010 000 bits, the last packet
    # leaving while the budget is still positive: ceil(1 010 000 / 8000) = 127.
    assert len(released) == 127
    assert released == list(range(127))
    assert per_tick[0] == 2  # the burst: 10 000 bits, two packets of 8000
    assert max(per_tick[1:]) == 1  # 5000 bits a tick: never two packets of 8000
    assert len(pacer) == 300 - 127 and pacer.queued_bytes == (300 - 127) * SIZE


def test_a_new_rate_applies_from_the_next_release() -> None:
    pacer: Pacer[int] = Pacer(rate=1_000_000, queue_limit=60.0)
    for i in range(1000):
        pacer.enqueue(i, Kind.VIDEO, 0.0, SIZE)
    first = sum(len(pacer.release(now)) for now in ticks(1.0))
    pacer.set_rate(2_000_000)
    second = sum(len(pacer.release(1.0 + now)) for now in ticks(1.0)[1:])
    assert first == 127
    # 6000 bits owed, then 2 000 000 bits over 1 s: ceil(1 994 000 / 8000) = 250.
    assert second == 250
    with pytest.raises(ValueError):
        pacer.set_rate(0)


def test_audio_first_then_retransmissions_then_video() -> None:
    pacer: Pacer[str] = Pacer(rate=1_000_000)
    for i in range(3):
        pacer.enqueue(f"v{i}", Kind.VIDEO, 0.0, SIZE)
    pacer.enqueue("r0", Kind.RETRANSMISSION, 0.0, SIZE)
    pacer.enqueue("a0", Kind.AUDIO, 0.0, 100)
    pacer.enqueue("a1", Kind.AUDIO, 0.0, 100)
    # 10 000 bits: both audio packets (1600) and the retransmission (8000) leave, and one
    # video packet on the 400 bits left.
    assert pacer.release(0.0) == ["a0", "a1", "r0", "v0"]
    # The budget is in debt; audio still leaves at once, video waits.
    pacer.enqueue("a2", Kind.AUDIO, 0.001, 100)
    assert pacer.next_release_time() == 0.001
    assert pacer.release(0.001) == ["a2"]


def test_bursts_are_bounded_after_idling() -> None:
    pacer: Pacer[int] = Pacer(rate=2_000_000, burst=0.010)
    pacer.enqueue(0, Kind.VIDEO, 0.0, SIZE)
    assert pacer.release(0.0) == [0]
    assert pacer.release(10.0) == []  # ten idle seconds do not add up to a burst
    for i in range(50):
        pacer.enqueue(i, Kind.VIDEO, 10.0, SIZE)
    # 10 ms at 2 Mbit/s: 20 000 bits, so 3 packets of 8000 (the third into debt).
    assert len(pacer.release(10.0)) == 3
    assert pacer.release(10.0) == []


def test_next_release_time_waits_for_the_budget_and_a_tick() -> None:
    pacer: Pacer[int] = Pacer(rate=1_000_000, interval=0.005)
    assert pacer.next_release_time() is None
    pacer.enqueue(0, Kind.VIDEO, 2.0, SIZE)
    assert pacer.next_release_time() == 2.0  # first packet: at once
    for i in range(1, 5):
        pacer.enqueue(i, Kind.VIDEO, 2.0, SIZE)
    assert pacer.release(2.0) == [0, 1]  # 10 000 bits of burst, now 6000 in debt
    # 6001 bits at 1 Mbit/s: 6 ms (more than a 5 ms tick).
    assert pacer.next_release_time() == pytest.approx(2.006001)
    assert pacer.release(2.006001) == [2]  # 1 bit of budget: one packet, 7999 in debt
    assert pacer.next_release_time() == pytest.approx(2.014001)
    # Small packets: 400 bits in debt is 0.4 ms, but nothing before the next 5 ms tick.
    small: Pacer[int] = Pacer(rate=1_000_000, interval=0.005)
    for i in range(20):
        small.enqueue(i, Kind.VIDEO, 0.0, 100)
    assert small.release(0.0) == list(range(13))  # 10 000 bits, 800 each: 13, 400 owed
    assert small.next_release_time() == 0.005


def test_queue_delay_is_the_oldest_wait() -> None:
    pacer: Pacer[int] = Pacer(rate=100_000)
    assert pacer.queue_delay(5.0) == 0.0
    for i in range(10):
        pacer.enqueue(i, Kind.VIDEO, 1.0 + i * 0.01, SIZE)
    assert pacer.queue_delay(1.2) == pytest.approx(0.2)
    pacer.release(1.2)  # 1000 bits of burst: one packet
    assert pacer.queue_delay(1.2) == pytest.approx(0.19)
    pacer.enqueue(99, Kind.AUDIO, 1.0, 100)
    assert pacer.queue_delay(1.2) == pytest.approx(0.2)


def test_a_queue_past_the_limit_is_drained_not_dropped() -> None:
    pacer: Pacer[int] = Pacer(rate=100_000, queue_limit=0.5)
    # 100 kB: 8 s at the pacing rate.
    for i in range(100):
        pacer.enqueue(i, Kind.VIDEO, 0.0, SIZE)
    released: list[int] = []
    last_at = 0.0
    for now in ticks(2.0):
        out = pacer.release(now)
        if out:
            last_at = now
        released += out
    assert released == list(range(100))  # nothing dropped, in order
    assert last_at <= 0.5 + 0.005  # everything left within the limit (and a tick)
    assert pacer.queue_delay(2.0) == 0.0 and pacer.queued_bytes == 0


def test_a_stream_under_the_rate_takes_the_fast_path() -> None:
    pacer: Pacer[int] = Pacer(rate=1_000_000)
    # 1000 bytes every 10 ms: 800 kbit/s.
    assert all(pacer.send_now(Kind.VIDEO, i * 0.01, SIZE) for i in range(100))
    assert len(pacer) == 0


def test_the_fast_path_never_overtakes_the_queue() -> None:
    pacer: Pacer[int] = Pacer(rate=1_000_000)
    # 1000 bytes every 5 ms: 1.6 Mbit/s. Budget 10 000, then +5000 a packet, -8000 a packet:
    # 2000, -1000, -4000, -7000, then -2000 is not enough.
    sent = [pacer.send_now(Kind.VIDEO, i * 0.005, SIZE) for i in range(5)]
    assert sent == [True, True, True, True, False]
    pacer.enqueue(4, Kind.VIDEO, 0.020, SIZE)
    # Budget is back at 3000 at 25 ms, but packet 4 waits: 5 must queue behind it.
    assert not pacer.send_now(Kind.VIDEO, 0.025, SIZE)
    pacer.enqueue(5, Kind.VIDEO, 0.025, SIZE)
    assert pacer.send_now(Kind.AUDIO, 0.025, 100)  # audio does not wait for video
    assert pacer.release(0.025) == [4]
    assert pacer.release(0.040) == [5]
    assert pacer.send_now(Kind.VIDEO, 0.060, SIZE)
