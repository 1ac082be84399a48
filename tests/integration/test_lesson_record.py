"""A lesson's record on a real server with real aiortc bots (issue 18): its polls and each
pupil's answer stay after the room is gone, a quiz tells who was right, bad answers get their
codes and the room goes on, a pupil who comes back sees the open poll and their answer, and
the whole class's attendance (with the pupil who never came) reads back as JSON and as the
exact bytes of its CSV, in the school's time zone."""

from __future__ import annotations

import asyncio
import csv
import io
import zoneinfo
from datetime import datetime
from typing import Any

import pytest

from bench.bots import SubscriberBot
from bench.signal_client import SignalError
from signaling import api

from .class_lesson import OPINION, QUIZ, Lesson


async def refused(bot: SubscriberBot, message: dict[str, Any]) -> str:
    with pytest.raises(SignalError) as error:
        await bot.signal.request(message)
    return error.value.code


async def test_a_quiz_and_its_answers_stay_with_the_lesson_after_its_room_is_gone(
    lesson: Lesson,
) -> None:
    users = lesson.users
    url = lesson.server.url
    async with (
        SubscriberBot(url, await lesson.room_token("olga")) as teacher,
        SubscriberBot(url, await lesson.room_token("anya")) as anya,
        SubscriberBot(url, await lesson.room_token("boris")) as boris,
    ):
        for bot in (teacher, anya, boris):
            await bot.join()
        assert await refused(teacher, {**QUIZ, "correct": 3}) == "poll_correct_not_an_option"
        quiz = (await teacher.signal.request(QUIZ))["pollId"]
        shown = await anya.signal.wait_for("poll")
        # A quiz, but its right option stays with the hosts.
        assert shown["poll"]["quiz"] is True and "correct" not in shown["poll"]

        await anya.signal.request({"type": "poll_answer", "pollId": quiz, "choices": [1]})
        await boris.signal.request({"type": "poll_answer", "pollId": quiz, "choices": [0]})
        await boris.signal.request({"type": "poll_answer", "pollId": quiz, "choices": [2]})
        # Bad answers get their codes, change nothing, and the room goes on.
        answer = {"type": "poll_answer", "pollId": quiz}
        assert await refused(anya, {**answer, "choices": [3]}) == "poll_option_out_of_range"
        assert await refused(anya, {**answer, "choices": [0, 1]}) == "poll_one_choice"
        assert await refused(anya, {**answer, "pollId": "q_none", "choices": [0]}) == (
            "poll_not_found"
        )
        live = await teacher.signal.wait_for(
            "poll_results", lambda e: e["pollId"] == quiz and e["counts"] == [0, 1, 1]
        )
        assert live == {
            "type": "poll_results",
            "pollId": quiz,
            "counts": [0, 1, 1],
            "voters": 2,
            "answers": [
                {
                    "identity": users["anya"].id,
                    "name": "Аня Петрова",
                    "choices": [1],
                    "right": True,
                },
                {
                    "identity": users["boris"].id,
                    "name": "Борис Ким",
                    "choices": [2],
                    "right": False,
                },
            ],
            "correct": 1,
            "right": 1,
        }
        assert not any(e["type"] == "poll_results" for e in anya.signal.events)

        await teacher.signal.request({"type": "poll_close", "pollId": quiz})
        closed = await anya.signal.wait_for("poll_closed")
        assert closed == {"type": "poll_closed", "pollId": quiz, "correct": 1}
        assert await refused(boris, {**answer, "choices": [1]}) == "poll_closed"

        # A pupil who comes back sees the open poll and the answer they gave.
        opinion = (await teacher.signal.request(OPINION))["pollId"]
        await anya.signal.request({"type": "poll_answer", "pollId": opinion, "choices": [1]})
        await anya.close()  # a dropped connection, then a new one
        async with SubscriberBot(url, await lesson.room_token("anya")) as again:
            joined = await again.join()
            (open_poll,) = joined["polls"]
            assert (open_poll["id"], open_poll["mine"], open_poll["closed"]) == (
                opinion,
                [1],
                False,
            )
            await again.signal.request({"type": "raise_hand"})  # the room still works

        await teacher.signal.request({"type": "end_session"})
        await wait_until(lesson.ended)

    # After the room: every answer for the teacher, one's own for a pupil.
    status, kept = await lesson.call("GET", f"/api/sessions/{lesson.id}/polls", "olga")
    assert status == 200 and kept["everyone"] is True
    first, second = kept["polls"]
    assert (first["id"], first["question"], first["quiz"], first["correct"]) == (
        quiz,
        "Сколько будет 1/2 + 1/4?",
        True,
        1,
    )
    assert [(a["name"], a["choices"], a["right"]) for a in first["answers"]] == [
        ("Аня Петрова", [1], True),
        ("Борис Ким", [2], False),
    ]
    assert (first["counts"], first["voters"], first["right"]) == ([0, 1, 1], 2, 1)
    assert first["closed_at"] is not None
    # The lesson's end closed the poll still open.
    assert (second["id"], second["quiz"], second["right"]) == (opinion, False, None)
    assert second["closed_at"] is not None
    assert [(a["name"], a["choices"], a["right"]) for a in second["answers"]] == [
        ("Аня Петрова", [1], None)
    ]

    status, mine = await lesson.call("GET", f"/api/sessions/{lesson.id}/polls", "boris")
    assert status == 200 and mine["everyone"] is False
    assert [
        [(a["name"], a["choices"], a["right"]) for a in p["answers"]] for p in mine["polls"]
    ] == [
        [("Борис Ким", [2], False)],
        [],
    ]
    assert "counts" not in mine["polls"][0] and mine["polls"][0]["correct"] == 1
    status, none = await lesson.call("GET", f"/api/sessions/{lesson.id}/polls", "vera")
    assert status == 200 and [p["answers"] for p in none["polls"]] == [[], []]


