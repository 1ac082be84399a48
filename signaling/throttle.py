"""Limits on guessing: failed sign-ins per account and per address, and failed link lookups
(invite, event, password links) per address.

Only failures count. A whole class behind one school address signs in at 9:00 sharp; that
is thirty successes, not thirty guesses. A limit reached answers `too_many_attempts` (HTTP
429 with Retry-After) until the oldest failure in the window ages out; the account itself is
never locked for its owner beyond that, so a guesser cannot lock a teacher out for long.
Counts live in this process's memory: a restart forgets them, which costs an attacker a
restart they cannot cause.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from ipaddress import ip_address

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError

TOO_MANY_ATTEMPTS = "too_many_attempts"
WINDOW = 15 * 60.0
SIGN_INS_PER_ACCOUNT = 10
SIGN_INS_PER_ADDRESS = 50
LINKS_PER_ADDRESS = 30
MAX_KEYS = 100_000
"""Keys kept at most (an address spraying logins cannot grow memory without bound)."""

LINK_FAILURES = frozenset(
    {
        errors.NOT_FOUND,
        errors.INVITE_EXPIRED,
        errors.INVITE_REVOKED,
        errors.INVITE_USED_UP,
        "link_expired",
    }
)
"""What a wrong or dead link is answered: each is a guess that missed."""


class TooManyAttempts(ClassroomError):
    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(TOO_MANY_ATTEMPTS, f"{message}: try again in {minutes} min")


class FailureLimit:
    """At most `limit` failures per key within `window` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may try again, or None when it may now."""
        failures = self._recent(key)
        if failures is None or len(failures) < self.limit:
            return None
        return failures[0] + self.window - self._clock()

    def failed(self, key: str) -> None:
        failures = self._recent(key)
        if failures is None:
            if len(self._failures) >= MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))  # the longest known
            failures = self._failures[key] = deque()
        failures.append(self._clock())

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        oldest = self._clock() - self.window
        while failures and failures[0] <= oldest:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures


class Throttle:
    """The server's limits, and which address a request comes from."""

    def __init__(self, trust_proxy: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.trust_proxy = trust_proxy
        self.accounts = FailureLimit(SIGN_INS_PER_ACCOUNT, WINDOW, clock)
        self.sign_in_addresses = FailureLimit(SIGN_INS_PER_ADDRESS, WINDOW, clock)
        self.link_addresses = FailureLimit(LINKS_PER_ADDRESS, WINDOW, clock)

    def address(self, request: web.Request) -> str:
        """The client's address: the proxy's last X-Forwarded-For hop when it is trusted
        (TRUST_PROXY), else the peer's."""
        if self.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            try:
                return str(ip_address(forwarded))
            except ValueError:
                pass
        return request.remote or "unknown"

    def check_sign_in(self, login: str, address: str) -> None:
        wait = self.accounts.retry_after(_account(login))
        if wait is not None:
            raise TooManyAttempts("too many failed sign-ins for this account", wait)
        wait = self.sign_in_addresses.retry_after(address)
        if wait is not None:
            raise TooManyAttempts("too many failed sign-ins from this address", wait)

    def sign_in_failed(self, login: str, address: str) -> None:
        self.accounts.failed(_account(login))
        self.sign_in_addresses.failed(address)

    def signed_in(self, login: str) -> None:
        """The owner got in: the account's count starts again (the address's does not)."""
        self.accounts.forget(_account(login))

    def check_link(self, address: str) -> None:
        wait = self.link_addresses.retry_after(address)
        if wait is not None:
            raise TooManyAttempts("too many wrong links from this address", wait)

    def link_failed(self, address: str) -> None:
        self.link_addresses.failed(address)


def _account(login: str) -> str:
    return login.strip().lower()
