"""Signing in, the accounts of a school's people (its first admin, teachers, a new password),
and the school's own settings.

Separate from classes, invites and sessions: one family of `service.Classroom`'s use cases
(a mixin over `use_cases.UseCases`).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from . import errors
from .errors import ClassroomError, InvalidInput, NotFound
from .models import School, Session, User
from .passwords import burn_time, verify_password
from .policy import Action, Target
from .retention import kept_days
from .roles import Role
from .store import Conflict
from .time_zones import checked_time_zone
from .use_cases import UseCases, one_writer
from .validation import (
    checked_login,
    checked_name,
    checked_password,
    clash_field,
    hash_new_password,
)


class Accounts(UseCases):
    """Signing in, accounts and the school's settings, for `service.Classroom`."""

    # --- people ----------------------------------------------------------------------

    async def sign_in(self, login: str, password: str) -> User:
        """The account, or bad_credentials (the same answer for an unknown login)."""
        user = await self._store.user_by_login(login.strip().lower()) if login else None
        if user is None:
            await asyncio.to_thread(burn_time, password)
            raise ClassroomError(errors.BAD_CREDENTIALS, "wrong login or password")
        if not await asyncio.to_thread(verify_password, password, user.password_hash):
            raise ClassroomError(errors.BAD_CREDENTIALS, "wrong login or password")
        # Only whoever knows the password learns that the account is deactivated.
        return await self.user(user.id)  # as it is now, after the wait

    async def user(self, user_id: str) -> User:
        """The account, refused once deactivated: API grants are looked up per call through
        here, so a deactivation takes effect at the next call."""
        user = await self._store.user(user_id)
        if user is None:
            raise NotFound("this account")
        if user.disabled:
            raise ClassroomError(
                errors.ACCOUNT_DISABLED, "this account is deactivated: ask the school's admin"
            )
        return user

    async def school_of(self, session: Session) -> School:
        """The school a session belongs to (for a guest, who has no account)."""
        school = await self._store.school(session.school_id)
        if school is None:
            raise NotFound("this school")
        return school

    @one_writer
    async def update_school(
        self,
        by: User,
        name: str | None = None,
        parents_see_recordings: bool | None = None,
        recordings_kept_days: int | None = None,
        time_zone: str | None = None,
    ) -> School:
        """`recordings_kept_days`: None leaves it; 0 keeps recordings until deleted by hand.
        `time_zone`: an IANA zone (unknown_time_zone otherwise), None leaves it."""
        await self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        school = await self.school(by)
        if name is not None:
            school = replace(school, name=checked_name(name, "school name"))
        if parents_see_recordings is not None:
            school = replace(school, parents_see_recordings=parents_see_recordings)
        if recordings_kept_days is not None:
            school = replace(school, recordings_kept_days=kept_days(recordings_kept_days))
        if time_zone is not None:
            school = replace(school, time_zone=checked_time_zone(time_zone))
        await self._store.update_school(school)
        return school

    async def people(self, by: User) -> list[User]:
        await self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        return await self._store.users(by.school_id)

    async def change_password(self, by: User, old: str, new: str) -> None:
        try:
            checked_password(new)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, "new") from exc
        if not await asyncio.to_thread(verify_password, old, by.password_hash):
            raise ClassroomError(errors.BAD_CREDENTIALS, "the current password is wrong")
        password_hash = await hash_new_password(new)
        async with self._writes:  # the account as it is now, not as it was before the hash
            await self._store.update_user(
                replace(await self.user(by.id), password_hash=password_hash)
            )

    # --- school set-up (admins) ------------------------------------------------------

    async def has_schools(self) -> bool:
        return bool(await self._store.schools())

    async def create_school(self, name: str, admin_name: str, login: str, password: str) -> User:
        """A new closed space and its first admin (the operator's command, not an API call)."""
        school = School(self._new_id(), checked_name(name, "school name"))
        admin = User(
            self._new_id(),
            school.id,
            Role.ADMIN,
            checked_name(admin_name, "name"),
            login=checked_login(login),
            password_hash=await hash_new_password(password),
            verified=True,
        )
        await self._store.add_school(school)
        await self._add_user(admin)
        return admin

    async def create_teacher(self, by: User, name: str, login: str, password: str) -> User:
        await self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        name, login = checked_name(name, "name"), checked_login(login)
        password_hash = await hash_new_password(password)
        await self._require(await self.user(by.id), Action.MANAGE_CLASSES, Target(by.school_id))
        teacher = User(
            self._new_id(),
            by.school_id,
            Role.TEACHER,
            name,
            login=login,
            password_hash=password_hash,
        )
        await self._add_user(teacher)
        return teacher

    @one_writer
    async def verify_teacher(self, by: User, teacher_id: str) -> User:
        await self._require(by, Action.VERIFY_TEACHER, Target(by.school_id))
        teacher = await self._school_user(by, teacher_id)
        if teacher.role is not Role.TEACHER:
            raise InvalidInput("only teachers are verified")
        teacher = replace(teacher, verified=True)
        await self._store.update_user(teacher)
        return teacher

    # --- helpers ---------------------------------------------------------------------

    async def _add_user(self, user: User) -> None:
        try:
            await self._store.add_user(user)
        except Conflict as exc:
            raise ClassroomError(errors.CONFLICT, str(exc), clash_field(exc)) from exc
