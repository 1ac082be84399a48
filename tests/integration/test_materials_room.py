"""A material on the stage of a real lesson's room: the teacher shows one of the class's PDFs
and turns its pages and zoom, everyone in the room follows (a late joiner and a reconnecting
page too), the recording's timeline keeps each page turn, and bad requests (a pupil turning
pages, a page past the end, another class's material) get their codes and change nothing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.signal_client import SignalError
from recording.sidecar import session_folder
from recording.timeline import read_timeline
from signaling import api
from tests.pdfs import numbered_pdf

from .class_lesson import Lesson


@dataclass
class Pdfs:
    material: dict[str, Any]
    """A 5-page PDF of the lesson's class, uploaded to the lesson."""
    elsewhere: dict[str, Any]
    """A PDF of another class of the school (6А, Ольга's too)."""


async def upload(lesson: Lesson, path: str) -> Any:
    body = aiohttp.FormData()
    body.add_field("file", numbered_pdf(5), filename="Дроби.pdf")
    status, answer = await lesson.call("POST", path, "olga", data=body)
    assert status == 200, answer
    return answer


@pytest.fixture
async def pdfs(lesson: Lesson) -> Pdfs:
    classroom = lesson.server.app[api.CLASSROOM]
    sixth = await classroom.create_class(lesson.admin, "6А")
    await classroom.assign_teacher(lesson.admin, sixth.id, lesson.teacher.id)
    return Pdfs(
        await upload(lesson, f"/api/sessions/{lesson.id}/materials"),
        await upload(lesson, f"/api/classes/{sixth.id}/materials"),
    )


def shown(event: dict[str, Any]) -> tuple[int, float] | None:
    material = event["material"]
    return None if material is None else (material["page"], material["zoom"])


async def test_everyone_follows_the_teachers_page_and_zoom(lesson: Lesson, pdfs: Pdfs) -> None:
    material_id = pdfs.material["id"]
    async with (
        lesson.joined("olga") as (olga, olga_joined),
        lesson.joined("anya") as (anya, anya_joined),
    ):
        assert olga_joined["material"] is None and anya_joined["material"] is None
        reply = await olga.request({"type": "material_show", "materialId": material_id})
        expected = {
            "id": material_id,
            "title": "Дроби.pdf",
            "pages": 5,
            "page": 1,
            "zoom": 1.0,
            "url": f"/api/materials/{material_id}/file",
        }
        assert reply == {"type": "ok", "id": reply["id"], "material": expected}
        for client in (olga, anya):
            event = await client.wait_for("material")
            assert event == {
                "type": "material",
                "material": expected,
                "by": olga_joined["self"]["id"],
            }

        await olga.request({"type": "material_page", "page": 3})
        await olga.request({"type": "material_zoom", "zoom": 1.5})
        for client in (olga, anya):
            await client.wait_for("material", lambda e: shown(e) == (3, 1.5))

        # A pupil joining now sees page 3 at once; one whose page reconnects, too.
        async with lesson.joined("boris") as (_, boris_joined):
            assert boris_joined["material"] == {**expected, "page": 3, "zoom": 1.5}
        resume = anya_joined["resumeToken"]
        await anya.close()  # dropped, not left: the place is kept for a while
        async with lesson.joined("anya", resume=resume) as (anya_again, back):
            assert back.get("resumed") is True
            assert back["material"] == {**expected, "page": 3, "zoom": 1.5}
            await olga.request({"type": "material_page", "page": 4})
            await anya_again.wait_for("material", lambda e: shown(e) == (4, 1.5))

            await olga.request({"type": "material_stop"})
            await anya_again.wait_for("material", lambda e: e["material"] is None)
        async with lesson.joined("vera") as (_, vera_joined):
            assert vera_joined["material"] is None


BAD_REQUESTS = [
    ({"type": "material_page", "page": 6}, "page_out_of_range"),
    ({"type": "material_page", "page": 0}, "bad_message"),
    ({"type": "material_page", "page": "3"}, "bad_message"),
    ({"type": "material_page", "page": True}, "bad_message"),
    ({"type": "material_page"}, "bad_message"),
    ({"type": "material_zoom", "zoom": 10}, "bad_message"),
    ({"type": "material_zoom", "zoom": "big"}, "bad_message"),
    ({"type": "material_show", "materialId": "no-such-material"}, "material_not_found"),
    ({"type": "material_show", "materialId": 7}, "bad_message"),
    ({"type": "material_show", "materialId": "x" * 65}, "bad_message"),
]


@pytest.mark.parametrize(("message", "code"), BAD_REQUESTS)
async def test_a_bad_request_gets_its_code_and_the_page_stays(
    lesson: Lesson, pdfs: Pdfs, message: dict[str, Any], code: str
) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        await olga.request({"type": "material_show", "materialId": pdfs.material["id"], "page": 2})
        with pytest.raises(SignalError) as refused:
            await olga.request(message)
        assert refused.value.code == code
        async with lesson.joined("boris") as (_, late):
            assert shown(late) == (2, 1.0)
        assert [shown(e) for e in anya.events if e["type"] == "material"] == [(2, 1.0)]


