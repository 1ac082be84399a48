"""Keyframe requests for one producer are coalesced to at most one PLI per interval."""

from collections.abc import Callable
from typing import Any

from sfu.keyframes import KeyframeRequester


class FakeClock:
    """A loop stand-in whose time we set; timers run when we advance past them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, Callable[[], None], Handle]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> "Handle":
        handle = Handle()
        self.timers.append((when, callback, handle))
        return handle

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        due = sorted((t for t in self.timers if t[0] <= end), key=lambda t: t[0])
        self.timers = [t for t in self.timers if t[0] > end]
        for when, callback, handle in due:
            if not handle.cancelled:
                self.now = when
                callback()
        self.now = end


class Handle:
    cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def requester() -> tuple[KeyframeRequester, FakeClock, list[float]]:
    clock = FakeClock()
    sent: list[float] = []
    loop: Any = clock
    return (
        KeyframeRequester(lambda: sent.append(clock.now), loop, interval=0.5, join_interval=0.25),
        clock,
        sent,
    )


def test_first_request_sends_a_pli_at_once() -> None:
    keyframes, _, sent = requester()
    keyframes.request()
    assert sent == [0.0]


def test_requests_within_the_interval_become_one_pli_at_its_end() -> None:
    keyframes, clock, sent = requester()
    keyframes.request()
    for _ in range(10):
        clock.advance(0.04)
        keyframes.request()
    clock.advance(0.2)
    assert sent == [0.0, 0.5]
    assert (keyframes.requests, keyframes.sent) == (11, 2)


def test_a_keyframe_arriving_first_cancels_the_pending_pli() -> None:
    keyframes, clock, sent = requester()
    keyframes.request()
    clock.advance(0.1)
    keyframes.request()
    keyframes.keyframe_received()
    clock.advance(1.0)
    assert sent == [0.0]


def test_after_a_quiet_interval_a_request_is_sent_at_once_again() -> None:
    keyframes, clock, sent = requester()
    keyframes.request()
    clock.advance(0.7)
    keyframes.request()
    assert sent == [0.0, 0.7]


def test_a_joiner_waits_only_the_join_interval_and_pulls_a_pending_pli_earlier() -> None:
    keyframes, clock, sent = requester()
    keyframes.request()  # t=0: sent
    clock.advance(0.1)
    keyframes.request()  # a subscriber's PLI: due at 0.5
    clock.advance(0.05)
    keyframes.request(joining=True)  # a new subscriber: due at 0.25, the PLI goes with it
    clock.advance(0.5)
    assert sent == [0.0, 0.25]


def test_a_joiner_right_after_a_pli_still_waits_for_the_join_interval() -> None:
    keyframes, clock, sent = requester()
    keyframes.request(joining=True)
    clock.advance(0.01)
    keyframes.request(joining=True)
    keyframes.request()  # a PLI due later than the joiner's changes nothing
    clock.advance(1.0)
    assert sent == [0.0, 0.25]


def test_a_pli_the_encoder_ignored_is_sent_again_while_someone_waits() -> None:
    clock = FakeClock()
    sent: list[float] = []
    waiting = [True]
    loop: Any = clock
    keyframes = KeyframeRequester(
        lambda: sent.append(clock.now), loop, retry=1.0, waiting=lambda: waiting[0]
    )
    keyframes.request(joining=True)
    clock.advance(1.5)  # no keyframe came: asked again at 1.0 ...
    clock.advance(1.0)  # ... and at 2.0
    assert sent == [0.0, 1.0, 2.0]
    assert keyframes.retries == 2
    keyframes.keyframe_received()
    clock.advance(3.0)
    assert sent == [0.0, 1.0, 2.0]  # the keyframe ended the retries
    keyframes.request(joining=True)
    waiting[0] = False
    clock.advance(1.5)
    clock.advance(1.5)
    assert sent == [0.0, 1.0, 2.0, 5.5]  # no one waits: no retry


def test_joiners_stay_above_the_browsers_300_ms_floor() -> None:
    clock = FakeClock()
    sent: list[float] = []
    loop: Any = clock
    keyframes = KeyframeRequester(lambda: sent.append(clock.now), loop)
    keyframes.request(joining=True)
    keyframes.request(joining=True)
    clock.advance(1.0)
    assert sent[1] - sent[0] > 0.3


def held_requester(starting: list[bool]) -> tuple[KeyframeRequester, FakeClock, list[float]]:
    clock = FakeClock()
    sent: list[float] = []
    loop: Any = clock
    keyframes = KeyframeRequester(
        lambda: sent.append(clock.now),
        loop,
        join_interval=0.35,
        starting=lambda: starting[0],
        hold=0.15,
    )
    return keyframes, clock, sent


def test_a_joiner_waits_for_the_other_subscriptions_about_to_start() -> None:
    starting = [True]  # two more subscribers' answers are on the way
    keyframes, clock, sent = held_requester(starting)
    keyframes.request(joining=True)
    clock.advance(0.05)
    keyframes.request(joining=True)  # the second answer: one still on the way
    assert sent == []
    clock.advance(0.03)
    starting[0] = False
    keyframes.request(joining=True)  # the last answer: one PLI for all three, at once
    assert sent == [0.08]
    clock.advance(1.0)
    assert sent == [0.08]


def test_a_subscription_that_never_starts_holds_the_pli_back_no_longer_than_the_hold() -> None:
    starting = [True]
    keyframes, clock, sent = held_requester(starting)
    keyframes.request(joining=True)
    clock.advance(0.1)
    keyframes.request(joining=True)  # the hold runs from the first held request
    clock.advance(0.1)
    assert sent == [0.15]
    keyframes.request(joining=True)  # a new hold starts after the PLI, behind the 350 ms floor
    clock.advance(1.0)
    assert sent == [0.15, 0.5]


def test_a_subscribers_own_pli_is_never_held() -> None:
    keyframes, _, sent = held_requester([True])
    keyframes.request()
    assert sent == [0.0]
