"""A class's materials on disk: `DATA_DIR/materials/<id>.pdf`, and what an upload goes through
before it is one.

An upload is written to `materials/tmp/` as it arrives (counted: past the limit it is thrown
away at once), an office document is converted to PDF by LibreOffice where the machine has it
(`soffice`, with a time limit), the PDF is opened by a child process with a time limit
(`classroom.pdf_inspect`), and only a file that passed all of it is renamed into place, the
same file system so the rename is whole. A refusal leaves nothing behind; a crash between
the file and its database row leaves a file no row names, which `sweep` removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ClassroomError

logger = logging.getLogger(__name__)

MAX_BYTES = 50 * 1024 * 1024
"""The largest file a teacher may upload, by default (MATERIALS_MAX_MB)."""
OPEN_SECONDS = 15.0
"""How long opening a PDF may take (the child's start included) before it is refused."""
CONVERT_SECONDS = 120.0
"""How long LibreOffice may take to turn a document into a PDF."""
ORPHAN_AGE = 3600.0
"""Seconds a file with no row must have lain before `sweep` removes it: an upload on another
node sharing DATA_DIR may be between its rename and its row right now."""
OFFICE_EXTENSIONS = frozenset({".docx", ".odt", ".pptx", ".odp"})
"""Documents converted to PDF where LibreOffice is installed."""
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
"""Where `classroom` is, for the child that opens a PDF (`python -m classroom.pdf_inspect`)."""
SNIFF_BYTES = 1024
"""A PDF's `%PDF-` may follow some junk; viewers look this far for it."""

# The stable codes of refused uploads (the REST API's statuses are in api_plumbing).
NOT_A_PDF = "not_a_pdf"
PDF_DAMAGED = "pdf_damaged"
PDF_ENCRYPTED = "pdf_encrypted"
PDF_EMPTY = "pdf_empty"
PDF_TOO_SLOW = "pdf_too_slow"
FILE_TOO_LARGE = "file_too_large"
CONVERSION_UNAVAILABLE = "conversion_unavailable"
CONVERSION_FAILED = "conversion_failed"


class MaterialRefused(ClassroomError):
    """An upload that cannot become a material; nothing of it was kept."""


@dataclass(frozen=True)
class Prepared:
    """A PDF that opened, waiting in the temporary folder to be kept."""

    path: Path
    pages: int
    size: int


class MaterialFiles:
    """Where materials lie, and the checks an upload passes on its way there."""

    def __init__(
        self,
        root: Path,
        max_bytes: int = MAX_BYTES,
        open_seconds: float = OPEN_SECONDS,
        convert_seconds: float = CONVERT_SECONDS,
        soffice: str | None = None,
    ) -> None:
        """`soffice`: LibreOffice's program; None looks for it on PATH (where it is not,
        office documents are refused with `conversion_unavailable`)."""
        self.root = root
        self.temp = root / "tmp"
        self.max_bytes = max_bytes
        self.open_seconds = open_seconds
        self.convert_seconds = convert_seconds
        self.soffice = soffice if soffice is not None else shutil.which("soffice")

    @property
    def limit(self) -> str:
        """The limit as people read it: "50 MB"."""
        if self.max_bytes >= 1024 * 1024:
            return f"{self.max_bytes // (1024 * 1024)} MB"
        return f"{max(1, self.max_bytes // 1024)} KB"

    def path(self, material_id: str) -> Path:
        return self.root / f"{material_id}.pdf"

    # --- an upload ---------------------------------------------------------------------

    async def receive(self, chunks: AsyncIterator[bytes]) -> Path:
        """The upload written to a temporary file as it comes; past `max_bytes` it is
        removed and refused at once (the rest is not read)."""
        await asyncio.to_thread(self.temp.mkdir, parents=True, exist_ok=True)
        path = self.temp / f"{secrets.token_hex(8)}.part"
        size = 0
        try:
            with path.open("wb") as file:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self.too_large()
                    await asyncio.to_thread(file.write, chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def too_large(self) -> MaterialRefused:
        return MaterialRefused(FILE_TOO_LARGE, f"the file is larger than {self.limit}", "file")

    async def prepare(self, upload: Path, name: str) -> Prepared:
        """The upload as a PDF that opens, with its pages (an office document converted
        first); `upload` is consumed either way: renamed, converted away, or removed."""
        try:
            head = await asyncio.to_thread(_head, upload)
            if b"%PDF-" not in head:
                if Path(name).suffix.lower() not in OFFICE_EXTENSIONS or not head.startswith(
                    b"PK\x03\x04"
                ):
                    raise MaterialRefused(
                        NOT_A_PDF, "the file is not a PDF (nor a document to convert)", "file"
                    )
                upload = await self.convert(upload, Path(name).suffix.lower())
            pages = await self.inspect(upload)
            size = (await asyncio.to_thread(upload.stat)).st_size
        except BaseException:
            upload.unlink(missing_ok=True)
            raise
        return Prepared(upload, pages, size)

    async def inspect(self, pdf: Path) -> int:
        """The PDF's pages, counted by a child process killed after `open_seconds`."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "classroom.pdf_inspect",
            str(pdf),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        try:
            out, _ = await asyncio.wait_for(child.communicate(), self.open_seconds)
        except TimeoutError:
            raise MaterialRefused(
                PDF_TOO_SLOW,
                f"the PDF takes longer than {self.open_seconds:g} s to open",
                "file",
            ) from None
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
        try:
            answer = json.loads(out.decode() or "null")
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            # Killed by its memory limit, or crashed: too much for it either way.
            raise MaterialRefused(PDF_TOO_SLOW, "the PDF is too complex to open", "file")
        problem = answer.get("problem")
        if problem == "encrypted":
            raise MaterialRefused(
                PDF_ENCRYPTED, "the PDF is protected by a password: upload one without", "file"
            )
        if problem == "too_complex":
            raise MaterialRefused(PDF_TOO_SLOW, "the PDF is too complex to open", "file")
        pages = answer.get("pages")
        if problem is not None or not isinstance(pages, int):
            raise MaterialRefused(PDF_DAMAGED, "the PDF is damaged and does not open", "file")
        if pages <= 0:
            raise MaterialRefused(PDF_EMPTY, "the PDF has no pages", "file")
        return pages

    async def convert(self, document: Path, extension: str) -> Path:
        """An office document as a PDF in the temporary folder, by LibreOffice."""
        if not self.soffice:
            raise MaterialRefused(
                CONVERSION_UNAVAILABLE,
                "this server cannot convert documents (LibreOffice is not installed):"
                " save it as a PDF and upload that",
                "file",
            )
        work = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=self.temp, prefix="convert-"))
        try:
            source = work / f"document{extension}"
            await asyncio.to_thread(os.replace, document, source)
            child = await asyncio.create_subprocess_exec(
                self.soffice,
                "--headless",
                "--norestore",
                "--nolockcheck",
                # A profile of its own: another conversion (or someone's open LibreOffice)
                # holding the default one would make this one wait or fail.
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work / "out"),
                str(source),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,  # its helper processes are killed with it
            )
            try:
                await asyncio.wait_for(child.wait(), self.convert_seconds)
            except TimeoutError:
                raise MaterialRefused(
                    CONVERSION_FAILED,
                    f"converting the document took longer than {self.convert_seconds:g} s",
                    "file",
                ) from None
            finally:
                if child.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    await child.wait()
            made = work / "out" / "document.pdf"
            if not made.is_file():
                raise MaterialRefused(
                    CONVERSION_FAILED, "the document could not be converted to PDF", "file"
                )
            result = self.temp / f"{secrets.token_hex(8)}.pdf"
            await asyncio.to_thread(os.replace, made, result)
            return result
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def keep(self, prepared: Prepared, material_id: str) -> Path:
        """The checked PDF renamed into place (one step: it is there whole, or not)."""
        final = self.path(material_id)
        await asyncio.to_thread(os.replace, prepared.path, final)
        return final

    async def discard(self, prepared: Prepared) -> None:
        await asyncio.to_thread(prepared.path.unlink, True)

    async def remove(self, material_id: str) -> None:
        await asyncio.to_thread(self.path(material_id).unlink, True)

    # --- housekeeping ------------------------------------------------------------------

    async def sweep(
        self, known: Callable[[str], Awaitable[bool]], older_than: float = ORPHAN_AGE
    ) -> int:
        """Removes what no upload will finish: files no row names (a crash between the file
        and its row) and temporary files, each older than `older_than` seconds; how many."""
        cutoff = time.time() - older_than
        removed = 0
        for path in await asyncio.to_thread(_older, self.root, "*.pdf", cutoff):
            if not await known(path.stem):
                await asyncio.to_thread(path.unlink, True)
                logger.warning("removed %s: no material names it", path)
                removed += 1
        for path in await asyncio.to_thread(_older, self.temp, "*", cutoff):
            if path.is_dir():
                await asyncio.to_thread(shutil.rmtree, path, True)
            else:
                await asyncio.to_thread(path.unlink, True)
            removed += 1
        return removed


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(SNIFF_BYTES)


def _older(folder: Path, pattern: str, cutoff: float) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            if path.lstat().st_mtime < cutoff:
                found.append(path)
    return found
