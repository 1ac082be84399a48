"""The REST API of what a session leaves for its school (issue 18): its polls with the
answers (every pupil's for its teachers and the school's admins, one's own for anyone else),
and the roll of the whole class with who was absent, as JSON and as a CSV for Excel."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from classroom.attendance import RollEntry
from classroom.attendance_csv import LANGUAGES
from classroom.lesson_records import SessionPolls
from classroom.poll_records import PollRecord
from classroom.time_zones import local_iso

from .api_plumbing import CLASSROOM, Operation, _me


def _poll_view(poll: PollRecord, seen: SessionPolls) -> dict[str, Any]:
    answers = [a for a in seen.answers if a.poll_id == poll.id]
    closed = poll.closed_at is not None
    # The right option of a quiz stays with its hosts until the poll closes.
    show_correct = poll.correct is not None and (seen.everyone or closed)
    view: dict[str, Any] = {
        "id": poll.id,
        "question": poll.question,
        "options": list(poll.options),
        "multiple": poll.multiple,
        "quiz": poll.correct is not None,
        "correct": poll.correct if show_correct else None,
        "asked_at": poll.asked_at,
        "closed_at": poll.closed_at,
        "answers": [
            {
                "user_id": a.user_id,
                "name": a.name,
                "choices": list(a.choices),
                "answered_at": a.answered_at,
                "right": a.right(poll) if show_correct else None,
            }
            for a in answers
        ],
    }
    if seen.everyone:
        counts = [0] * len(poll.options)
        for answer in answers:
            for choice in answer.choices:
                counts[choice] += 1
        view["counts"] = counts
        view["voters"] = len(answers)
        view["right"] = (
            sum(bool(a.right(poll)) for a in answers) if poll.correct is not None else None
        )
    return view


async def polls(request: web.Request) -> dict[str, Any]:
    seen = await request.app[CLASSROOM].session_polls(
        _me(request), request.match_info["session_id"]
    )
    return {"everyone": seen.everyone, "polls": [_poll_view(p, seen) for p in seen.polls]}


def _roll_view(row: RollEntry, zone: str, now: float) -> dict[str, Any]:
    joined, left = row.joined_at, row.left_at()
    return {
        "user_id": row.user_id,
        "name": row.name,
        "expected": row.expected,
        "present": row.present,
        "joined_at": joined,
        "left_at": left,
        "joined": None if joined is None else local_iso(joined, zone),
        "left": None if left is None else local_iso(left, zone),
        "minutes": round(row.minutes(now), 1),
        "stays": len(row.stays),
    }


async def roll(request: web.Request) -> dict[str, Any]:
    report = await request.app[CLASSROOM].class_attendance(
        _me(request), request.match_info["session_id"]
    )
    rows = report.rows
    expected = [r for r in rows if r.expected]
    return {
        "time_zone": report.time_zone,
        "expected": len(expected),
        "present": sum(r.present for r in expected),
        "absent": sum(not r.present for r in expected),
        "roll": [_roll_view(r, report.time_zone, report.now) for r in rows],
    }


async def attendance_csv(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    # The reader's language picks Excel's separator (see classroom/attendance_csv.py).
    language = request.query.get("lang", "ru")
    if language not in LANGUAGES:
        language = "ru"
    body = await request.app[CLASSROOM].class_attendance_csv(_me(request), session_id, language)
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendance-{session_id}.csv"'},
    )


async def class_quizzes(request: web.Request) -> dict[str, Any]:
    found = await request.app[CLASSROOM].class_quizzes(_me(request), request.match_info["class_id"])
    return {
        "everyone": found.everyone,
        "quizzes": [
            {
                "id": q.poll.id,
                "session_id": q.session.id,
                "session_title": q.session.title,
                "question": q.poll.question,
                "asked_at": q.poll.asked_at,
            }
            for q in found.quizzes
        ],
        "pupils": [
            {
                "user_id": p.user_id,
                "name": p.name,
                "right": p.right,
                "answered": p.answered,
                "total": p.total,
                "in_class": p.in_class,
            }
            for p in found.pupils
        ],
    }


LESSON_RECORD_OPERATIONS = [
    Operation(
        "GET",
        "/api/classes/{class_id}/quizzes",
        class_quizzes,
        "The class's quiz history: its lessons' closed quizzes, oldest first, and each pupil's"
        " score (right of total); every pupil's for its teachers and admins, a pupil's own",
        tags=["polls"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/polls",
        polls,
        "The session's polls in the order asked: every answer for its hosts and the school's"
        " admins, one's own for a pupil or parent; a quiz's right option once it closed",
        tags=["polls"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/roll",
        roll,
        "The whole class, present or absent, with times in the school's time zone (hosts, admins)",
        tags=["attendance"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/attendance.csv",
        attendance_csv,
        "The whole class as CSV for Excel: UTF-8 with BOM, CRLF, a header row; ?lang=ru"
        " (default: ';' and decimal commas) or ?lang=en (',')",
        produces="text/csv",
        tags=["attendance"],
    ),
]
