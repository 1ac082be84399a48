"""Materials over the REST API of the real app: a class's teacher uploads real PDFs (to the
class, to a lesson), the class's people and the school's admins download them and nobody
else does, each bad file is refused with its code and leaves neither a file nor a row, and
a failure between the file and its row takes the file back."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from classroom.store import Conflict
from signaling.material_routes import MATERIALS
from tests.pdfs import empty_pdf, encrypted_pdf, numbered_pdf, office_document, slow_pdf

from .school_api import School, open_school, set_up_class
from .test_recordings_api import member


def form(data: bytes, name: str = "Дроби.pdf", field: str = "file") -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("note", "ignored")  # a field before the file is skipped
    body.add_field(field, data, filename=name, content_type="application/octet-stream")
    return body


async def upload(
    s: School, path: str, token: str, data: bytes, name: str = "Дроби.pdf"
) -> tuple[int, Any]:
    return await s.call("POST", path, token, data=form(data, name))


def stored(s: School) -> list[str]:
    """Every file under DATA_DIR/materials, temporary ones too."""
    root = s.client.app[MATERIALS].files.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def other_teacher(s: School, class_id: str) -> str:
    """A verified teacher of another class of the school, signed in."""
    _, made = await s.call(
        "POST",
        "/api/users",
        s.admin_token,
        {"name": "Пётр Сергеевич", "login": "petr", "password": "teacher-pw-2"},
    )
    await s.call("POST", f"/api/users/{made['id']}/verify", s.admin_token)
    await s.call(
        "POST", f"/api/classes/{class_id}/teachers", s.admin_token, {"teacher_id": made["id"]}
    )
    return await s.login("petr", "teacher-pw-2")


async def listed(s: School, class_id: str) -> list[str]:
    status, body = await s.call("GET", f"/api/classes/{class_id}/materials", s.admin_token)
    assert status == 200, body
    return [m["title"] for m in body["materials"]]


async def test_the_class_downloads_its_material_and_nobody_else_does(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    pupil, pupil_id = await member(s, class_id, teacher, "pupil", "petya")
    parent, _ = await member(s, class_id, teacher, "parent", "irina", child_id=pupil_id)
    _, other_class = await s.call("POST", "/api/classes", s.admin_token, {"name": "6B"})
    stranger, _ = await member(s, other_class["id"], s.admin_token, "pupil", "vasya")
    colleague = await other_teacher(s, other_class["id"])
    other_admin = await s.classroom.create_school("Школа №6", "Борис", "boris", "boris-pw-123")
    elsewhere = await s.login(other_admin.login or "", "boris-pw-123")

    data = numbered_pdf(3)
    status, material = await upload(s, f"/api/classes/{class_id}/materials", teacher, data)
    assert status == 200, material
    assert {k: material[k] for k in ("class_id", "session_id", "title", "pages", "size")} == {
        "class_id": class_id,
        "session_id": None,
        "title": "Дроби.pdf",
        "pages": 3,
        "size": len(data),
    }
    assert material["url"] == f"/api/materials/{material['id']}/file"
    assert stored(s) == [f"{material['id']}.pdf"]

    for token in (teacher, s.admin_token):
        status, body = await s.call("GET", f"/api/classes/{class_id}/materials", token)
        assert (status, [m["id"] for m in body["materials"]]) == (200, [material["id"]])
    for token in (pupil, parent, stranger, colleague):
        status, body = await s.call("GET", f"/api/classes/{class_id}/materials", token)
        assert (status, body["error"]["code"]) == (403, "forbidden")

    url = material["url"]
    for token in (teacher, pupil, parent, s.admin_token):
        response = await s.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200
        assert response.content_type == "application/pdf"
        assert await response.read() == data
        assert response.headers["Content-Disposition"] == (
            "inline; filename=\"_____.pdf\"; filename*=UTF-8''%D0%94%D1%80%D0%BE%D0%B1%D0%B8.pdf"
        )
        status, body = await s.call("GET", f"/api/materials/{material['id']}", token)
        assert (status, body["pages"]) == (200, 3)
    for token, expected in (
        (stranger, (403, "forbidden")),
        (colleague, (403, "forbidden")),
        (elsewhere, (404, "not_found")),
    ):
        for path in (url, f"/api/materials/{material['id']}"):
            status, body = await s.call("GET", path, token)
            assert (status, body["error"]["code"]) == expected
    status, body = await s.call("GET", url)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    # Nobody but the class's teachers (and admins) uploads to it.
    for token in (pupil, parent, stranger, colleague):
        status, body = await upload(s, f"/api/classes/{class_id}/materials", token, data)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await upload(s, f"/api/classes/{class_id}/materials", elsewhere, data)
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert stored(s) == [f"{material['id']}.pdf"]

    for token in (pupil, parent, stranger, colleague):
        status, body = await s.call("DELETE", f"/api/materials/{material['id']}", token)
        assert status == 403, body
    status, body = await s.call("DELETE", f"/api/materials/{material['id']}", teacher)
    assert (status, body["id"]) == (200, material["id"])
    assert stored(s) == []
    status, body = await s.call("GET", url, pupil)
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_a_lesson_has_its_own_materials_beside_the_class(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    status, lesson = await s.call(
        "POST", "/api/sessions", teacher, {"kind": "lesson", "title": "Дроби", "class_id": class_id}
    )
    assert status == 200
    _, for_class = await upload(s, f"/api/classes/{class_id}/materials", teacher, numbered_pdf(2))
    status, for_lesson = await upload(
        s, f"/api/sessions/{lesson['id']}/materials", teacher, numbered_pdf(4), "Урок 2.pdf"
    )
    assert (status, for_lesson["session_id"], for_lesson["pages"]) == (200, lesson["id"], 4)
    status, body = await s.call("GET", f"/api/sessions/{lesson['id']}/materials", teacher)
    assert [(m["title"], m["session_id"]) for m in body["materials"]] == [
        ("Урок 2.pdf", lesson["id"]),
        ("Дроби.pdf", None),
    ]
    assert for_class["session_id"] is None
    assert await listed(s, class_id) == ["Урок 2.pdf", "Дроби.pdf"]
    # A staff meeting has no class, so no materials.
    _, meeting = await s.call(
        "POST", "/api/sessions", teacher, {"kind": "staff_meeting", "title": "Педсовет"}
    )
    status, body = await upload(s, f"/api/sessions/{meeting['id']}/materials", teacher, b"%PDF-")
    assert (status, body["error"]["code"]) == (400, "invalid_input")


BAD_FILES = [
    (b"GIF89a" + bytes(1000), "Дроби.pdf", 415, "not_a_pdf"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 8, "broken.pdf", 422, "pdf_damaged"),
    (encrypted_pdf("secret"), "secret.pdf", 422, "pdf_encrypted"),
    (empty_pdf(), "empty.pdf", 422, "pdf_empty"),
    (office_document(), "Дроби.docx", 415, "conversion_unavailable"),
]


@pytest.mark.parametrize(("data", "name", "status", "code"), BAD_FILES)
async def test_a_bad_file_is_refused_with_its_code_and_nothing_is_kept(
    school: School, data: bytes, name: str, status: int, code: str
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    answer, body = await upload(s, f"/api/classes/{class_id}/materials", teacher, data, name)
    assert (answer, body["error"]["code"], body["error"]["field"]) == (status, code, "file")
    assert body["error"]["message"]
    assert stored(s) == []
    assert await listed(s, class_id) == []


@pytest.fixture
async def slow_school(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[School]:
    async for state in open_school(aiohttp_client, tmp_path):
        state.client.app[MATERIALS].files.open_seconds = 1.0
        yield state


async def test_a_pdf_that_takes_too_long_to_open_is_refused_in_time(slow_school: School) -> None:
    s = slow_school
    teacher, class_id = await set_up_class(s)
    started = time.monotonic()
    status, body = await upload(s, f"/api/classes/{class_id}/materials", teacher, slow_pdf(40))
    assert (status, body["error"]["code"]) == (422, "pdf_too_slow")
    assert body["error"]["message"] == "the PDF takes longer than 1 s to open"
    assert time.monotonic() - started < 5
    assert stored(s) == []
    assert await listed(s, class_id) == []


async def test_a_huge_file_is_refused_before_it_is_read_or_as_soon_as_it_is_too_big(
    school: School, tmp_path: Path
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as file:  # 60 MB on paper, a few bytes on disk
        file.write(numbered_pdf(1))
        file.truncate(60 * 1024 * 1024)
    path = f"/api/classes/{class_id}/materials"
    with huge.open("rb") as file:
        status, body = await s.call("POST", path, teacher, data=form(file.read(), "huge.pdf"))
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    assert body["error"]["message"] == "the file is larger than 50 MB"

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        with huge.open("rb") as file:
            while chunk := file.read(1024 * 1024):
                yield chunk

    body_form = aiohttp.FormData()
    body_form.add_field("file", streamed(), filename="huge.pdf")
    status, body = await s.call("POST", path, teacher, data=body_form)
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    assert stored(s) == []
    assert await listed(s, class_id) == []


async def test_an_upload_that_is_no_multipart_file_is_invalid(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    path = f"/api/classes/{class_id}/materials"
    status, body = await s.call("POST", path, teacher, json={"file": "x"})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = await s.call("POST", path, teacher, data=form(numbered_pdf(1), field="pdf"))
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        400,
        "invalid_input",
        "'file' is required: the PDF to upload",
    )
    assert stored(s) == []


async def test_a_row_that_cannot_be_written_takes_its_file_back(school: School) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    materials = s.client.app[MATERIALS]
    store = materials._store

    class Failing:
        def __getattr__(self, name: str) -> Any:
            return getattr(store.materials, name)

        async def add(self, material: Any) -> None:
            assert materials.files.path(material.id).is_file()  # the file was in place
            raise Conflict("the database went away")

    kept = store.materials
    store.materials = Failing()
    try:
        response = await s.client.post(
            f"/api/classes/{class_id}/materials",
            data=form(numbered_pdf(2)),
            headers={"Authorization": f"Bearer {teacher}"},
        )
        assert response.status == 500
    finally:
        store.materials = kept
    assert stored(s) == []
    assert await listed(s, class_id) == []


async def test_a_file_a_crash_left_without_a_row_is_swept_at_start(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    root = tmp_path / "materials"
    (root / "tmp").mkdir(parents=True)
    orphan, part = root / "0123456789abcdef.pdf", root / "tmp" / "abc.part"
    orphan.write_bytes(numbered_pdf(1))
    part.write_bytes(b"%PDF-1.4 half")
    hours_ago = time.time() - 7200
    for path in (orphan, part):
        os.utime(path, (hours_ago, hours_ago))
    async for s in open_school(aiohttp_client, tmp_path):
        assert stored(s) == []
