"""How many a session's room is expected to hold (`SessionRecords.expected_size`), which a
district places new rooms by before anyone is in them."""

from __future__ import annotations

from classroom.models import SessionKind
from classroom.roles import Role
from classroom.service import Classroom
from classroom.sqlite_store import SqliteStore


async def test_a_lesson_expects_its_class_and_other_rooms_their_few() -> None:
    store = await SqliteStore.open(":memory:")
    try:
        classroom = Classroom(store)
        admin = await classroom.create_school("School", "Admin", "admin", "admin-password")
        teacher = await classroom.create_teacher(admin, "Teacher", "teacher", "teacher-pw")
        teacher = await classroom.verify_teacher(admin, teacher.id)
        school_class = await classroom.create_class(admin, "5A")
        await classroom.assign_teacher(admin, school_class.id, teacher.id)
        invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL, max_uses=5)
        pupils = [
            await classroom.redeem_invite(invite.id, f"Pupil {n}", f"pupil{n}", "pupil-password")
            for n in range(3)
        ]
        lesson = await classroom.create_session(
            teacher, SessionKind.LESSON, "Fractions", school_class.id
        )
        consultation = await classroom.create_session(
            teacher, SessionKind.CONSULTATION, "Marks", school_class.id, guest_id=pupils[0].id
        )
        assert await classroom.expected_size(lesson.id) == 4  # three pupils, one teacher
        assert await classroom.expected_size(consultation.id) == 2
        assert await classroom.expected_size("demo-lesson") == 1  # a room that is no session
    finally:
        await store.close()
