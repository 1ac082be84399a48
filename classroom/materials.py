"""A class's materials: PDFs its teachers upload (to the class beforehand, or to one of its
lessons) and show in the lesson's room, every page following theirs.

Who may: the class's teachers and the school's admins upload, list and delete
(`Action.MANAGE_MATERIALS`); its teachers, pupils, pupils' parents and the school's admins
download (`Action.VIEW_MATERIAL`); anyone else is told "not found" or "forbidden", like every
record of the school. An upload is a file first and a row second (`material_files`): a refused
one leaves neither, and one whose row could not be written takes its file back.

In the room, a host shows one of the session's class's materials (`room_material`); which
page everyone sees is the room's (`showing.Showing`), not the database's.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput, NotFound
from .material_files import MaterialFiles, Prepared
from .models import SchoolClass, Session, User
from .policy import Action, Target
from .store import Repository
from .use_cases import UseCases

MAX_TITLE = 200
"""Characters of a material's title (its file's name) kept."""


@dataclass(frozen=True)
class Material:
    id: str
    school_id: str
    class_id: str
    session_id: str | None
    """The lesson it was uploaded to (None: the class's, for any of its lessons)."""
    title: str
    """The uploaded file's name."""
    pages: int
    size: int
    """Bytes of the PDF kept."""
    uploaded_by: str
    created_at: float


def title_of(name: str) -> str:
    """A file name as a title: no folders, no control characters, not too long."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return cleaned[:MAX_TITLE] or "material.pdf"


class Materials(UseCases):
    """The materials' use cases on a repository and the files under DATA_DIR/materials."""

    def __init__(
        self,
        store: Repository,
        files: MaterialFiles,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_hex(8),
        writes: asyncio.Lock | None = None,
    ) -> None:
        super().__init__(store, clock, new_id, writes)
        self.files = files

    # --- where a material goes, and who may put it there --------------------------------

    async def class_place(self, by: User, class_id: str) -> tuple[SchoolClass, None]:
        """The class to upload to, once `by` may (checked before a byte is read)."""
        school_class = await self._class(by, class_id)
        await self._require(by, Action.MANAGE_MATERIALS, Target(by.school_id, school_class.id))
        return school_class, None

    async def session_place(self, by: User, session_id: str) -> tuple[SchoolClass, Session]:
        """A lesson's class and the lesson, to upload to, once `by` may."""
        session = await self._session(by, session_id)
        if session.class_id is None:
            raise InvalidInput("materials belong to a class: this session has none")
        school_class = await self._class(by, session.class_id)
        await self._require(by, Action.MANAGE_MATERIALS, Target(by.school_id, school_class.id))
        return school_class, session

    # --- uploading, listing, deleting ---------------------------------------------------

    async def upload(
        self,
        by: User,
        place: tuple[SchoolClass, Session | None],
        name: str,
        chunks: AsyncIterator[bytes],
    ) -> Material:
        """The file `chunks` bring, checked and kept, and its row; a refusal
        (`material_files.MaterialRefused`) keeps neither."""
        school_class, session = place
        upload = await self.files.receive(chunks)
        prepared = await self.files.prepare(upload, name)
        material = Material(
            id=self._new_id(),
            school_id=by.school_id,
            class_id=school_class.id,
            session_id=session.id if session is not None else None,
            title=title_of(name),
            pages=prepared.pages,
            size=prepared.size,
            uploaded_by=by.id,
            created_at=self._clock(),
        )
        await self._keep(material, prepared)
        return material

    async def _keep(self, material: Material, prepared: Prepared) -> None:
        """The file into place, then its row; a row that fails takes the file back."""
        try:
            await self.files.keep(prepared, material.id)
        except BaseException:
            await self.files.discard(prepared)
            raise
        try:
            await self._store.materials.add(material)
        except BaseException:
            await self.files.remove(material.id)
            raise

    async def class_materials(self, by: User, class_id: str) -> list[Material]:
        """Every material of the class (its lessons' too), newest first."""
        school_class, _ = await self.class_place(by, class_id)
        return await self._store.materials.of_class(school_class.id)

    async def session_materials(self, by: User, session_id: str) -> list[Material]:
        """What a lesson may show: every material of its class (those uploaded to this
        lesson say so by their `session_id`), newest first."""
        school_class, _ = await self.session_place(by, session_id)
        return await self._store.materials.of_class(school_class.id)

    async def material(self, by: User, material_id: str) -> Material:
        """A material `by` may download (its class's people, the school's admins)."""
        material = await self._store.materials.get(material_id) if material_id else None
        if material is None or material.school_id != by.school_id:
            raise NotFound("this material")
        await self._require(by, Action.VIEW_MATERIAL, Target(by.school_id, material.class_id))
        return material

    async def download(self, by: User, material_id: str) -> tuple[Material, Path]:
        material = await self.material(by, material_id)
        return material, self.files.path(material.id)

    async def delete(self, by: User, material_id: str) -> Material:
        """The row first, then the file: a file left by a failure is swept later."""
        material = await self.material(by, material_id)
        await self._require(by, Action.MANAGE_MATERIALS, Target(by.school_id, material.class_id))
        await self._store.materials.delete(material.id)
        await self.files.remove(material.id)
        return material

    # --- the live room ---------------------------------------------------------------------

    async def room_material(self, session_id: str, material_id: str) -> Material:
        """A material the session's room may show: one of its class's (the class's own, or
        one uploaded to any of its lessons). The room token already proved the host may
        host; any other material, another class's or none at all, is "not found"."""
        session = await self._store.session(session_id)
        material = await self._store.materials.get(material_id) if material_id else None
        if (
            session is None
            or material is None
            or session.class_id is None
            or material.class_id != session.class_id
        ):
            raise NotFound("this material")
        return material

    def file_path(self, material_id: str) -> Path:
        """Where the material's PDF lies (a recording keeps a copy of what it showed)."""
        return self.files.path(material_id)

    async def sweep(self) -> int:
        """Files a crash left without a row, and abandoned uploads: removed."""

        async def known(material_id: str) -> bool:
            return await self._store.materials.get(material_id) is not None

        return await self.files.sweep(known)
