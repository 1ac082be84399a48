"""Sign-ins: each API token (and each room token made from it) names the sign-in it came
from, and every use checks that sign-in is still alive. Signing out, signing out everywhere,
a new password and a deactivated account therefore end their tokens at once, not after the
tokens' 8 hours."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from . import errors
from .errors import ClassroomError
from .models import SignIn
from .store import SignInRepository

PURGE_AFTER = 24 * 3600.0
"""Seconds an expired sign-in is kept (a token that just expired still says "expired")."""


class SignIns:
    def __init__(
        self,
        store: SignInRepository,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id

    async def open(self, user_id: str, ttl: float) -> SignIn:
        now = self._clock()
        # Each sign-in clears the long-expired ones: the table stays the size of the day's.
        await self._store.purge(now - PURGE_AFTER)
        sign_in = SignIn(self._new_id(), user_id, now, now + ttl)
        await self._store.add(sign_in)
        return sign_in

    async def alive(self, sign_in_id: str, user_id: str) -> bool:
        sign_in = await self._store.get(sign_in_id)
        return sign_in is not None and sign_in.user_id == user_id and sign_in.alive(self._clock())

    async def check(self, sign_in_id: str, user_id: str) -> None:
        """Refuses (signed_out) a sign-in that was ended, expired, or is not this account's."""
        if not await self.alive(sign_in_id, user_id):
            raise ClassroomError(errors.SIGNED_OUT, "this sign-in has ended: sign in again")

    async def sign_out(self, sign_in_id: str) -> None:
        await self._store.revoke(sign_in_id, self._clock())

    async def sign_out_everywhere(self, user_id: str, keep: str | None = None) -> list[str]:
        """Ends every sign-in of the account (but `keep`: the device that asked, after a
        password change); returns the ended ids, to close their live connections."""
        return await self._store.revoke_user(user_id, self._clock(), keep)
