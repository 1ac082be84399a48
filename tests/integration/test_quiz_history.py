"""A class's quiz history on a real server (issue 18): quizzes asked in its lessons' rooms, and
each pupil's score over the closed ones (right of all asked), read back over REST by each
role: the class's teacher and the school's admin see every pupil, a pupil their own row, a
parent, another class's teacher and another class's pupil nothing, another school's nobody
this class at all."""

from __future__ import annotations

from typing import Any

import pytest

from classroom.roles import Role
from signaling import api

from .class_lesson import OPINION, QUIZ, Lesson


async def ask_in_the_room(lesson: Lesson) -> str:
    """A closed quiz Аня got right and Борис wrong (Вера never answered), an opinion poll and
    a quiz still open: only the first counts."""
    async with (
        lesson.joined("olga") as (olga, _),
        lesson.joined("anya") as (anya, _),
        lesson.joined("boris") as (boris, _),
    ):
        quiz = (await olga.request(QUIZ))["pollId"]
        opinion = (await olga.request(OPINION))["pollId"]
        await anya.request({"type": "poll_answer", "pollId": quiz, "choices": [1]})
        await boris.request({"type": "poll_answer", "pollId": quiz, "choices": [0]})
        await anya.request({"type": "poll_answer", "pollId": opinion, "choices": [0]})
        for closed in (quiz, opinion):
            await olga.request({"type": "poll_close", "pollId": closed})
        still_open = (await olga.request({**QUIZ, "question": "А 1/3 + 1/3?"}))["pollId"]
        await anya.request({"type": "poll_answer", "pollId": still_open, "choices": [1]})
    return str(quiz)


def row(lesson: Lesson, login: str, right: int, answered: int) -> dict[str, Any]:
    user = lesson.users[login]
    return {
        "user_id": user.id,
        "name": user.name,
        "right": right,
        "answered": answered,
        "total": 1,
        "in_class": True,
    }


@pytest.fixture
async def quiz(lesson: Lesson) -> str:
    """The quizzes asked, and people of every role besides the class's: a parent of Аня, a
    teacher and a pupil of another class, another school's admin."""
    asked = await ask_in_the_room(lesson)
    classroom = lesson.server.app[api.CLASSROOM]
    invite = await classroom.create_invite(
        lesson.teacher, lesson.class_id, Role.PARENT, child_id=lesson.users["anya"].id
    )
    await classroom.redeem_invite(invite.id, "Мама Ани", "mama", "parent-pw-12")
    other = await classroom.create_class(lesson.admin, "6А")
    teacher = await classroom.create_teacher(lesson.admin, "Пётр", "petr", "teacher-pw-2")
    teacher = await classroom.verify_teacher(lesson.admin, teacher.id)
    await classroom.assign_teacher(lesson.admin, other.id, teacher.id)
    invite = await classroom.create_invite(teacher, other.id, Role.PUPIL)
    await classroom.redeem_invite(invite.id, "Гоша", "gosha", "pupil-pw-34")
    await classroom.create_school("Другая", "Admin", "other-admin", "other-password")
    lesson.passwords.update(
        {"mama": "parent-pw-12", "petr": "teacher-pw-2", "gosha": "pupil-pw-34"}
        | {"other-admin": "other-password"}
    )
    return asked


@pytest.mark.parametrize("who", ["olga", "admin"])
async def test_the_class_s_teacher_and_the_school_s_admin_see_every_pupil(
    lesson: Lesson, quiz: str, who: str
) -> None:
    status, seen = await lesson.call("GET", f"/api/classes/{lesson.class_id}/quizzes", who)
    assert status == 200, seen
    assert isinstance(seen["quizzes"][0].pop("asked_at"), float)
    assert seen == {
        "everyone": True,
        "quizzes": [
            {
                "id": quiz,
                "session_id": lesson.id,
                "session_title": "Дроби",
                "question": "Сколько будет 1/2 + 1/4?",
            }
        ],
        "pupils": [
            row(lesson, "anya", 1, 1),
            row(lesson, "boris", 0, 1),
            row(lesson, "vera", 0, 0),
        ],
    }


async def test_a_pupil_sees_their_own_score(lesson: Lesson, quiz: str) -> None:
    status, mine = await lesson.call("GET", f"/api/classes/{lesson.class_id}/quizzes", "boris")
    assert status == 200, mine
    assert mine["everyone"] is False
    assert mine["pupils"] == [row(lesson, "boris", 0, 1)]
    assert [q["id"] for q in mine["quizzes"]] == [quiz]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("mama", 403, "forbidden"),  # a parent of the class's pupil
        ("petr", 403, "forbidden"),  # another class's teacher
        ("gosha", 403, "forbidden"),  # another class's pupil
        ("other-admin", 404, "not_found"),  # another school's admin: no such class there
    ],
)
async def test_anyone_else_is_refused(
    lesson: Lesson, quiz: str, who: str, status: int, code: str
) -> None:
    answer = await lesson.call("GET", f"/api/classes/{lesson.class_id}/quizzes", who)
    assert (answer[0], answer[1]["error"]["code"]) == (status, code)


async def test_a_class_that_is_none_is_not_found(lesson: Lesson) -> None:
    status, none = await lesson.call("GET", "/api/classes/no-such-class/quizzes", "olga")
    assert (status, none["error"]["code"]) == (404, "not_found")