async def test_open_polls_come_back_when_the_lessons_room_starts_again(lesson: Lesson) -> None:
    url = lesson.server.url
    async with (
        SubscriberBot(url, await lesson.room_token("olga")) as teacher,
        SubscriberBot(url, await lesson.room_token("anya")) as anya,
    ):
        await teacher.join()
        await anya.join()
        poll = (await teacher.signal.request({**OPINION, "showResults": True}))["pollId"]
        await anya.signal.request({"type": "poll_answer", "pollId": poll, "choices": [0]})
        await anya.leave()
        await teacher.leave()
    await wait_until(lambda: lesson.server.state.rooms.present(lesson.id) is None)
    async with SubscriberBot(url, await lesson.room_token("olga")) as teacher:
        joined = await teacher.join()
    (again,) = joined["polls"]
    assert again["id"] == poll and again["showResults"] is True
    assert again["results"]["answers"] == [
        {"identity": lesson.users["anya"].id, "name": "Аня Петрова", "choices": [0]}
    ]


async def test_the_whole_class_with_the_absent_pupil_in_the_schools_time_zone(
    lesson: Lesson,
) -> None:
    url = lesson.server.url
    async with (
        SubscriberBot(url, await lesson.room_token("olga")) as teacher,
        SubscriberBot(url, await lesson.room_token("anya")) as anya,
        SubscriberBot(url, await lesson.room_token("boris")) as boris,
    ):
        for bot in (teacher, anya, boris):
            await bot.join()
        await boris.leave()
        await teacher.signal.request({"type": "end_session"})
        await wait_until(lesson.ended)

    classroom = lesson.server.app[api.CLASSROOM]

    async def all_left() -> bool:
        stays = await classroom.attendance(lesson.teacher, lesson.id)
        return len(stays) == 3 and all(s.left_at is not None for s in stays)

    await wait_until(all_left)
    stays = {s.user_id: s for s in await classroom.attendance(lesson.teacher, lesson.id)}

    status, body = await lesson.call("GET", f"/api/sessions/{lesson.id}/roll", "olga")
    assert status == 200
    assert (body["time_zone"], body["expected"], body["present"], body["absent"]) == (
        "Europe/Moscow",
        3,
        2,
        1,
    )
    assert [(r["name"], r["expected"], r["present"], r["stays"]) for r in body["roll"]] == [
        ("Аня Петрова", True, True, 1),
        ("Борис Ким", True, True, 1),
        ("Вера Соколова", True, False, 0),
        ("Ольга Ивановна", False, True, 1),
    ]
    anya = stays[lesson.users["anya"].id]
    assert body["roll"][0]["joined"] == local(anya.joined_at, "Europe/Moscow").isoformat()
    assert body["roll"][2]["joined"] is None and body["roll"][2]["minutes"] == 0

    status, csv_bytes = await lesson.call(
        "GET", f"/api/sessions/{lesson.id}/attendance.csv", "olga"
    )
    assert status == 200
    assert csv_bytes == expected_csv(lesson, stays, "Europe/Moscow", ";", ",")

    # Another zone: a bad one is refused and changes nothing, a good one moves every time.
    status, bad = await lesson.call(
        "PATCH", "/api/school", "admin", json={"time_zone": "Europe/Atlantis"}
    )
    assert (status, bad["error"]["code"], bad["error"]["field"]) == (
        400,
        "unknown_time_zone",
        "time_zone",
    )
    status, school = await lesson.call(
        "PATCH", "/api/school", "admin", json={"time_zone": "Asia/Yekaterinburg"}
    )
    assert (status, school["time_zone"]) == (200, "Asia/Yekaterinburg")
    status, csv_bytes = await lesson.call(
        "GET", f"/api/sessions/{lesson.id}/attendance.csv?lang=en", "olga"
    )
    assert csv_bytes == expected_csv(lesson, stays, "Asia/Yekaterinburg", ",", ".")
    status, body = await lesson.call("GET", f"/api/sessions/{lesson.id}/roll", "olga")
    assert body["roll"][0]["joined"].endswith("+05:00")

    status, denied = await lesson.call("GET", f"/api/sessions/{lesson.id}/roll", "anya")
    assert (status, denied["error"]["code"]) == (403, "forbidden")
    status, denied = await lesson.call("GET", f"/api/sessions/{lesson.id}/attendance.csv", "anya")
    assert status == 403


