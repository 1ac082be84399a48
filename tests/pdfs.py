"""Real PDF files for the materials' tests, written byte by byte: a PDF of N pages, each with
its number drawn large in one colour (a browser test finds that colour's pixels on the page
drawn), one with no pages, one whose page tree takes seconds to read, and password-protected
ones (by pypdf, which the server itself opens PDFs with)."""

from __future__ import annotations

import io
import zlib

PAGE_COLOUR = (200, 30, 30)
"""The numbers' colour (RGB, 0-255): nothing else on a lesson page is this red."""


def _document(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A whole PDF file: its objects numbered 1..n, the cross-reference table, the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    count = max(objects) + 1
    for number in range(1, count):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for number in range(1, count):
        out += f"{offsets[number]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {count} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def numbered_pdf(pages: int, width: int = 960, height: int = 540) -> bytes:
    """`pages` landscape pages (16:9, like a slide), page n showing "n" large in PAGE_COLOUR
    and "Page n" small above it."""
    red, green, blue = (c / 255 for c in PAGE_COLOUR)
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    }
    kids = []
    for n in range(1, pages + 1):
        page, content = 2 + 2 * n, 3 + 2 * n
        kids.append(f"{page} 0 R")
        left, bottom = width / 2 - 100 * len(str(n)), height / 2 - 120
        text = (
            f"{red:.3f} {green:.3f} {blue:.3f} rg\n"
            f"BT /F1 360 Tf {left:.0f} {bottom:.0f} Td ({n}) Tj ET\n"
            f"0 0 0 rg BT /F1 28 Tf 40 {height - 60} Td (Page {n}) Tj ET\n"
        ).encode()
        stream = zlib.compress(text)
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>"
        ).encode()
        objects[content] = (
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            + stream
            + b"\nendstream"
        )
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    return _document(objects)


def empty_pdf() -> bytes:
    """A well-formed PDF whose page tree has no pages."""
    return _document(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [] /Count 0 >>",
        }
    )


def slow_pdf(groups: int = 60, per_group: int = 1000) -> bytes:
    """A valid PDF of groups × per_group empty pages (60,000 by default, ~6 MB) in a
    two-level page tree: counting them means parsing every page object, several seconds of
    pypdf's time on this machine, where an ordinary lesson's PDF takes milliseconds."""
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    number = 3
    group_ids = []
    for _ in range(groups):
        group = number
        kids = list(range(number + 1, number + 1 + per_group))
        number += 1 + per_group
        refs = " ".join(f"{k} 0 R" for k in kids)
        objects[group] = (
            f"<< /Type /Pages /Parent 2 0 R /Kids [{refs}] /Count {per_group} >>".encode()
        )
        page = f"<< /Type /Page /Parent {group} 0 R /MediaBox [0 0 612 792] >>".encode()
        for kid in kids:
            objects[kid] = page
        group_ids.append(group)
    refs = " ".join(f"{g} 0 R" for g in group_ids)
    objects[2] = f"<< /Type /Pages /Kids [{refs}] /Count {groups * per_group} >>".encode()
    return _document(objects)


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """A 2-page PDF encrypted by pypdf (RC4, which needs no crypto library); with an empty
    `user_password` it opens without one, as a viewer opens it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(numbered_pdf(2))))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def office_document() -> bytes:
    """The start of a .docx (a ZIP): what an office document looks like to the server."""
    payload = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document>Дроби</document>")
    return payload.getvalue()


SLIDE_COLOURS = ((30, 90, 200), (40, 160, 60), (200, 30, 30), (230, 200, 40))
"""Each page's colour in `coloured_pdf`: blue, green, red, yellow (page 3 red)."""


def coloured_pdf(colours: tuple[tuple[int, int, int], ...] = SLIDE_COLOURS) -> bytes:
    """A landscape (16:9) page per colour, each filled whole with it: a recording's composed
    frame or a playback's canvas shows which page it is by its colour alone."""
    width, height = 960, 540
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    kids = []
    for n, (r, g, b) in enumerate(colours, start=1):
        page, content = 1 + 2 * n, 2 + 2 * n
        kids.append(f"{page} 0 R")
        fill = f"{r / 255:.3f} {g / 255:.3f} {b / 255:.3f} rg 0 0 {width} {height} re f\n".encode()
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}]"
            f" /Contents {content} 0 R >>"
        ).encode()
        objects[content] = f"<< /Length {len(fill)} >>\nstream\n".encode() + fill + b"\nendstream"
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(colours)} >>".encode()
    return _document(objects)
