"""Running a school: founding one (the operator), password links, deactivating people, taking
a pupil out of a class, and importing a class list.

Like `service.Classroom`, each use case checks who asks (`policy.allowed`), validates its
input, and writes through the repository in one call: a refused or invalid request leaves
nothing half-written. Another school's records answer "not found".
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from . import class_list, errors, password_links
from .class_list import Listed, Problem
from .errors import ClassroomError, Forbidden, NotFound
from .models import School, SchoolClass, User
from .password_links import IssuedLink, PasswordLink
from .policy import Action, Actor, Target, allowed
from .roles import Role
from .scoped import class_of_school, person_of_school
from .store import Conflict, Repository
from .use_cases import one_writer
from .validation import LOGIN, checked_login, checked_name, checked_password, hash_new_password


class AdminRepository(Repository, Protocol):
    """What running a school adds to the repository; each method is one transaction."""

    async def found_school(self, school: School, admin: User, link: PasswordLink | None) -> None:
        """Raises Conflict (nothing written) when the admin's login is taken."""

    async def put_password_link(self, link: PasswordLink) -> None:
        """Voids the person's older link."""

    async def password_link(self, secret_hash: str) -> PasswordLink | None: ...

    async def use_password_link(self, link: PasswordLink, user: User) -> None:
        """Deletes the link and saves `user`; KeyError (nothing written) if it is gone."""

    async def import_people(
        self, people: list[User], school_class: SchoolClass, links: list[PasswordLink]
    ) -> None:
        """Raises Conflict (nothing written) when a login is taken."""


@dataclass(frozen=True)
class SchoolSummary:
    """A school as the district operator sees it: how big, not who."""

    school: School
    people: dict[str, int]
    """Active accounts by role."""
    deactivated: int
    classes: int


@dataclass(frozen=True)
class ImportRow:
    """One person of a class list, as they would be (or were) imported."""

    row: int
    name: str
    login: str | None
    login_made: bool
    """The login was made from the name (the list gave none)."""
    role: Role
    parent_of: str | None
    problems: list[Problem]


@dataclass(frozen=True)
class ImportReport:
    rows: list[ImportRow]
    problems: list[Problem]
    """Problems of the list as a whole (its header, no rows); each row's are with the row."""
    accounts: list[tuple[User, IssuedLink]] = field(default_factory=list)
    """After the import: each new account and its password link."""

    @property
    def valid(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)


class ImportRefused(ClassroomError):
    """A class list with problems: nothing was imported; `report` says what to fix."""

    def __init__(self, report: ImportReport) -> None:
        count = sum(1 for r in report.rows if r.problems) + len(report.problems)
        super().__init__(
            errors.IMPORT_INVALID,
            f"{count} problem(s) in the list; nothing was imported",
            "csv",
        )
        self.report = report


