"""An upload on its way to being a material: real files through the real checks (pypdf in a
child process, LibreOffice where it is, stand-ins of it where it is not), each refusal with its
code, and nothing left behind by one."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from classroom.material_files import (
    CONVERSION_FAILED,
    CONVERSION_UNAVAILABLE,
    FILE_TOO_LARGE,
    NOT_A_PDF,
    PDF_DAMAGED,
    PDF_EMPTY,
    PDF_ENCRYPTED,
    PDF_TOO_SLOW,
    MaterialFiles,
    MaterialRefused,
)
from tests.pdfs import empty_pdf, encrypted_pdf, numbered_pdf, office_document, slow_pdf


async def chunks_of(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def left_in(root: Path) -> list[str]:
    """Every file under the materials' folder, temporary ones included."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def upload(files: MaterialFiles, data: bytes, name: str = "lesson.pdf") -> tuple[int, int]:
    """(pages, size) of what would be kept; the prepared file is kept under id "m1"."""
    prepared = await files.prepare(await files.receive(chunks_of(data)), name)
    await files.keep(prepared, "m1")
    return prepared.pages, prepared.size


async def refused(files: MaterialFiles, data: bytes, name: str = "lesson.pdf") -> str:
    with pytest.raises(MaterialRefused) as caught:
        await upload(files, data, name)
    assert caught.value.field == "file"
    return caught.value.code


@pytest.fixture
def files(tmp_path: Path) -> MaterialFiles:
    return MaterialFiles(tmp_path / "materials", soffice="")


async def test_a_pdf_is_kept_whole_with_its_pages_and_size(files: MaterialFiles) -> None:
    data = numbered_pdf(5)
    assert await upload(files, data) == (5, len(data))
    assert files.path("m1").read_bytes() == data
    assert left_in(files.root) == ["m1.pdf"]


async def test_a_file_that_is_no_pdf_is_refused_and_nothing_is_left(files: MaterialFiles) -> None:
    assert await refused(files, b"GIF89a" + bytes(2000), "cat.pdf") == NOT_A_PDF
    assert await refused(files, b"", "nothing.pdf") == NOT_A_PDF
    assert left_in(files.root) == []


async def test_a_pdf_that_does_not_open_is_damaged(files: MaterialFiles) -> None:
    assert await refused(files, b"%PDF-1.4\n" + os.urandom(4000)) == PDF_DAMAGED
    truncated = numbered_pdf(3)[:400]
    assert await refused(files, truncated) == PDF_DAMAGED
    assert left_in(files.root) == []


async def test_a_pdf_that_asks_for_a_password_is_refused(files: MaterialFiles) -> None:
    assert await refused(files, encrypted_pdf("secret")) == PDF_ENCRYPTED
    assert left_in(files.root) == []


async def test_a_pdf_with_only_an_owner_password_opens_as_viewers_open_it(
    files: MaterialFiles,
) -> None:
    assert (await upload(files, encrypted_pdf("", "owner")))[0] == 2


async def test_a_pdf_of_no_pages_is_refused(files: MaterialFiles) -> None:
    assert await refused(files, empty_pdf()) == PDF_EMPTY
    assert left_in(files.root) == []


async def test_a_file_past_the_limit_is_refused_while_it_arrives(tmp_path: Path) -> None:
    files = MaterialFiles(tmp_path / "materials", max_bytes=100_000, soffice="")
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b"%PDF-1.4\n"
        while True:
            sent += 10_000
            yield bytes(10_000)

    with pytest.raises(MaterialRefused) as caught:
        await files.receive(endless())
    assert (caught.value.code, caught.value.message) == (
        FILE_TOO_LARGE,
        "the file is larger than 97 KB",
    )
    assert sent <= 110_000  # stopped at the limit, not at the end of the stream
    assert left_in(files.root) == []


async def test_the_limit_is_said_in_megabytes(tmp_path: Path) -> None:
    files = MaterialFiles(tmp_path, max_bytes=50 * 1024 * 1024)
    assert files.too_large().message == "the file is larger than 50 MB"


async def test_a_pdf_that_takes_too_long_to_open_is_given_up_on_time(tmp_path: Path) -> None:
    files = MaterialFiles(tmp_path / "materials", open_seconds=1.0, soffice="")
    data = slow_pdf(groups=40)
    started = time.monotonic()
    assert await refused(files, data) == PDF_TOO_SLOW
    # The child was killed at its time, not waited for (it needs several seconds).
    assert time.monotonic() - started < 4.0
    assert left_in(files.root) == []


