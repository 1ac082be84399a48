"""What every family of the school's use cases stands on: the repository, the clock, new ids,
and the checks they all make (who asks, and within which school).

Separate so that each family (`accounts`, `classes`, `sessions`, `session_records`) can be a
mixin of its own over this one class, put together by `service.Classroom`; none of the
families needs another's methods.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from .errors import Forbidden, NotFound
from .models import School, SchoolClass, Session, User
from .policy import Action, Actor, Target, allowed
from .scoped import class_of_school, person_of_school, session_of_school
from .store import Repository


class UseCases:
    """The repository, the clock and new ids, and the lookups every use case makes."""

    def __init__(
        self,
        store: Repository,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id

    def actor(self, user: User) -> Actor:
        return Actor.of(user, self._store.classes(user.school_id))

    def school(self, by: User) -> School:
        school = self._store.school(by.school_id)
        if school is None:
            raise NotFound("this school")
        return school

    # --- helpers ---------------------------------------------------------------------

    def _require(self, by: User, action: Action, target: Target) -> None:
        if not allowed(self.actor(by), action, target):
            raise Forbidden()

    def _class(self, by: User, class_id: str) -> SchoolClass:
        return class_of_school(self._store, by, class_id)

    def _school_user(self, by: User, user_id: str) -> User:
        return person_of_school(self._store, by, user_id)

    def _session(self, by: User, session_id: str) -> Session:
        return session_of_school(self._store, by, session_id)
