"""The timetable over the REST API on the real app: a teacher schedules a lesson with a title,
a start on the school's clock (Moscow by default) and a length, moves and cancels it; the
class (its pupils, their parents, its teachers) sees what is coming, soonest first; and the
event stream tells each open /school page of the sessions it sees, and no one else."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .school_api import School, set_up_class
from .school_stream import next_event, session_news
from .test_recordings_api import member

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow_day(days: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Moscow, `days` from today."""
    day = datetime.now(MOSCOW) + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def local(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


async def test_a_bad_title_or_time_is_refused_with_its_own_code_and_nothing_is_written(
    school: School,
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    tomorrow = local(moscow_day(1, 9))
    lesson = {"kind": "lesson", "title": "Дроби", "class_id": class_id, "starts_at": tomorrow}
    yesterday = local(moscow_day(-1, 9))
    for change, code, field in (
        ({"title": ""}, "title_required", "title"),
        ({"title": "   \t "}, "title_required", "title"),
        ({"title": "Д" * 201}, "title_too_long", "title"),
        ({"starts_at": "tomorrow at nine"}, "time_malformed", "starts_at"),
        ({"starts_at": "2030-02-30T09:00"}, "time_malformed", "starts_at"),
        ({"starts_at": "2030-01-10T09:00+05:00"}, "time_malformed", "starts_at"),
        ({"starts_at": yesterday}, "time_in_past", "starts_at"),
        ({"scheduled_at": 1000.0, "starts_at": None}, "time_in_past", "scheduled_at"),
        ({"duration_minutes": 0}, "duration_invalid", "duration_minutes"),
        ({"duration_minutes": 601}, "duration_invalid", "duration_minutes"),
    ):
        status, body = await s.call("POST", "/api/sessions", teacher, {**lesson, **change})
        assert (status, body["error"]["code"], body["error"].get("field")) == (
            400,
            code,
            field,
        ), change
    status, body = await s.call("POST", "/api/sessions", teacher, {**lesson, "starts_at": 9})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    _, upcoming = await s.call("GET", "/api/sessions/upcoming", teacher)
    assert upcoming == {"time_zone": "Europe/Moscow", "sessions": []}

    # The same client goes on: a good one is made, its title trimmed.
    status, made = await s.call(
        "POST",
        "/api/sessions",
        teacher,
        {**lesson, "title": "  Дроби,   урок 2 ", "duration_minutes": 45},
    )
    assert status == 200, made
    assert (made["title"], made["state"], made["duration_minutes"]) == (
        "Дроби, урок 2",
        "scheduled",
        45,
    )
    assert made["scheduled_at"] == moscow_day(1, 9).timestamp()


async def test_the_class_sees_its_upcoming_lessons_soonest_first_with_their_teacher(
    school: School,
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    pupil, pupil_id = await member(s, class_id, teacher, "pupil", "petya")
    parent, _ = await member(s, class_id, teacher, "parent", "irina", child_id=pupil_id)
    _, other = await s.call("POST", "/api/classes", s.admin_token, {"name": "6B"})
    stranger, stranger_id = await member(s, other["id"], s.admin_token, "pupil", "vasya")
    strangers_parent, _ = await member(
        s, other["id"], s.admin_token, "parent", "oleg", child_id=stranger_id
    )

    async def schedule(title: str, at: datetime, kind: str = "lesson") -> str:
        body = {"kind": kind, "title": title, "class_id": class_id, "starts_at": local(at)}
        status, made = await s.call("POST", "/api/sessions", teacher, body)
        assert status == 200, made
        return str(made["id"])

    later = await schedule("Геометрия", moscow_day(2, 10, 30))
    sooner = await schedule("Дроби", moscow_day(1, 9))
    meeting = await schedule("Собрание", moscow_day(1, 18), "parent_meeting")
    instant = {"kind": "lesson", "title": "Сейчас", "class_id": class_id}
    _, now_live = await s.call("POST", "/api/sessions", teacher, instant)
    await s.call("POST", f"/api/sessions/{now_live['id']}/start", teacher)

    def shown(body: dict[str, object]) -> list[tuple[str, str, str | None, str]]:
        return [
            (x["title"], x["state"], x["starts_at"], x["teacher"])
            for x in body["sessions"]  # type: ignore[attr-defined]
        ]

    offset = moscow_day(1, 9).strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    day1, day2 = moscow_day(1, 9).date().isoformat(), moscow_day(2, 9).date().isoformat()
    lessons = [
        ("Дроби", "scheduled", f"{day1}T09:00:00{offset}", "Ольга Ивановна"),
        ("Геометрия", "scheduled", f"{day2}T10:30:00{offset}", "Ольга Ивановна"),
    ]
    live = ("Сейчас", "live", None, "Ольга Ивановна")
    parents_meeting = ("Собрание", "scheduled", f"{day1}T18:00:00{offset}", "Ольга Ивановна")
    for token, expected in (
        (teacher, [live, lessons[0], parents_meeting, lessons[1]]),
        (s.admin_token, [live, lessons[0], parents_meeting, lessons[1]]),
        (pupil, [live, *lessons]),
        (parent, [live, lessons[0], parents_meeting, lessons[1]]),  # watches the lessons come
        (stranger, []),
        (strangers_parent, []),
    ):
        status, body = await s.call("GET", "/api/sessions/upcoming", token)
        assert status == 200
        assert (body["time_zone"], shown(body)) == ("Europe/Moscow", expected)

    # Moved and renamed by its teacher; a pupil may not; once cancelled it is gone.
    path = f"/api/sessions/{sooner}/schedule"
    status, body = await s.call("PATCH", path, pupil, {"title": "Моё"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    for change, code in (
        ({"title": ""}, "title_required"),
        ({"starts_at": "09:00"}, "time_malformed"),
        ({"starts_at": local(moscow_day(-2, 9))}, "time_in_past"),
        ({"duration_minutes": -5}, "duration_invalid"),
    ):
        status, body = await s.call("PATCH", path, teacher, change)
        assert (status, body["error"]["code"]) == (400, code), change
    status, moved = await s.call(
        "PATCH",
        path,
        teacher,
        {"title": "Дроби (перенос)", "starts_at": local(moscow_day(3, 8)), "duration_minutes": 40},
    )
    assert status == 200, moved
    assert (moved["title"], moved["scheduled_at"], moved["duration_minutes"]) == (
        "Дроби (перенос)",
        moscow_day(3, 8).timestamp(),
        40,
    )
    status, cleared = await s.call("PATCH", path, teacher, {"duration_minutes": None})
    assert (status, cleared["duration_minutes"], cleared["title"]) == (200, None, "Дроби (перенос)")
    _, body = await s.call("GET", "/api/sessions/upcoming", pupil)
    assert [x["title"] for x in body["sessions"]] == ["Сейчас", "Геометрия", "Дроби (перенос)"]

    status, body = await s.call("POST", f"/api/sessions/{later}/cancel", pupil)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, cancelled = await s.call("POST", f"/api/sessions/{later}/cancel", teacher)
    assert (status, cancelled["state"], cancelled["cancelled"]) == (200, "ended", True)
    assert cancelled["started_at"] is None
    for method, tail, body_ in (
        ("PATCH", "schedule", {"title": "x"}),
        ("POST", "cancel", None),
    ):
        status, body = await s.call(method, f"/api/sessions/{later}/{tail}", teacher, body_)
        assert (status, body["error"]["code"]) == (409, "session_not_scheduled")
    status, body = await s.call("POST", f"/api/sessions/{later}/start", teacher)
    assert (status, body["error"]["code"]) == (409, "session_ended")
    status, body = await s.call("PATCH", f"/api/sessions/{now_live['id']}/schedule", teacher, {})
    assert (status, body["error"]["code"]) == (409, "session_not_scheduled")
    _, body = await s.call("GET", "/api/sessions/upcoming", parent)
    assert [x["id"] for x in body["sessions"]] == [now_live["id"], meeting, sooner]


async def test_the_stream_tells_each_page_of_the_sessions_it_sees_and_no_other(
    school: School,
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    pupil, pupil_id = await member(s, class_id, teacher, "pupil", "petya")
    parent, _ = await member(s, class_id, teacher, "parent", "irina", child_id=pupil_id)
    _, other = await s.call("POST", "/api/classes", s.admin_token, {"name": "6B"})
    stranger, _ = await member(s, other["id"], s.admin_token, "pupil", "vasya")

    streams = {}
    for who, token in (("pupil", pupil), ("parent", parent), ("stranger", stranger)):
        response = await s.client.get(
            "/api/sessions/events", headers={"Authorization": f"Bearer {token}"}
        )
        assert (response.status, response.content_type) == (200, "text/event-stream")
        assert await next_event(response) == ("ready", {})
        streams[who] = response

    body = {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    _, lesson = await s.call(
        "POST", "/api/sessions", teacher, {**body, "starts_at": local(moscow_day(1, 9))}
    )
    await s.call(
        "PATCH", f"/api/sessions/{lesson['id']}/schedule", teacher, {"title": "Дроби, урок 1"}
    )
    await s.call("POST", f"/api/sessions/{lesson['id']}/start", teacher)
    await s.call("POST", f"/api/sessions/{lesson['id']}/end", teacher)
    # Another class's lesson: only its own pupil hears of it.
    _, theirs = await s.call(
        "POST",
        "/api/sessions",
        s.admin_token,
        {"kind": "lesson", "title": "Химия", "class_id": other["id"]},
    )
    await s.call("POST", f"/api/sessions/{theirs['id']}/start", s.admin_token)
    _, second = await s.call(
        "POST",
        "/api/sessions",
        teacher,
        {**body, "title": "Дроби, урок 2", "starts_at": local(moscow_day(2, 9))},
    )

    told = [
        ("scheduled", lesson["id"], "Дроби"),
        ("rescheduled", lesson["id"], "Дроби, урок 1"),
        ("started", lesson["id"], "Дроби, урок 1"),
        ("ended", lesson["id"], "Дроби, урок 1"),
    ]
    for who in ("pupil", "parent"):
        assert [await session_news(streams[who]) for _ in told] == told, who
    # The stranger's first news is their own class's lesson: nothing of 5A's came before it.
    assert await session_news(streams["stranger"]) == ("started", theirs["id"], "Химия")

    # A page without a sign-in is refused a stream; signing out ends the page's stream at
    # once, and the others go on.
    response = await s.client.get("/api/sessions/events")
    assert response.status == 401
    status, _ = await s.call("POST", "/api/auth/logout", stranger)
    assert status == 200
    with pytest.raises(EOFError):
        await next_event(streams["stranger"])
    await s.call("POST", f"/api/sessions/{theirs['id']}/end", s.admin_token)
    assert await session_news(streams["pupil"]) == ("scheduled", second["id"], "Дроби, урок 2")
    for stream in streams.values():
        stream.close()