async def test_a_pupil_may_not_turn_pages_nor_show_another_classs_material(
    lesson: Lesson,
    pdfs: Pdfs,
) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        with pytest.raises(SignalError) as refused:
            await olga.request({"type": "material_page", "page": 2})
        assert refused.value.code == "no_material"  # nothing is shown yet
        with pytest.raises(SignalError) as refused:
            await olga.request({"type": "material_show", "materialId": pdfs.elsewhere["id"]})
        assert refused.value.code == "material_not_found"
        await olga.request({"type": "material_show", "materialId": pdfs.material["id"]})
        for message in (
            {"type": "material_page", "page": 2},
            {"type": "material_zoom", "zoom": 2},
            {"type": "material_show", "materialId": pdfs.material["id"]},
            {"type": "material_stop"},
        ):
            with pytest.raises(SignalError) as refused:
                await anya.request(message)
            assert refused.value.code == "not_host"
        async with lesson.joined("boris") as (_, late):
            assert shown(late) == (1, 1.0)


async def test_each_page_turn_is_in_the_recordings_timeline(lesson: Lesson, pdfs: Pdfs) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        await olga.request({"type": "material_show", "materialId": pdfs.material["id"]})
        await olga.request({"type": "material_page", "page": 2})
        started = await olga.request({"type": "start_recording"})
        for page in (3, 4):
            await olga.request({"type": "material_page", "page": page})
        await olga.request({"type": "material_zoom", "zoom": 2})
        await olga.request({"type": "material_stop"})
        await anya.wait_for("material", lambda e: e["material"] is None)
        await olga.request({"type": "stop_recording"})
    recordings = lesson.server.state.recordings
    assert recordings is not None
    directory = session_folder(Path(recordings), lesson.id) / started["recordingId"]
    events = read_timeline(directory)
    seen = [(shown(e), e["by"] is not None) for e in events if e.get("type") == "material"]
    # What was on the stage when recording began, then every change, each with its time.
    assert seen == [
        ((2, 1.0), False),
        ((3, 1.0), True),
        ((4, 1.0), True),
        ((4, 2.0), True),
        (None, True),
    ]
    assert all(isinstance(e["at"], float) for e in events)
    first = next(e for e in events if e.get("type") == "material")
    assert json.dumps(first["material"]["title"], ensure_ascii=False) == '"Дроби.pdf"'


async def test_a_recording_keeps_the_material_it_showed_and_serves_it_to_the_class(
    lesson: Lesson, pdfs: Pdfs
) -> None:
    material_id = pdfs.material["id"]
    async with lesson.joined("olga") as (olga, _):
        # Shown before the recording begins: it keeps it from the start.
        await olga.request({"type": "material_show", "materialId": material_id})
        started = await olga.request({"type": "start_recording"})
        await olga.request({"type": "material_page", "page": 3})
        await olga.request({"type": "stop_recording"})
    recordings = lesson.server.state.recordings
    assert recordings is not None
    directory = session_folder(Path(recordings), lesson.id) / started["recordingId"]
    kept = directory / f"material-{material_id}.pdf"
    for _ in range(100):  # copied on a thread
        if kept.exists():
            break
        await asyncio.sleep(0.05)
    assert kept.read_bytes() == numbered_pdf(5)
    assert not list(directory.glob("material-*.tmp"))

    # A pupil of the class gets it with the recording's files; what it did not show, not.
    token = await lesson.api_token("anya")
    headers = {"Authorization": f"Bearer {token}"}
    recording = started["recordingId"]
    base = f"{lesson.server.url}/api/sessions/{lesson.id}/recordings/{recording}"
    detail = await (await lesson.http.get(base, headers=headers)).json()
    assert detail["materials"] == {material_id: kept.name}
    answer = await lesson.http.get(f"{base}/files/{kept.name}", headers=headers)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert await answer.read() == numbered_pdf(5)
    other = await lesson.http.get(
        f"{base}/files/material-{pdfs.elsewhere['id']}.pdf", headers=headers
    )
    assert other.status == 404
    assert (await other.json())["error"]["code"] == "not_found"


async def test_deleting_the_material_shown_stops_the_show(lesson: Lesson, pdfs: Pdfs) -> None:
    async with lesson.joined("olga") as (olga, _), lesson.joined("anya") as (anya, _):
        await olga.request({"type": "material_show", "materialId": pdfs.material["id"]})
        started = await olga.request({"type": "start_recording"})
        # Another class's material going changes nothing on this stage.
        status, gone = await lesson.call("DELETE", f"/api/materials/{pdfs.elsewhere['id']}", "olga")
        assert status == 200, gone
        async with lesson.joined("boris") as (_, late):
            assert shown(late) == (1, 1.0)
        # The shown one going stops the show for everyone, as `material_stop` would.
        status, gone = await lesson.call("DELETE", f"/api/materials/{pdfs.material['id']}", "olga")
        assert status == 200, gone
        for client in (olga, anya):
            event = await client.wait_for("material", lambda e: e["material"] is None)
            assert event == {"type": "material", "material": None, "by": None}
        async with lesson.joined("vera") as (_, late):
            assert late["material"] is None
        with pytest.raises(SignalError) as refused:
            await olga.request({"type": "material_page", "page": 2})
        assert refused.value.code == "no_material"
        await olga.request({"type": "stop_recording"})
    recordings = lesson.server.state.recordings
    assert recordings is not None
    directory = session_folder(Path(recordings), lesson.id) / started["recordingId"]
    seen = [shown(e) for e in read_timeline(directory) if e.get("type") == "material"]
    assert seen == [(1, 1.0), None]
