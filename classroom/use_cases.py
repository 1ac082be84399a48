"""What every family of the school's use cases stands on: the repository, the clock, new ids,
the checks they all make (who asks, and within which school), and the lock a use case holds
from the reads its write depends on to the write (`Writer`, `one_writer`).

Separate so that each family (`accounts`, `classes`, `sessions`, `session_records`) can be a
mixin of its own over this one class, put together by `service.Classroom`; none of the
families needs another's methods.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from .errors import Forbidden, NotFound
from .models import School, SchoolClass, Session, User
from .policy import Action, Actor, Target, allowed
from .scoped import class_of_school, person_of_school, session_of_school
from .session_changes import NoChanges, SessionChanges
from .store import Repository

P = ParamSpec("P")
T = TypeVar("T")


class Writer(Protocol):
    _writes: asyncio.Lock
    """Held by a use case from the reads its write depends on to the write: each repository
    call is whole, but a record read, changed and written back must not change in between
    (two pupils redeeming one invite at once would each write the class as it was, with
    only themselves added). Everything writing to one repository shares one lock."""


W = TypeVar("W", bound=Writer)


def one_writer(
    method: Callable[Concatenate[W, P], Awaitable[T]],
) -> Callable[Concatenate[W, P], Coroutine[Any, Any, T]]:
    """The whole use case under its object's `_writes` (`Writer`); not reentrant: a use case
    under it calls none that is."""

    @functools.wraps(method)
    async def locked(self: W, *args: P.args, **kwargs: P.kwargs) -> T:
        async with self._writes:
            return await method(self, *args, **kwargs)

    return locked


class UseCases:
    """The repository, the clock and new ids, and the lookups every use case makes."""

    def __init__(
        self,
        store: Repository,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_hex(8),
        writes: asyncio.Lock | None = None,
        changes: SessionChanges | None = None,
    ) -> None:
        """`writes`: the lock of everything else writing to `store` (`Writer`); a new one
        when nothing else does. `changes`: told when a session starts, ends or is
        (re)scheduled (the pages open on /school); nobody when None."""
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._writes = writes or asyncio.Lock()
        self._changes: SessionChanges = changes or NoChanges()

    async def actor(self, user: User) -> Actor:
        return Actor.of(user, await self._store.classes(user.school_id))

    async def school(self, by: User) -> School:
        school = await self._store.school(by.school_id)
        if school is None:
            raise NotFound("this school")
        return school

    # --- helpers ---------------------------------------------------------------------

    async def _require(self, by: User, action: Action, target: Target) -> None:
        if not allowed(await self.actor(by), action, target):
            raise Forbidden()

    async def _class(self, by: User, class_id: str) -> SchoolClass:
        return await class_of_school(self._store, by, class_id)

    async def _school_user(self, by: User, user_id: str) -> User:
        return await person_of_school(self._store, by, user_id)

    async def _session(self, by: User, session_id: str) -> Session:
        return await session_of_school(self._store, by, session_id)
