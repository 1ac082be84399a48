"""Running a school on a real SQLite store and a set clock: founding a school, password links
that work once and expire, deactivation and its guards, a pupil leaving a class, a class list
checked against the school and imported whole, and the operator's command."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from classroom import manage
from classroom.administration import Administration, ImportRefused
from classroom.errors import ClassroomError
from classroom.models import User
from classroom.roles import Role
from classroom.service import Classroom
from classroom.sqlite_store import SqliteStore

DAY = 24 * 3600


@dataclass
class World:
    store: SqliteStore
    classroom: Classroom
    admin: Administration
    clock: list[float]
    head: User
    teacher: User
    class_id: str


@pytest.fixture
async def world() -> AsyncIterator[World]:
    store = await SqliteStore.open(":memory:")
    clock = [1_000_000.0]
    classroom = Classroom(store, clock=lambda: clock[0])
    admin = Administration(store, clock=lambda: clock[0])
    head = await classroom.create_school("Школа №5", "Анна", "anna", "admin-pw-1")
    teacher = await classroom.create_teacher(head, "Ольга", "olga", "teacher-pw-1")
    await classroom.verify_teacher(head, teacher.id)
    made = await classroom.create_class(head, "5A")
    await classroom.assign_teacher(head, made.id, teacher.id)
    yield World(store, classroom, admin, clock, head, await classroom.user(teacher.id), made.id)
    await store.close()


def code(error: pytest.ExceptionInfo[ClassroomError]) -> tuple[str, str | None]:
    return error.value.code, error.value.field


async def test_a_founded_school_s_admin_sets_a_password_with_the_link_and_signs_in(
    world: World,
) -> None:
    school, user, issued = await world.admin.found_school("Лицей", "Олег", "Oleg")
    assert (school.name, user.login, user.role, user.verified) == (
        "Лицей",
        "oleg",
        Role.ADMIN,
        True,
    )
    assert issued is not None and issued.link.expires_at == world.clock[0] + 7 * DAY
    with pytest.raises(ClassroomError) as refused:
        await world.classroom.sign_in("oleg", "")  # no password yet: nothing matches
    assert code(refused) == ("bad_credentials", None)
    opened, opened_school, _ = await world.admin.open_password_link(issued.secret)
    assert (opened.id, opened_school.id) == (user.id, school.id)
    await world.admin.set_password(issued.secret, "oleg-password")
    assert (await world.classroom.sign_in("oleg", "oleg-password")).id == user.id


async def test_founding_names_the_field_at_fault(world: World) -> None:
    for args, expected in [
        (("", "Олег", "oleg"), ("invalid_input", "name")),
        (("Лицей", " ", "oleg"), ("invalid_input", "admin_name")),
        (("Лицей", "Олег", "о"), ("invalid_input", "admin_login")),
        (("Лицей", "Олег", "anna"), ("conflict", "admin_login")),
    ]:
        with pytest.raises(ClassroomError) as refused:
            await world.admin.found_school(*args)
        assert code(refused) == expected, args
    with pytest.raises(ClassroomError) as refused:
        await world.admin.found_school("Лицей", "Олег", "oleg", password="short")
    assert code(refused) == ("invalid_input", "admin_password")
    assert [s.name for s in await world.store.schools()] == ["Школа №5"]


async def test_a_reset_link_works_once_and_a_newer_one_voids_it(world: World) -> None:
    first = await world.admin.password_link(world.head, world.teacher.id)
    second = await world.admin.password_link(world.head, world.teacher.id)
    assert second.link.expires_at == world.clock[0] + DAY
    with pytest.raises(ClassroomError) as refused:
        await world.admin.open_password_link(first.secret)
    assert code(refused) == ("not_found", None)
    await world.admin.set_password(second.secret, "new-teacher-pw")
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_password(second.secret, "another-one-1")
    assert code(refused) == ("not_found", None)
    assert (await world.classroom.sign_in("olga", "new-teacher-pw")).id == world.teacher.id


async def test_a_reset_link_expires_after_a_day(world: World) -> None:
    issued = await world.admin.password_link(world.head, world.teacher.id)
    world.clock[0] += DAY
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_password(issued.secret, "new-teacher-pw")
    assert code(refused) == ("link_expired", None)


async def test_a_short_password_keeps_the_link(world: World) -> None:
    issued = await world.admin.password_link(world.head, world.teacher.id)
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_password(issued.secret, "short")
    assert code(refused) == ("invalid_input", "password")
    await world.admin.set_password(issued.secret, "long-enough-1")


async def test_a_teacher_resets_a_pupil_of_their_class_but_not_a_colleague(world: World) -> None:
    pupil = (await import_ok(world, "name\nПетя Иванов\n"))[0]
    assert (await world.admin.password_link(world.teacher, pupil.id)).link.user_id == pupil.id
    with pytest.raises(ClassroomError) as refused:
        await world.admin.password_link(world.teacher, world.head.id)
    assert code(refused) == ("forbidden", None)


async def test_a_deactivated_person_cannot_sign_in_nor_act_nor_be_met(world: World) -> None:
    pupil = (await import_ok(world, "name\nПетя Иванов\n"))[0]
    issued = await world.admin.password_link(world.head, pupil.id)
    await world.admin.set_password(issued.secret, "petya-password")
    assert (await world.admin.set_active(world.head, pupil.id, False)).disabled is True
    with pytest.raises(ClassroomError) as refused:
        await world.classroom.sign_in(pupil.login or "", "petya-password")
    assert code(refused) == ("account_disabled", None)
    with pytest.raises(ClassroomError) as refused:
        await world.classroom.sign_in(pupil.login or "", "wrong-password")
    assert code(refused) == ("bad_credentials", None)  # only the password's holder learns it
    with pytest.raises(ClassroomError) as refused:
        await world.classroom.user(pupil.id)
    assert code(refused) == ("account_disabled", None)
    school_class = await world.classroom.school_class(world.teacher, world.class_id)
    assert pupil.id in school_class.pupils  # still of the class, for when they come back
    assert [u.id for u in await world.classroom.members(world.teacher, school_class)] == [
        world.teacher.id
    ]
    with pytest.raises(ClassroomError) as refused:
        await world.admin.password_link(world.head, pupil.id)
    assert code(refused) == ("account_disabled", None)
    await world.admin.set_active(world.head, pupil.id, True)
    assert (await world.classroom.sign_in(pupil.login or "", "petya-password")).id == pupil.id


async def test_a_link_made_before_deactivation_does_not_open_the_account(world: World) -> None:
    issued = await world.admin.password_link(world.head, world.teacher.id)
    await world.admin.set_active(world.head, world.teacher.id, False)
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_password(issued.secret, "new-teacher-pw")
    assert code(refused) == ("account_disabled", None)


async def test_an_admin_keeps_themselves_and_the_school_s_last_admin(world: World) -> None:
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_active(world.head, world.head.id, False)
    assert code(refused) == ("cannot_deactivate_self", None)
    deputy = User("deputy", world.head.school_id, Role.ADMIN, "Зам", login="deputy")
    await world.store.add_user(deputy)
    await world.admin.set_active(world.head, deputy.id, False)
    # The deputy, deactivated, comes back through a stale object: still the last-admin guard.
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_active(deputy, world.head.id, False)
    assert code(refused) == ("last_admin", None)
    with pytest.raises(ClassroomError) as refused:
        await world.admin.set_active(world.teacher, world.head.id, False)
    assert code(refused) == ("forbidden", None)


async def test_a_pupil_leaves_the_class_and_keeps_their_parent(world: World) -> None:
    made = await import_ok(world, "name;role;parent-of\nПетя;;\nМама;parent;Петя\n")
    pupil, parent = made
    left = await world.admin.remove_pupil(world.teacher, world.class_id, pupil.id)
    assert left.pupils == []
    assert (await world.classroom.user(parent.id)).children == [pupil.id]
    assert (await world.classroom.user(pupil.id)).school_id == world.head.school_id
    with pytest.raises(ClassroomError) as refused:
        await world.admin.remove_pupil(world.teacher, world.class_id, pupil.id)
    assert code(refused) == ("not_found", None)


async def import_ok(world: World, text: str) -> list[User]:
    report = await world.admin.import_class_list(world.teacher, world.class_id, text, commit=True)
    return [user for user, _ in report.accounts]


async def test_a_preview_checks_the_list_against_the_school(world: World) -> None:
    await import_ok(world, "name;login\nКотова Аня;anya\n")
    text = (
        "ФИО;логин;роль;родитель для\n"
        "Иванов Пётр;;;\n"  # 2: login made
        "Иванов Пётр;;;\n"  # 3: a namesake gets a number
        "Смирнов Ваня;olga;;\n"  # 4: a teacher's login
        "Котова Аня;;;\n"  # 5: already in the class
        "Мама Котовой;;родитель;anya\n"  # 6: a child of the class, by login
        "Папа;;родитель;Иванов Пётр\n"  # 7: two pupils of this name
        "Бабушка;;родитель;Никто\n"  # 8: no such child
        "李雷;;;\n"  # 9: no login from this name
    )
    report = await world.admin.import_class_list(world.teacher, world.class_id, text, commit=False)
    assert [(r.row, r.login, r.login_made, [p.code for p in r.problems]) for r in report.rows] == [
        (2, "ivanov.petr", True, []),
        (3, "ivanov.petr2", True, []),
        (4, "olga", False, ["login_taken"]),
        (5, "kotova.anya", True, ["already_in_class"]),
        (6, "mama.kotovoy", True, []),
        (7, "papa", True, ["ambiguous_child"]),
        (8, "babushka", True, ["unknown_child"]),
        (9, None, False, ["no_login"]),
    ]
    assert report.valid is False
    with pytest.raises(ImportRefused) as refused:
        await world.admin.import_class_list(world.teacher, world.class_id, text, commit=True)
    assert (refused.value.code, refused.value.message) == (
        "import_invalid",
        "5 problem(s) in the list; nothing was imported",
    )
    assert len(await world.store.users(world.head.school_id)) == 3


async def test_an_import_makes_each_account_its_week_long_link_in_the_list_s_order(
    world: World,
) -> None:
    text = "name;parent-of\nМама Пети;Петя Иванов\nПетя Иванов;\n"
    report = await world.admin.import_class_list(world.teacher, world.class_id, text, commit=True)
    assert [(u.name, u.role, u.login) for u, _ in report.accounts] == [
        ("Мама Пети", Role.PARENT, "mama.peti"),
        ("Петя Иванов", Role.PUPIL, "petya.ivanov"),
    ]
    parent, pupil = (u for u, _ in report.accounts)
    assert parent.children == [pupil.id]
    assert (await world.store.school_class(world.class_id)).pupils == [pupil.id]  # type: ignore[union-attr]
    for user, issued in report.accounts:
        assert issued.link.expires_at == world.clock[0] + 7 * DAY
        assert (await world.admin.open_password_link(issued.secret))[0].id == user.id


async def test_another_school_s_class_is_not_found(world: World) -> None:
    _, other, _ = await world.admin.found_school("Лицей", "Олег", "oleg", "oleg-password")
    for call in (
        lambda: world.admin.import_class_list(other, world.class_id, "name\nX\n", False),
        lambda: world.admin.remove_pupil(other, world.class_id, "x"),
        lambda: world.admin.password_link(other, world.teacher.id),
        lambda: world.admin.set_active(other, world.teacher.id, False),
    ):
        with pytest.raises(ClassroomError) as refused:
            await call()
        assert code(refused)[0] == "not_found"


async def test_the_schools_are_counted_for_the_operator(world: World) -> None:
    await world.admin.set_active(world.head, world.teacher.id, False)
    (summary,) = await world.admin.schools()
    assert (summary.people, summary.deactivated, summary.classes) == (
        {"admin": 1, "teacher": 0, "pupil": 0, "parent": 0},
        1,
        1,
    )


# --- the command ------------------------------------------------------------------------


def run_command(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> str:
    out = io.StringIO()
    args = manage.parser().parse_args(argv)
    asyncio.run(manage.run(args, env or {}, io.StringIO(stdin), out))
    return out.getvalue()


def test_create_school_prints_the_admin_s_one_time_link(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "PUBLIC_URL": "https://school.example/"}
    out = run_command(
        ["create-school", "--name", "Школа №5", "--admin-name", "Анна", "--admin-login", "anna"],
        env=env,
    )
    lines = out.splitlines()
    assert lines[0].startswith("Created school 'Школа №5' (id ")
    assert lines[1] == "Admin: Анна (login anna)"
    prefix = "The admin sets a password at (one use, valid 7 days): https://school.example/reset/"
    assert lines[2].startswith(prefix) and len(lines[2]) == len(prefix) + 32
    listed = run_command(["list-schools"], env=env)
    assert listed.endswith(
        "Школа №5: admin 1, teacher 0, pupil 0, parent 0; classes 0; deactivated 0\n"
    )
    assert (tmp_path / "classroom.sqlite3").exists()


def test_create_school_takes_the_password_from_stdin(tmp_path: Path) -> None:
    database = str(tmp_path / "x.sqlite3")
    argv = ["--database", database, "create-school", "--name", "Лицей", "--admin-name", "Олег"]
    out = run_command([*argv, "--admin-login", "oleg", "--password-stdin"], "oleg-password\n")
    assert "reset" not in out

    async def user_by_login(login: str) -> User | None:
        store = await SqliteStore.open(database)
        try:
            return await store.user_by_login(login)
        finally:
            await store.close()

    user = asyncio.run(user_by_login("oleg"))
    assert user is not None and user.password_hash is not None
    again = ["--database", database, "create-school", "--name", "X", "--admin-name", "Y"]
    assert manage.main([*again, "--admin-login", "oleg"]) == 1  # the login is taken


def test_the_command_finds_the_database_as_the_server_does() -> None:
    assert manage.database_path(None, {}) == "data/classroom.sqlite3"
    assert manage.database_path(None, {"DATA_DIR": "/srv"}) == "/srv/classroom.sqlite3"
    assert manage.database_path(None, {"DATABASE": "/x.db", "DATA_DIR": "/srv"}) == "/x.db"
    assert manage.database_path("/y.db", {"DATABASE": "/x.db"}) == "/y.db"
    assert manage.public_url(None, {"PORT": "9000"}) == "http://127.0.0.1:9000"


def test_the_command_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        manage.main(["create-school", "--help"])
    assert done.value.code == 0
    assert "--password-stdin" in capsys.readouterr().out
