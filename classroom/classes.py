"""A school's classes (their teachers, pupils and the pupils' parents) and the invite links
that bring pupils and parents in: made, listed, revoked, opened, redeemed (a new account)
or accepted (an existing one).

Separate from accounts and sessions: one family of `service.Classroom`'s use cases (a mixin
over `use_cases.UseCases`).
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from . import errors
from .errors import ClassroomError, Forbidden, InvalidInput, NotFound
from .models import Invite, School, SchoolClass, User
from .policy import Action, Target, allowed
from .roles import Role
from .store import Conflict
from .use_cases import UseCases, one_writer
from .validation import checked_login, checked_name, clash_field, hash_new_password

INVITE_TTL_DEFAULT = 7 * 24 * 3600
INVITE_USES_DEFAULT = 40
INVITE_TTL_MAX = 90 * 24 * 3600
INVITE_USES_MAX = 1000


class Classes(UseCases):
    """Classes and invite links, for `service.Classroom`."""

    # --- classes ---------------------------------------------------------------------

    async def create_class(self, by: User, name: str) -> SchoolClass:
        await self._require(by, Action.MANAGE_CLASSES, Target(by.school_id))
        school_class = SchoolClass(self._new_id(), by.school_id, checked_name(name, "class name"))
        await self._store.add_class(school_class)
        return school_class

    @one_writer
    async def assign_teacher(self, by: User, class_id: str, teacher_id: str) -> SchoolClass:
        school_class = await self._class(by, class_id)
        await self._require(by, Action.MANAGE_CLASSES, Target(by.school_id, class_id))
        teacher = await self._school_user(by, teacher_id)
        if teacher.role is not Role.TEACHER:
            raise InvalidInput("only a teacher can teach a class")
        if teacher.id not in school_class.teachers:
            school_class = replace(school_class, teachers=[*school_class.teachers, teacher.id])
            await self._store.update_class(school_class)
        return school_class

    async def classes(self, by: User) -> list[SchoolClass]:
        """The classes `by` may see: all of the school for an admin, their own otherwise."""
        actor = await self.actor(by)
        return [
            c
            for c in await self._store.classes(by.school_id)
            if allowed(actor, Action.VIEW_CLASS, Target(by.school_id, c.id))
        ]

    async def members(self, by: User, school_class: SchoolClass) -> list[User]:
        """The class's teachers and pupils (after `school_class` allowed `by` to see it), and
        for its teachers and the school's admins also the pupils' parents (a consultation
        or a parent meeting is theirs to arrange); deactivated people are no one's to meet."""
        wanted = set(school_class.teachers) | set(school_class.pupils)
        hosts = allowed(
            await self.actor(by), Action.VIEW_ATTENDANCE, Target(by.school_id, school_class.id)
        )
        pupils = set(school_class.pupils)
        return [
            u
            for u in await self._store.users(by.school_id)
            if not u.disabled
            and (u.id in wanted or (hosts and u.role is Role.PARENT and pupils & set(u.children)))
        ]

    async def pupils_for_invite(self, invite: Invite) -> list[dict[str, str]]:
        """A parent invite's choice of child: ids and first names, nothing more."""
        school_class = await self._store.school_class(invite.class_id)
        if school_class is None:
            return []
        names = {u.id: u.name for u in await self._store.users(invite.school_id) if not u.disabled}
        return [
            {"id": uid, "name": names[uid].split()[0]}
            for uid in school_class.pupils
            if uid in names
        ]

    async def school_class(self, by: User, class_id: str) -> SchoolClass:
        school_class = await self._class(by, class_id)
        await self._require(by, Action.VIEW_CLASS, Target(by.school_id, class_id))
        return school_class

    # --- invite links ----------------------------------------------------------------

    async def create_invite(
        self,
        by: User,
        class_id: str,
        role: Role,
        ttl: int = INVITE_TTL_DEFAULT,
        max_uses: int = INVITE_USES_DEFAULT,
        child_id: str | None = None,
    ) -> Invite:
        school_class = await self._class(by, class_id)
        await self._require(by, Action.CREATE_INVITE, Target(by.school_id, class_id))
        if role not in (Role.PUPIL, Role.PARENT):
            raise InvalidInput("an invite is for a pupil or a parent", "role")
        if not 60 <= ttl <= INVITE_TTL_MAX:
            raise InvalidInput(f"ttl must be between 60 and {INVITE_TTL_MAX} seconds", "ttl")
        if not 1 <= max_uses <= INVITE_USES_MAX:
            raise InvalidInput(f"max_uses must be between 1 and {INVITE_USES_MAX}", "max_uses")
        if child_id is not None and (
            role is not Role.PARENT or child_id not in school_class.pupils
        ):
            raise InvalidInput(
                "child_id must be a pupil of the class, on a parent invite", "child_id"
            )
        now = self._clock()
        invite = Invite(
            # The link's only secret: 128 random bits, looked up, never decoded.
            id=secrets.token_urlsafe(16),
            school_id=by.school_id,
            class_id=class_id,
            role=role,
            created_by=by.id,
            created_at=now,
            expires_at=now + ttl,
            max_uses=max_uses,
            child_id=child_id,
        )
        await self._store.add_invite(invite)
        return invite

    async def invites(self, by: User, class_id: str) -> list[Invite]:
        await self._class(by, class_id)
        await self._require(by, Action.CREATE_INVITE, Target(by.school_id, class_id))
        return await self._store.invites(class_id)

    @one_writer
    async def revoke_invite(self, by: User, invite_id: str) -> Invite:
        invite = await self._store.invite(invite_id)
        if invite is None or invite.school_id != by.school_id:
            raise NotFound("this invite")
        await self._require(by, Action.REVOKE_INVITE, Target(by.school_id, invite.class_id))
        invite = replace(invite, revoked=True)
        await self._store.update_invite(invite)
        return invite

    async def open_invite(self, invite_id: str) -> tuple[Invite, School, SchoolClass]:
        """What the join page shows before anyone signs up; refuses a dead link."""
        invite = await self._store.invite(invite_id) if invite_id else None
        if invite is None:
            raise NotFound("this invite link")
        if invite.revoked:
            raise ClassroomError(errors.INVITE_REVOKED, "this invite link was revoked")
        if self._clock() >= invite.expires_at:
            raise ClassroomError(errors.INVITE_EXPIRED, "this invite link has expired")
        if invite.uses >= invite.max_uses:
            raise ClassroomError(errors.INVITE_USED_UP, "this invite link has been used up")
        school = await self._store.school(invite.school_id)
        school_class = await self._store.school_class(invite.class_id)
        if school is None or school_class is None:
            raise NotFound("this invite link")
        return invite, school, school_class

    async def redeem_invite(
        self,
        invite_id: str,
        name: str,
        login: str,
        password: str,
        child_id: str | None = None,
    ) -> User:
        """Create the invited person's own account; a pupil joins the class, a parent is
        linked to their child."""
        user_id = self._new_id()
        # Everything is checked before the slow hash, and read again after it: the invite
        # may have been used up or revoked meanwhile.
        await self._redemption(invite_id, user_id, name, login, "", child_id)
        password_hash = await hash_new_password(password)
        async with self._writes:
            invite, user, school_class = await self._redemption(
                invite_id, user_id, name, login, password_hash, child_id
            )
            try:
                await self._store.redeem_invite(invite, user, school_class)
            except Conflict as exc:
                raise ClassroomError(errors.CONFLICT, str(exc), clash_field(exc)) from exc
        return user

    async def _redemption(
        self,
        invite_id: str,
        user_id: str,
        name: str,
        login: str,
        password_hash: str,
        child_id: str | None,
    ) -> tuple[Invite, User, SchoolClass]:
        """The invite with one more use, the new account, and the class as they would be."""
        invite, _, school_class = await self.open_invite(invite_id)
        user = User(
            user_id,
            invite.school_id,
            invite.role,
            checked_name(name, "name"),
            login=checked_login(login),
            password_hash=password_hash,
        )
        if invite.role is Role.PUPIL:
            school_class = replace(school_class, pupils=[*school_class.pupils, user.id])
        else:
            child = invite.child_id or child_id
            if child is None or child not in school_class.pupils:
                raise InvalidInput("choose your child among the class's pupils", "child_id")
            user.children = [child]
        return replace(invite, uses=invite.uses + 1), user, school_class

    @one_writer
    async def accept_invite(self, by: User, invite_id: str, child_id: str | None = None) -> User:
        """A signed-in pupil joins another class, or a parent links another child."""
        invite, _, school_class = await self.open_invite(invite_id)
        if invite.school_id != by.school_id:
            raise Forbidden("this invite link is for another school's people")
        if by.role is not invite.role:
            raise InvalidInput(f"this invite link is for a {invite.role.value}", "role")
        if invite.role is Role.PUPIL:
            if by.id in school_class.pupils:
                return by  # already in the class: nothing to use up
            school_class = replace(school_class, pupils=[*school_class.pupils, by.id])
        else:
            child = invite.child_id or child_id
            if child is None or child not in school_class.pupils:
                raise InvalidInput("choose your child among the class's pupils", "child_id")
            if child in by.children:
                return by
            by = replace(by, children=[*by.children, child])
        await self._store.accept_invite(replace(invite, uses=invite.uses + 1), by, school_class)
        return by
