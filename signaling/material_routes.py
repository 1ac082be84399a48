"""The REST API of materials: a class's PDFs, uploaded to the class or to one of its lessons,
listed and deleted by its teachers, downloaded by its people (`classroom.materials`).

An upload is multipart/form-data with one file, `file`, read as it streams in: who may upload
is checked before a byte is read, a body larger than the limit is refused as soon as it is
seen to be, and every refusal has a code of its own (`classroom.material_files`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from classroom.errors import InvalidInput, NotFound
from classroom.materials import Material, Materials
from classroom.models import SchoolClass, Session
from classroom.showing import file_url

from .api_plumbing import Operation, _me

MATERIALS = web.AppKey("materials", Materials)
MaterialDeleted = Callable[[str], Awaitable[None]]
MATERIAL_DELETED: web.AppKey[MaterialDeleted] = web.AppKey("material_deleted")
"""(material id): the live rooms showing it, on whichever node, stop showing it."""

CHUNK = 256 * 1024
"""Bytes read from an upload at a time."""
MULTIPART_MARGIN = 64 * 1024
"""What a multipart body may hold besides its file (boundaries, headers, a name)."""


def material_view(material: Material) -> dict[str, Any]:
    return {
        "id": material.id,
        "class_id": material.class_id,
        "session_id": material.session_id,
        "title": material.title,
        "pages": material.pages,
        "size": material.size,
        "uploaded_by": material.uploaded_by,
        "created_at": material.created_at,
        "url": file_url(material.id),
    }


async def _upload(request: web.Request, place: tuple[SchoolClass, Session | None]) -> Material:
    """The request's file, kept as a material of `place` (who may was checked already)."""
    materials = request.app[MATERIALS]
    length = request.content_length
    if length is not None and length > materials.files.max_bytes + MULTIPART_MARGIN:
        raise materials.files.too_large()  # said before a byte of it is read
    if request.content_type != "multipart/form-data":
        raise InvalidInput("send the file as multipart/form-data, in a field named 'file'", "file")
    try:
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == "file"):
            part = await reader.next()  # the part before is skipped unread
    except (ValueError, KeyError, AssertionError) as exc:
        raise InvalidInput(f"the multipart body does not read: {exc}", "file") from exc
    if part is None:
        raise InvalidInput("'file' is required: the PDF to upload", "file")
    file = part

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read_chunk(CHUNK):
            yield chunk

    return await materials.upload(_me(request), place, _filename(file), chunks())


def _filename(part: BodyPartReader) -> str:
    """The file's name as it was on the sender's disk. Browsers send it as UTF-8; some
    clients (aiohttp's own, curl with some options) percent-encode it instead."""
    name = part.filename or "material.pdf"
    if re.search("%[0-9A-Fa-f]{2}", name):
        name = unquote(name, errors="strict") if _utf8(name) else name
    return name


def _utf8(quoted: str) -> bool:
    try:
        unquote(quoted, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


async def upload_to_class(request: web.Request) -> dict[str, Any]:
    materials = request.app[MATERIALS]
    place = await materials.class_place(_me(request), request.match_info["class_id"])
    return material_view(await _upload(request, place))


async def upload_to_session(request: web.Request) -> dict[str, Any]:
    materials = request.app[MATERIALS]
    school_class, session = await materials.session_place(
        _me(request), request.match_info["session_id"]
    )
    return material_view(await _upload(request, (school_class, session)))


def _listing(request: web.Request, found: list[Material]) -> dict[str, Any]:
    """The materials, and the largest file an upload may be (for the page to say)."""
    max_bytes = request.app[MATERIALS].files.max_bytes
    return {"materials": [material_view(m) for m in found], "max_mb": max_bytes / (1024 * 1024)}


async def class_materials(request: web.Request) -> dict[str, Any]:
    found = await request.app[MATERIALS].class_materials(
        _me(request), request.match_info["class_id"]
    )
    return _listing(request, found)


async def session_materials(request: web.Request) -> dict[str, Any]:
    found = await request.app[MATERIALS].session_materials(
        _me(request), request.match_info["session_id"]
    )
    return _listing(request, found)


async def get_material(request: web.Request) -> dict[str, Any]:
    material = await request.app[MATERIALS].material(
        _me(request), request.match_info["material_id"]
    )
    return material_view(material)


async def material_file(request: web.Request) -> web.StreamResponse:
    material, path = await request.app[MATERIALS].download(
        _me(request), request.match_info["material_id"]
    )
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("this material's file")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": _disposition(material.title),
            # The page asks again each time (a deleted material is gone), with its cookie.
            "Cache-Control": "private, no-cache",
        },
    )


def _disposition(title: str) -> str:
    """Shown in the browser, saved under the material's name (as a .pdf, converted or not)."""
    stem = title.rsplit(".", 1)[0] if "." in title else title
    name = f"{stem or 'material'}.pdf"
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


async def delete_material(request: web.Request) -> dict[str, Any]:
    material = await request.app[MATERIALS].delete(_me(request), request.match_info["material_id"])
    await request.app[MATERIAL_DELETED](material.id)  # no stage keeps showing a file gone
    return material_view(material)


MATERIAL_OPERATIONS = [
    Operation(
        "POST",
        "/api/classes/{class_id}/materials",
        upload_to_class,
        "Upload a PDF for the class's lessons (its teachers, admins)",
        upload=True,
        tags=["materials"],
    ),
    Operation(
        "GET",
        "/api/classes/{class_id}/materials",
        class_materials,
        "The class's materials, its lessons' too, newest first (its teachers, admins)",
        tags=["materials"],
    ),
    Operation(
        "POST",
        "/api/sessions/{session_id}/materials",
        upload_to_session,
        "Upload a PDF to a lesson of a class (its teachers, admins)",
        upload=True,
        tags=["materials"],
    ),
    Operation(
        "GET",
        "/api/sessions/{session_id}/materials",
        session_materials,
        "What the lesson may show: its class's materials, newest first (its hosts)",
        tags=["materials"],
    ),
    Operation(
        "GET",
        "/api/materials/{material_id}",
        get_material,
        "A material (its class's teachers, pupils and parents, admins)",
        tags=["materials"],
    ),
    Operation(
        "GET",
        "/api/materials/{material_id}/file",
        material_file,
        "The material's PDF (its class's teachers, pupils and parents, admins)",
        produces="application/pdf",
        tags=["materials"],
    ),
    Operation(
        "DELETE",
        "/api/materials/{material_id}",
        delete_material,
        "Delete a material and its file (its class's teachers, admins); a live room "
        "showing it stops showing it",
        tags=["materials"],
    ),
]
