"""Whom a session expected, for its roll (`LessonRecords.class_attendance`): a lesson its
class's pupils, a parent meeting their parents, a consultation its guest; and who may read
the roll and the polls (a pupil reads only their own answers, and no roll)."""

from __future__ import annotations

import pytest

from classroom.errors import Forbidden
from classroom.lesson_records import ClassAttendance
from classroom.models import SessionKind
from classroom.poll_records import PollAnswer, PollRecord
from classroom.roles import Role
from classroom.service import Classroom
from classroom.sqlite_store import SqliteStore


async def test_each_kind_of_session_expects_its_own_people() -> None:
    store = await SqliteStore.open(":memory:")
    try:
        classroom = Classroom(store, clock=lambda: 1000.0)
        admin = await classroom.create_school("School", "Admin", "admin", "admin-password")
        teacher = await classroom.create_teacher(admin, "Teacher", "teacher", "teacher-pw")
        teacher = await classroom.verify_teacher(admin, teacher.id)
        school_class = await classroom.create_class(admin, "5A")
        await classroom.assign_teacher(admin, school_class.id, teacher.id)
        invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL, max_uses=5)
        boris = await classroom.redeem_invite(invite.id, "Борис", "boris", "pupil-password")
        anya = await classroom.redeem_invite(invite.id, "Аня", "anya", "pupil-password")
        for_anya = await classroom.create_invite(
            teacher, school_class.id, Role.PARENT, child_id=anya.id
        )
        await classroom.redeem_invite(for_anya.id, "Мама Ани", "mama", "parent-password")

        lesson = await classroom.create_session(
            teacher, SessionKind.LESSON, "Дроби", school_class.id
        )
        meeting = await classroom.create_session(
            teacher, SessionKind.PARENT_MEETING, "Собрание", school_class.id
        )
        consultation = await classroom.create_session(
            teacher, SessionKind.CONSULTATION, "Оценки", school_class.id, guest_id=boris.id
        )
        await classroom.arrived(lesson.id, anya.id, "Аня")

        def names(report: ClassAttendance) -> list[tuple[str, bool, bool]]:
            return [(r.name, r.expected, r.present) for r in report.rows]

        assert names(await classroom.class_attendance(teacher, lesson.id)) == [
            ("Аня", True, True),
            ("Борис", True, False),
        ]
        assert names(await classroom.class_attendance(admin, meeting.id)) == [
            ("Мама Ани", True, False)
        ]
        assert names(await classroom.class_attendance(teacher, consultation.id)) == [
            ("Борис", True, False)
        ]
        with pytest.raises(Forbidden):
            await classroom.class_attendance(anya, lesson.id)

        # Polls: the teacher reads every answer, a pupil their own.
        await classroom.poll_asked(
            PollRecord("q1", lesson.id, "?", ("a", "b"), False, teacher.id, 1000.0, 0)
        )
        for pupil, choice in ((anya, 0), (boris, 1)):
            await classroom.poll_answered(
                lesson.id, PollAnswer("q1", pupil.id, pupil.name, (choice,), 1001.0)
            )
        everyone = await classroom.session_polls(teacher, lesson.id)
        assert (everyone.everyone, [a.user_id for a in everyone.answers]) == (
            True,
            [anya.id, boris.id],
        )
        own = await classroom.session_polls(boris, lesson.id)
        assert (own.everyone, [a.user_id for a in own.answers]) == (False, [boris.id])
    finally:
        await store.close()
