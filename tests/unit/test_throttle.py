"""Limits on guessing: failures counted in a sliding window, per key; the address a request
comes from, through a trusted proxy or not."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from signaling.throttle import (
    LINKS_PER_ADDRESS,
    SIGN_INS_PER_ACCOUNT,
    WINDOW,
    FailureLimit,
    Throttle,
    TooManyAttempts,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_failures_past_the_limit_wait_until_the_oldest_ages_out() -> None:
    clock = Clock()
    limit = FailureLimit(3, 60.0, clock)
    for _ in range(2):
        limit.failed("k")
        clock.now += 10
    assert limit.retry_after("k") is None
    limit.failed("k")  # the third, at 120
    assert limit.retry_after("k") == 40.0  # the first (at 100) leaves the window at 160
    assert limit.retry_after("other") is None
    clock.now = 160.0
    assert limit.retry_after("k") is None
    limit.forget("k")
    assert limit.retry_after("k") is None


def test_an_account_is_refused_after_its_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = Throttle(trust_proxy=False, clock=clock)
    for _ in range(SIGN_INS_PER_ACCOUNT):
        throttle.check_sign_in("Olga", "10.0.0.1")
        throttle.sign_in_failed("Olga", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check_sign_in(" olga ", "10.0.0.2")  # the same account, from elsewhere
    assert (refused.value.code, refused.value.retry_after) == ("too_many_attempts", 900)
    assert refused.value.message == (
        "too many failed sign-ins for this account: try again in 15 min"
    )
    throttle.check_sign_in("anya", "10.0.0.2")  # another account: fine
    clock.now += WINDOW
    throttle.check_sign_in("olga", "10.0.0.1")


def test_a_successful_sign_in_clears_the_account_not_the_address() -> None:
    throttle = Throttle(trust_proxy=False, clock=Clock())
    for _ in range(SIGN_INS_PER_ACCOUNT - 1):
        throttle.sign_in_failed("olga", "10.0.0.1")
    throttle.signed_in("olga")
    throttle.sign_in_failed("olga", "10.0.0.1")
    throttle.check_sign_in("olga", "10.0.0.1")
    assert throttle.sign_in_addresses.retry_after("10.0.0.1") is None
    assert len(throttle.sign_in_addresses._failures["10.0.0.1"]) == SIGN_INS_PER_ACCOUNT


def test_wrong_links_are_counted_per_address() -> None:
    throttle = Throttle(trust_proxy=False, clock=Clock())
    for _ in range(LINKS_PER_ADDRESS):
        throttle.check_link("10.0.0.1")
        throttle.link_failed("10.0.0.1")
    with pytest.raises(TooManyAttempts, match="too many wrong links from this address"):
        throttle.check_link("10.0.0.1")
    throttle.check_link("10.0.0.2")


def test_the_address_is_the_peer_unless_the_proxy_is_trusted() -> None:
    request = make_mocked_request(
        "GET", "/", headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.5"}
    )
    assert Throttle(trust_proxy=False).address(request) == (request.remote or "unknown")
    # The proxy appends the address it saw last; what came before it the client can write.
    assert Throttle(trust_proxy=True).address(request) == "203.0.113.5"
    bogus = make_mocked_request("GET", "/", headers={"X-Forwarded-For": "not-an-address"})
    assert Throttle(trust_proxy=True).address(bogus) == (bogus.remote or "unknown")