def local(ts: float, zone: str) -> datetime:
    return datetime.fromtimestamp(ts, zoneinfo.ZoneInfo(zone)).replace(microsecond=0)


def expected_csv(
    lesson: Lesson, stays: dict[str, Any], zone: str, separator: str, decimal: str
) -> bytes:
    """The file as Excel wants it, spelled out here independently of the server's code."""
    russian = separator == ";"
    header = (
        ["Имя", "Из класса", "Присутствие", "Пришёл", "Ушёл", "Минут", "Заходов"]
        if russian
        else ["Name", "Of the class", "Attendance", "Joined", "Left", "Minutes", "Stays"]
    )
    yes, no, present, absent = (
        ("да", "нет", "был", "не было") if russian else ("yes", "no", "present", "absent")
    )

    def when(ts: float) -> str:
        return local(ts, zone).strftime("%Y-%m-%d %H:%M:%S")

    def came(login: str, expected: bool) -> list[str]:
        stay = stays[lesson.users[login].id]
        minutes = f"{(stay.left_at - stay.joined_at) / 60:.1f}".replace(".", decimal)
        return [
            lesson.users[login].name,
            yes if expected else no,
            present,
            when(stay.joined_at),
            when(stay.left_at),
            minutes,
            "1",
        ]

    rows = [
        header,
        came("anya", True),
        came("boris", True),
        ["Вера Соколова", yes, absent, "", "", "0", "0"],
        came("olga", False),
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\r\n").writerows(rows)
    text = "\ufeff" + out.getvalue()
    assert "\r\n" in text and text.count("\r\n") == 5
    return text.encode("utf-8")


async def wait_until(condition: Any, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
