"""SqliteStore off the event loop: every statement runs on the store's own thread, and many
tasks awaiting one store at once each get a whole transaction, and use cases a whole step."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from classroom import errors, sqlite_database
from classroom.errors import ClassroomError
from classroom.models import School, SignIn, User
from classroom.roles import Role
from classroom.service import Classroom
from classroom.sqlite_store import SqliteStore
from classroom.store import Conflict


async def test_every_statement_runs_on_one_thread_of_the_store_never_the_loop_s(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened_on: list[int] = []
    statements: list[tuple[int, str]] = []
    real_open = sqlite_database.open_database

    def traced_open(path: str | Path, migrations: Sequence[str]) -> sqlite3.Connection:
        opened_on.append(threading.get_ident())
        db = real_open(path, migrations)
        db.set_trace_callback(lambda sql: statements.append((threading.get_ident(), sql)))
        return db

    monkeypatch.setattr(sqlite_database, "open_database", traced_open)
    store = await SqliteStore.open(tmp_path / "school.sqlite3")
    try:
        await store.add_school(School("s1", "School 1"))
        await store.add_user(User("u1", "s1", Role.TEACHER, "Teacher", login="teacher"))
        await store.sign_ins.add(SignIn("i1", "u1", 0.0, 60.0))
        assert [s.id for s in await store.schools()] == ["s1"]
        assert await store.sign_ins.get("i1") == SignIn("i1", "u1", 0.0, 60.0)
    finally:
        await store.close()

    loop_thread = threading.get_ident()
    (store_thread,) = opened_on
    assert store_thread != loop_thread
    assert {thread for thread, _ in statements} == {store_thread}
    assert sum(sql.startswith("INSERT INTO") for _, sql in statements) == 3


async def test_fifty_tasks_adding_ten_logins_at_once_add_each_login_once() -> None:
    store = await SqliteStore.open(":memory:")
    try:
        await store.add_school(School("s1", "School 1"))

        async def add(n: int) -> bool:
            user = User(f"u{n}", "s1", Role.PUPIL, f"Pupil {n}", login=f"login{n % 10}")
            try:
                await store.add_user(user)
            except Conflict:
                return False
            return True

        added = await asyncio.gather(*(add(n) for n in range(50)))
        assert (added.count(True), added.count(False)) == (10, 40)
        assert sorted(u.login or "" for u in await store.users("s1")) == [
            f"login{n}" for n in range(10)
        ]
    finally:
        await store.close()


async def test_fifty_redeeming_a_ten_use_invite_at_once_make_exactly_ten_accounts() -> None:
    store = await SqliteStore.open(":memory:")
    try:
        classroom = Classroom(store)
        admin = await classroom.create_school("School", "Admin", "admin", "admin-password")
        teacher = await classroom.create_teacher(admin, "Teacher", "teacher", "teacher-pw")
        teacher = await classroom.verify_teacher(admin, teacher.id)
        school_class = await classroom.create_class(admin, "5A")
        await classroom.assign_teacher(admin, school_class.id, teacher.id)
        invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL, max_uses=10)

        async def redeem(n: int) -> User | str:
            try:
                return await classroom.redeem_invite(
                    invite.id, f"Pupil {n}", f"pupil{n}", "pupil-password"
                )
            except ClassroomError as refused:
                return refused.code

        outcomes = await asyncio.gather(*(redeem(n) for n in range(50)))
        made = [o for o in outcomes if isinstance(o, User)]
        assert len(made) == 10
        assert outcomes.count(errors.INVITE_USED_UP) == 40
        # Every redemption wrote the class and the invite as the one before left them.
        stored_class = await store.school_class(school_class.id)
        assert stored_class is not None
        assert sorted(stored_class.pupils) == sorted(u.id for u in made)
        stored_invite = await store.invite(invite.id)
        assert stored_invite is not None and stored_invite.uses == 10
        pupils = [u for u in await store.users(admin.school_id) if u.role is Role.PUPIL]
        assert sorted(u.id for u in pupils) == sorted(u.id for u in made)
    finally:
        await store.close()