async def test_a_document_is_refused_with_its_own_code_where_no_libreoffice_is(
    files: MaterialFiles,
) -> None:
    assert await refused(files, office_document(), "Дроби.docx") == CONVERSION_UNAVAILABLE
    # The same bytes named as no document LibreOffice would take: simply not a PDF.
    assert await refused(files, office_document(), "archive.zip") == NOT_A_PDF
    assert left_in(files.root) == []


async def test_libreoffice_is_looked_for_on_the_path(tmp_path: Path) -> None:
    """Whatever this machine has: without LibreOffice (this project's machines, where it is
    not installed) a document is refused as unconvertible; with it, it is converted (or
    fails to be: this document is a stand-in)."""
    files = MaterialFiles(tmp_path / "materials")
    assert files.soffice == shutil.which("soffice")
    code = await refused(files, office_document(), "Дроби.docx")
    if files.soffice is None:
        assert code == CONVERSION_UNAVAILABLE
    else:
        assert code == CONVERSION_FAILED


def stand_in_soffice(folder: Path, body: str) -> str:
    """A program called like LibreOffice (`--convert-to pdf --outdir DIR FILE`) running
    `body` in sh, with $OUT the folder and $IN the document."""
    program = folder / "soffice"
    program.write_text(
        "#!/bin/sh\n"
        'for a; do case "$prev" in --outdir) OUT="$a";; esac; prev="$a"; IN="$a"; done\n'
        f"{body}\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return str(program)


async def test_a_document_is_converted_by_libreoffice_where_it_is(tmp_path: Path) -> None:
    pdf = tmp_path / "made.pdf"
    pdf.write_bytes(numbered_pdf(4))
    soffice = stand_in_soffice(
        tmp_path, f'mkdir -p "$OUT" && cp {pdf} "$OUT/$(basename "${{IN%.*}}").pdf"'
    )
    files = MaterialFiles(tmp_path / "materials", soffice=soffice)
    assert await upload(files, office_document(), "Дроби.pptx") == (4, pdf.stat().st_size)
    assert left_in(files.root) == ["m1.pdf"]


async def test_a_conversion_that_fails_or_hangs_is_refused_and_killed(tmp_path: Path) -> None:
    failing = MaterialFiles(tmp_path / "a", soffice=stand_in_soffice(tmp_path, "exit 1"))
    assert await refused(failing, office_document(), "Дроби.odt") == CONVERSION_FAILED
    assert left_in(failing.root) == []

    marker = tmp_path / "still-running"
    hangs = tmp_path / "hangs"
    hangs.mkdir()
    # A helper process of its own, as LibreOffice starts: it must die with it.
    soffice = stand_in_soffice(hangs, f"(sleep 3; touch {marker}) & sleep 30")
    hanging = MaterialFiles(tmp_path / "b", convert_seconds=0.5, soffice=soffice)
    started = time.monotonic()
    assert await refused(hanging, office_document(), "Дроби.docx") == CONVERSION_FAILED
    assert time.monotonic() - started < 3
    await asyncio.sleep(3.5)
    assert not marker.exists()
    assert left_in(hanging.root) == []


async def test_the_sweep_removes_files_no_row_names_once_they_are_old(
    files: MaterialFiles,
) -> None:
    files.root.mkdir(parents=True)
    files.temp.mkdir()
    for name in ("kept", "orphan", "fresh-orphan"):
        files.path(name).write_bytes(numbered_pdf(1))
    (files.temp / "abandoned.part").write_bytes(b"%PDF-")
    (files.temp / "convert-x").mkdir()
    hour_ago = time.time() - 7200
    for path in (files.path("kept"), files.path("orphan"), files.temp / "abandoned.part"):
        os.utime(path, (hour_ago, hour_ago))
    os.utime(files.temp / "convert-x", (hour_ago, hour_ago))

    async def known(material_id: str) -> bool:
        return material_id == "kept"

    assert await files.sweep(known) == 3
    # An upload on another node may be between its file and its row: a new file stays.
    assert left_in(files.root) == ["fresh-orphan.pdf", "kept.pdf"]
    assert not (files.temp / "convert-x").exists()
