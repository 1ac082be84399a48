"""The embedded `Repository`: `sqlite_database.SqliteDatabase` run on a thread of its own.

No query runs on the event loop: each store owns one worker thread (a single-worker
executor), every method is that thread's job, awaited. The connection is opened, used and
closed on that thread alone, so sqlite3's own same-thread check holds, and the jobs run one
after another in the order they were asked: each method's transaction is whole, and none
interleaves with another's. The statements themselves (and what each transaction spans) are
the database's; this module only carries calls to its thread and results back.

`SqliteStore.open(path)` is a coroutine too: opening creates or migrates the schema, which is
work for the thread as well.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ParamSpec, TypeVar

from .materials import Material
from .models import Attendance, ChatLine, Invite, School, SchoolClass, Session, SignIn, User
from .password_links import PasswordLink
from .poll_records import PollAnswer, PollRecord
from .sqlite_database import SqliteDatabase
from .sqlite_materials import SqliteMaterials
from .sqlite_schema import MIGRATIONS
from .sqlite_sign_ins import SqliteSignIns
from .store import ErasedRows

__all__ = ["MIGRATIONS", "SqliteStore"]

P = ParamSpec("P")
T = TypeVar("T")


class _Worker:
    """The store's one thread: runs a call there and hands its result (or error) back."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args, **kwargs))

    def stop(self) -> None:
        # Its last job (closing the connection) has run: the thread ends by itself, and the
        # loop need not wait for it.
        self._executor.shutdown(wait=False)


