"""Removing a person's data on request: who may ask, the confirmation, and the one transaction.

The school is the controller of its people's data, so its admins erase, on the person's (or a
parent's) request; nobody erases their own account, and a school keeps at least one active
admin. In the database, in one transaction (`Repository.erase_user`):

- the account (login, password hash, name) and its sign-ins, class memberships and
  parent-child links are deleted;
- their attendance stays and their removals from sessions are deleted;
- their chat lines stay in place, emptied: name and text become `ERASED_NAME` and the account
  id `ERASED_ID`, so the others' lines around them keep their order and sense;
- invite links they made, and sessions they created, pass to the admin who erases (a class's
  links and lessons are the school's); a parent invite naming them as the child is deleted;
  a consultation loses them as its guest, an event as a performer.

Their recorded media is removed after the commit by the signalling layer
(`recording.forget`): a failure there leaves no account half erased in the database.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from . import errors
from .errors import ClassroomError, Forbidden, InvalidInput, NotFound
from .models import Session, User
from .policy import Action, Actor, Target, allowed
from .roles import Role
from .store import ErasedRows, Repository
from .use_cases import one_writer

ERASED_NAME = "—"
"""What stands where an erased person's name (and chat text) was: the same in every language."""
ERASED_ID = "erased"
"""What stands where an erased person's account id was."""


@dataclass(frozen=True)
class Erased:
    person: User
    """The account as it was (its id names their recorded media, looked for afterwards)."""
    rows: ErasedRows
    sessions: list[Session]
    """The school's sessions: where the person's recordings may be."""


class Erasure:
    def __init__(self, store: Repository, writes: asyncio.Lock | None = None) -> None:
        """`writes`: shared with the `service.Classroom` of the same store
        (`use_cases.Writer`): the last admin's check and the erasure are one step."""
        self._store = store
        self._writes = writes or asyncio.Lock()

    async def check(self, by: User, user_id: str, confirm: str) -> tuple[User, list[Session]]:
        """The person `by` may erase (every refusal raised here, nothing written), and the
        school's sessions, whose recordings the caller looks through before erasing."""
        actor = Actor.of(by, await self._store.classes(by.school_id))
        if not allowed(actor, Action.ERASE_PERSON, Target(by.school_id)):
            raise Forbidden("only the school's admins erase a person's data")
        person = await self._store.user(user_id) if user_id else None
        if person is None or person.school_id != by.school_id:
            raise NotFound("this person")
        if person.id == by.id:
            raise ClassroomError(
                errors.ERASE_SELF, "you cannot erase your own account: another admin can"
            )
        if not allowed(actor, Action.ERASE_PERSON, Target(by.school_id, person_id=person.id)):
            raise Forbidden("only the school's admins erase a person's data")
        if person.role is Role.ADMIN and not any(
            u.role is Role.ADMIN and not u.disabled and u.id != person.id
            for u in await self._store.users(by.school_id)
        ):
            raise ClassroomError(
                errors.LAST_ADMIN, "the school's last active admin cannot be erased"
            )
        if _folded(confirm) != _folded(person.name):
            raise ClassroomError(
                errors.CONFIRMATION_MISMATCH,
                "type the person's name exactly to confirm the erasure",
                "confirm",
            )
        return person, await self._store.sessions(by.school_id)

    @one_writer
    async def erase(self, by: User, user_id: str, confirm: str) -> Erased:
        """Checks again (`check`), then erases the account's rows in one transaction."""
        person, sessions = await self.check(by, user_id, confirm)
        try:
            rows = await self._store.erase_user(person.id, by.id, ERASED_NAME, ERASED_ID)
        except KeyError as exc:  # erased by another request meanwhile
            raise NotFound("this person") from exc
        return Erased(person, rows, sessions)


def _folded(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput("confirm must be the person's name", "confirm")
    return " ".join(text.split()).casefold()