class Administration:
    def __init__(
        self,
        store: AdminRepository,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_hex(8),
        writes: asyncio.Lock | None = None,
    ) -> None:
        """`writes`: shared with the `service.Classroom` of the same store
        (`use_cases.Writer`)."""
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._writes = writes or asyncio.Lock()

    # --- the operator -------------------------------------------------------------------

    async def found_school(
        self, name: str, admin_name: str, login: str, password: str | None = None
    ) -> tuple[School, User, IssuedLink | None]:
        """A new closed space and its first admin: with `password`, or (None) with a one-time
        link for the admin to choose one."""
        school = School(self._new_id(), checked_name(name, "school name"))
        admin = User(
            self._new_id(),
            school.id,
            Role.ADMIN,
            checked_name(admin_name, "name", field="admin_name"),
            login=_field(checked_login, login, "admin_login"),
            verified=True,
        )
        issued = None
        if password is None:
            issued = password_links.issue(admin.id, None, self._clock(), password_links.WELCOME_TTL)
        else:
            admin.password_hash = await _field_async(password, "admin_password")
        try:
            await self._store.found_school(school, admin, issued.link if issued else None)
        except Conflict as exc:
            raise ClassroomError(errors.CONFLICT, str(exc), "admin_login") from exc
        return school, admin, issued

    async def schools(self) -> list[SchoolSummary]:
        summaries = []
        for school in await self._store.schools():
            people = await self._store.users(school.id)
            counts = {role.value: 0 for role in (Role.ADMIN, Role.TEACHER, Role.PUPIL, Role.PARENT)}
            for user in people:
                if not user.disabled:
                    counts[user.role.value] = counts.get(user.role.value, 0) + 1
            summaries.append(
                SchoolSummary(
                    school,
                    counts,
                    deactivated=sum(1 for u in people if u.disabled),
                    classes=len(await self._store.classes(school.id)),
                )
            )
        return summaries

    # --- password links -----------------------------------------------------------------

    async def password_link(self, by: User, user_id: str) -> IssuedLink:
        """A one-time link that sets `user_id`'s password (valid a day); the person's older
        link stops working."""
        person = await self._person(by, user_id)
        await self._require(
            by, Action.RESET_PASSWORD, Target.of_person(person, await self._classes(by))
        )
        if person.disabled:
            raise ClassroomError(
                errors.ACCOUNT_DISABLED, "this account is deactivated: reactivate it first"
            )
        issued = password_links.issue(person.id, by.id, self._clock(), password_links.RESET_TTL)
        await self._store.put_password_link(issued.link)
        return issued

    async def operator_password_link(self, login: str) -> tuple[User, IssuedLink]:
        """The operator's way back in for a school whose only admin forgot their password."""
        user = await self._store.user_by_login(login.strip().lower()) if login else None
        if user is None:
            raise ClassroomError(errors.NOT_FOUND, f"no account with login {login!r}", "login")
        issued = password_links.issue(user.id, None, self._clock(), password_links.RESET_TTL)
        await self._store.put_password_link(issued.link)
        return user, issued

    async def open_password_link(self, secret: str) -> tuple[User, School, PasswordLink]:
        """Whose password a link sets (the page greets them); refuses a dead link."""
        link = (
            await self._store.password_link(password_links.hash_secret(secret)) if secret else None
        )
        if link is None:
            # Used, replaced by a newer one, or never made: the same answer for each.
            raise ClassroomError(errors.NOT_FOUND, "this link does not work (any more)")
        if self._clock() >= link.expires_at:
            raise ClassroomError(errors.LINK_EXPIRED, "this link has expired")
        user = await self._store.user(link.user_id)
        school = await self._store.school(user.school_id) if user else None
        if user is None or school is None:
            raise ClassroomError(errors.NOT_FOUND, "this link does not work (any more)")
        if user.disabled:
            raise ClassroomError(errors.ACCOUNT_DISABLED, "this account is deactivated")
        return user, school, link

    async def set_password(self, secret: str, password: str) -> User:
        """Use a link: the new password is set and the link is gone."""
        await self.open_password_link(secret)
        password_hash = await _field_async(password, "password")
        async with self._writes:
            # Read again after the slow hash: the link may have been used or replaced meanwhile.
            user, _, link = await self.open_password_link(secret)
            user = replace(user, password_hash=password_hash)
            try:
                await self._store.use_password_link(link, user)
            except KeyError as exc:
                raise ClassroomError(
                    errors.NOT_FOUND, "this link does not work (any more)"
                ) from exc
        return user

    # --- deactivation -------------------------------------------------------------------

    @one_writer
    async def set_active(self, by: User, user_id: str, active: bool) -> User:
        """Deactivate (they can no longer sign in, and their tokens stop working) or
        reactivate a person of the school."""
        person = await self._person(by, user_id)
        actor = await self._actor(by)
        if person.id == by.id and actor.is_admin:
            raise ClassroomError(
                errors.CANNOT_DEACTIVATE_SELF, "you cannot deactivate or reactivate yourself"
            )
        if not allowed(actor, Action.DEACTIVATE_PERSON, Target.of_person(person, [])):
            raise Forbidden("only the school's admins deactivate accounts")
        if person.disabled is not active:
            return person
        if not active and person.role is Role.ADMIN:
            others = [
                u
                for u in await self._store.users(by.school_id)
                if u.role is Role.ADMIN and not u.disabled and u.id != person.id
            ]
            if not others:
                raise ClassroomError(errors.LAST_ADMIN, "the school's last active admin stays")
        person = replace(person, disabled=not active)
        await self._store.update_user(person)
        return person

    # --- classes ------------------------------------------------------------------------

    @one_writer
    async def remove_pupil(self, by: User, class_id: str, user_id: str) -> SchoolClass:
        """The pupil leaves the class (not the school); their parents stay their parents."""
        school_class = await self._class(by, class_id)
        await self._require(by, Action.REMOVE_FROM_CLASS, Target(by.school_id, class_id))
        if user_id not in school_class.pupils:
            raise NotFound("this pupil of the class")
        school_class = replace(
            school_class, pupils=[p for p in school_class.pupils if p != user_id]
        )
        await self._store.update_class(school_class)
        return school_class

    # --- class lists --------------------------------------------------------------------

    @one_writer
    async def import_class_list(
        self, by: User, class_id: str, text: str, commit: bool
    ) -> ImportReport:
        """What importing `text` into the class would do (each row's problems), or, with
        `commit`, the import itself: every row or, when any has a problem, none
        (ImportRefused). Each new account gets a password link, valid a week."""
        school_class = await self._class(by, class_id)
        await self._require(by, Action.IMPORT_CLASS_LIST, Target(by.school_id, class_id))
        listed = class_list.read(text, LOGIN.pattern)
        report = await self._resolve(school_class, listed)
        if not commit:
            return report
        if not report.valid:
            raise ImportRefused(report)
        return await self._commit(by, school_class, report)

    async def _resolve(
        self, school_class: SchoolClass, listed: class_list.ClassList
    ) -> ImportReport:
        """Each listed person checked against the school: logins taken or made, children
        found, pupils already in the class."""
        problems: dict[int, list[Problem]] = {}
        for problem in listed.problems:
            problems.setdefault(problem.row, []).append(problem)
        people = {u.id: u for u in await self._store.users(school_class.school_id)}
        in_class = [people[p] for p in school_class.pupils if p in people]
        rows_by_number = {p.row for p in listed.people}

        def add(person: Listed, field_name: str, code: str, message: str) -> None:
            problems.setdefault(person.row, []).append(
                Problem(person.row, field_name, code, message)
            )

        def bad(person: Listed, field_name: str) -> bool:
            return any(p.field == field_name for p in problems.get(person.row, []))

        # Logins the list gives are theirs; made ones come after and avoid them all.
        logins: dict[int, str] = {}
        taken = {p.login for p in listed.people if p.login is not None}
        for person in listed.people:
            if person.login is None or bad(person, "login"):
                continue
            if await self._store.user_by_login(person.login) is not None:
                add(person, "login", "login_taken", f"login {person.login!r} is taken")
            logins[person.row] = person.login
        for person in listed.people:
            if person.login is not None or bad(person, "name"):
                continue
            made = await self._made_login(person.name, taken)
            if made is None:
                add(person, "login", "no_login", "no login can be made from this name: give one")
            else:
                taken.add(made)
                logins[person.row] = made

        for person in listed.people:
            if person.role is Role.PUPIL and not bad(person, "name"):
                if any(_same_name(person.name, u.name) for u in in_class if not u.disabled):
                    add(person, "name", "already_in_class", "a pupil of this name is in the class")
            if person.role is Role.PARENT and person.parent_of and not bad(person, "parent_of"):
                found = self._child(person.parent_of, listed.people, logins, in_class)
                if len(found) > 1:
                    add(person, "parent_of", "ambiguous_child", "several pupils match: use a login")
                elif not found:
                    add(
                        person,
                        "parent_of",
                        "unknown_child",
                        f"no pupil {person.parent_of!r} in the list or the class",
                    )

        rows = [
            ImportRow(
                p.row,
                p.name,
                logins.get(p.row, p.login),
                p.login is None and p.row in logins,
                p.role,
                p.parent_of,
                problems.get(p.row, []),
            )
            for p in listed.people
        ]
        loose = [
            p for number, found in problems.items() if number not in rows_by_number for p in found
        ]
        return ImportReport(rows, loose)

    async def _commit(
        self, by: User, school_class: SchoolClass, report: ImportReport
    ) -> ImportReport:
        now = self._clock()
        people = {u.id: u for u in await self._store.users(school_class.school_id)}
        in_class = [people[p] for p in school_class.pupils if p in people]
        listed = [Listed(r.row, r.name, r.login, r.role, r.parent_of) for r in report.rows]
        logins = {r.row: r.login for r in report.rows if r.login is not None}
        # Pupils first: a parent's row may name a pupil further down the list.
        pupils: dict[int, User] = {}
        for row in report.rows:
            if row.role is Role.PUPIL:
                pupils[row.row] = User(
                    self._new_id(), by.school_id, Role.PUPIL, row.name, login=row.login
                )
        parents: list[User] = []
        for row in report.rows:
            if row.role is Role.PARENT and row.parent_of is not None:
                (child,) = self._child(row.parent_of, listed, logins, in_class)
                child_id = pupils[child].id if isinstance(child, int) else child.id
                parents.append(
                    User(
                        self._new_id(),
                        by.school_id,
                        Role.PARENT,
                        row.name,
                        login=row.login,
                        children=[child_id],
                    )
                )
        created = [*pupils.values(), *parents]
        issued = {
            u.id: password_links.issue(u.id, by.id, now, password_links.WELCOME_TTL)
            for u in created
        }
        school_class = replace(
            school_class, pupils=[*school_class.pupils, *(u.id for u in pupils.values())]
        )
        try:
            await self._store.import_people(
                created, school_class, [i.link for i in issued.values()]
            )
        except Conflict as exc:  # a login taken between the check and now
            raise ClassroomError(errors.CONFLICT, str(exc), "csv") from exc
        # In the list's order: the teacher hands the links out going down the list.
        row_of = {u.login: r.row for r in report.rows for u in created if u.login == r.login}
        accounts = sorted(((u, issued[u.id]) for u in created), key=lambda a: row_of[a[0].login])
        return replace(report, accounts=accounts)

    def _child(
        self,
        wanted: str,
        listed: list[Listed],
        logins: dict[int, str],
        in_class: list[User],
    ) -> list[int | User]:
        """The pupils `wanted` names: a row of the list (its number) or a pupil of the class,
        by login first, then by name."""
        key = wanted.strip().lower()
        by_login: list[int | User] = [
            p.row for p in listed if p.role is Role.PUPIL and logins.get(p.row) == key
        ]
        by_login += [u for u in in_class if not u.disabled and u.login == key]
        if by_login:
            return by_login
        by_name: list[int | User] = [
            p.row for p in listed if p.role is Role.PUPIL and _same_name(p.name, wanted)
        ]
        return by_name + [u for u in in_class if not u.disabled and _same_name(u.name, wanted)]

    async def _made_login(self, name: str, taken: set[str]) -> str | None:
        base = class_list.login_from_name(name)
        if not LOGIN.match(base):
            return None
        for n in range(1, 100):
            candidate = base if n == 1 else f"{base[: class_list.MAX_LOGIN - 2]}{n}"
            if candidate not in taken and await self._store.user_by_login(candidate) is None:
                return candidate
        return None

    # --- helpers ------------------------------------------------------------------------

    async def _classes(self, by: User) -> list[SchoolClass]:
        return await self._store.classes(by.school_id)

    async def _actor(self, by: User) -> Actor:
        return Actor.of(by, await self._classes(by))

    async def _require(self, by: User, action: Action, target: Target) -> None:
        if not allowed(await self._actor(by), action, target):
            raise Forbidden()

    async def _person(self, by: User, user_id: str) -> User:
        return await person_of_school(self._store, by, user_id)

    async def _class(self, by: User, class_id: str) -> SchoolClass:
        return await class_of_school(self._store, by, class_id)


def _same_name(a: str, b: str) -> bool:
    def key(name: str) -> str:
        return " ".join(name.casefold().replace("ё", "е").split())

    return key(a) == key(b)


def _field(check: Callable[[str], str], value: str, field_name: str) -> str:
    """`check(value)`, its refusal naming `field_name` (the request's own name for it)."""
    try:
        return check(value)
    except ClassroomError as exc:
        raise ClassroomError(exc.code, exc.message, field_name) from exc


async def _field_async(password: str, field_name: str) -> str:
    try:
        checked_password(password)
    except ClassroomError as exc:
        raise ClassroomError(exc.code, exc.message, field_name) from exc
    return await hash_new_password(password)