class SqliteStore:
    """The `store.Repository` kept in one SQLite database, off the event loop."""

    def __init__(self, worker: _Worker, database: SqliteDatabase) -> None:
        """Use `open`: the database is the worker's, opened on its thread."""
        self._worker = worker
        self._database = database
        self._closed = False
        self.sign_ins = _SignIns(worker, database.sign_ins)
        self.materials = _Materials(worker, database.materials)

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        """The store of `path` (or ":memory:"), its schema created or brought up to date."""
        worker = _Worker()
        try:
            # `MIGRATIONS` is looked up here, in this module, at each opening: the list
            # `sqlite_store.MIGRATIONS` is the one that counts (a test appends to it).
            database = await worker.run(SqliteDatabase, path, MIGRATIONS)
        except BaseException:
            worker.stop()
            raise
        return cls(worker, database)

    async def close(self) -> None:
        """Closes the connection after every call asked before; a second close is a no-op."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._worker.run(self._database.close)
        finally:
            self._worker.stop()

    # schools

    async def add_school(self, school: School) -> None:
        await self._worker.run(self._database.add_school, school)

    async def update_school(self, school: School) -> None:
        await self._worker.run(self._database.update_school, school)

    async def school(self, school_id: str) -> School | None:
        return await self._worker.run(self._database.school, school_id)

    async def schools(self) -> list[School]:
        return await self._worker.run(self._database.schools)

    # people

    async def add_user(self, user: User) -> None:
        await self._worker.run(self._database.add_user, user)

    async def update_user(self, user: User) -> None:
        await self._worker.run(self._database.update_user, user)

    async def user(self, user_id: str) -> User | None:
        return await self._worker.run(self._database.user, user_id)

    async def user_by_login(self, login: str) -> User | None:
        return await self._worker.run(self._database.user_by_login, login)

    async def users(self, school_id: str) -> list[User]:
        return await self._worker.run(self._database.users, school_id)

    # classes

    async def add_class(self, school_class: SchoolClass) -> None:
        await self._worker.run(self._database.add_class, school_class)

    async def update_class(self, school_class: SchoolClass) -> None:
        await self._worker.run(self._database.update_class, school_class)

    async def school_class(self, class_id: str) -> SchoolClass | None:
        return await self._worker.run(self._database.school_class, class_id)

    async def classes(self, school_id: str) -> list[SchoolClass]:
        return await self._worker.run(self._database.classes, school_id)

    # invites

    async def add_invite(self, invite: Invite) -> None:
        await self._worker.run(self._database.add_invite, invite)

    async def update_invite(self, invite: Invite) -> None:
        await self._worker.run(self._database.update_invite, invite)

    async def invite(self, invite_id: str) -> Invite | None:
        return await self._worker.run(self._database.invite, invite_id)

    async def invites(self, class_id: str) -> list[Invite]:
        return await self._worker.run(self._database.invites, class_id)

    async def redeem_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        await self._worker.run(self._database.redeem_invite, invite, user, school_class)

    async def accept_invite(self, invite: Invite, user: User, school_class: SchoolClass) -> None:
        await self._worker.run(self._database.accept_invite, invite, user, school_class)

    # sessions

    async def add_session(self, session: Session) -> None:
        await self._worker.run(self._database.add_session, session)

    async def update_session(self, session: Session) -> None:
        await self._worker.run(self._database.update_session, session)

    async def session(self, session_id: str) -> Session | None:
        return await self._worker.run(self._database.session, session_id)

    async def session_by_link(self, link: str) -> Session | None:
        return await self._worker.run(self._database.session_by_link, link)

    async def sessions(self, school_id: str) -> list[Session]:
        return await self._worker.run(self._database.sessions, school_id)

    # the schedule (issue 18)

    async def upcoming_sessions(self, school_id: str, since: float) -> list[Session]:
        return await self._worker.run(self._database.upcoming_sessions, school_id, since)

    # attendance

    async def add_attendance(self, stay: Attendance) -> int:
        return await self._worker.run(self._database.add_attendance, stay)

    async def close_attendance(self, stay_id: int, left_at: float) -> None:
        await self._worker.run(self._database.close_attendance, stay_id, left_at)

    async def attendance(self, session_id: str) -> list[Attendance]:
        return await self._worker.run(self._database.attendance, session_id)

    # polls (issue 18)

    async def add_poll(self, poll: PollRecord) -> None:
        await self._worker.run(self._database.add_poll, poll)

    async def close_poll(self, poll_id: str, closed_at: float) -> None:
        await self._worker.run(self._database.close_poll, poll_id, closed_at)

    async def put_poll_answer(self, answer: PollAnswer) -> None:
        await self._worker.run(self._database.put_poll_answer, answer)

    async def polls(self, session_id: str) -> list[PollRecord]:
        return await self._worker.run(self._database.polls, session_id)

    async def poll_answers(self, session_id: str) -> list[PollAnswer]:
        return await self._worker.run(self._database.poll_answers, session_id)

    # chat

    async def add_chat(self, line: ChatLine) -> None:
        await self._worker.run(self._database.add_chat, line)

    async def chat(self, session_id: str, limit: int) -> list[ChatLine]:
        return await self._worker.run(self._database.chat, session_id, limit)

    # removals

    async def add_removal(self, session_id: str, user_id: str) -> None:
        await self._worker.run(self._database.add_removal, session_id, user_id)

    async def is_removed(self, session_id: str, user_id: str) -> bool:
        return await self._worker.run(self._database.is_removed, session_id, user_id)

    # erasure

    async def erase_user(
        self, user_id: str, reassign_to: str, erased_name: str, erased_id: str
    ) -> ErasedRows:
        return await self._worker.run(
            self._database.erase_user, user_id, reassign_to, erased_name, erased_id
        )

    # running a school (`administration.AdminRepository`)

    async def found_school(self, school: School, admin: User, link: PasswordLink | None) -> None:
        await self._worker.run(self._database.found_school, school, admin, link)

    async def put_password_link(self, link: PasswordLink) -> None:
        await self._worker.run(self._database.put_password_link, link)

    async def password_link(self, secret_hash: str) -> PasswordLink | None:
        return await self._worker.run(self._database.password_link, secret_hash)

    async def use_password_link(self, link: PasswordLink, user: User) -> None:
        await self._worker.run(self._database.use_password_link, link, user)

    async def import_people(
        self, people: list[User], school_class: SchoolClass, links: list[PasswordLink]
    ) -> None:
        await self._worker.run(self._database.import_people, people, school_class, links)


class _SignIns:
    """`store.SignInRepository` on the store's thread (`SqliteStore.sign_ins`)."""

    def __init__(self, worker: _Worker, table: SqliteSignIns) -> None:
        self._worker = worker
        self._table = table

    async def add(self, sign_in: SignIn) -> None:
        await self._worker.run(self._table.add, sign_in)

    async def get(self, sign_in_id: str) -> SignIn | None:
        return await self._worker.run(self._table.get, sign_in_id)

    async def revoke(self, sign_in_id: str, at: float) -> None:
        await self._worker.run(self._table.revoke, sign_in_id, at)

    async def revoke_user(self, user_id: str, at: float, keep: str | None = None) -> list[str]:
        return await self._worker.run(self._table.revoke_user, user_id, at, keep)

    async def purge(self, before: float) -> int:
        return await self._worker.run(self._table.purge, before)


class _Materials:
    """`store.MaterialRepository` on the store's thread (`SqliteStore.materials`)."""

    def __init__(self, worker: _Worker, table: SqliteMaterials) -> None:
        self._worker = worker
        self._table = table

    async def add(self, material: Material) -> None:
        await self._worker.run(self._table.add, material)

    async def get(self, material_id: str) -> Material | None:
        return await self._worker.run(self._table.get, material_id)

    async def of_class(self, class_id: str) -> list[Material]:
        return await self._worker.run(self._table.of_class, class_id)

    async def delete(self, material_id: str) -> bool:
        return await self._worker.run(self._table.delete, material_id)
