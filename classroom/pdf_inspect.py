"""Opening an uploaded PDF to count its pages, in a child process the server can abandon.

A PDF is a program of sorts: a crafted page tree or a decompression bomb can keep a parser
busy for minutes or eat the machine's memory. So the server never parses one itself: it runs
`python -m classroom.pdf_inspect FILE`, which limits its own memory, opens the file with
pypdf and prints one JSON line, and kills it when it has not answered in time
(`material_files.MaterialFiles.inspect`). The answer is `{"pages": n}` or `{"problem": p}`,
p one of `PROBLEMS`.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

MEMORY_LIMIT = 1 << 30
"""Bytes of address space the child may map: a PDF that needs more is refused, not the
server's memory spent on it."""

PROBLEMS = ("damaged", "encrypted", "too_complex")


def inspect(path: str) -> dict[str, Any]:
    """What the file holds: its pages, or the problem with it."""
    # Imported here: the server's process only starts the child, never loads pypdf.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            # An owner password alone (printing forbidden, say) opens with an empty user
            # password, as every viewer does; a file that asks for a password cannot be shown.
            try:
                if not reader.decrypt(""):
                    return {"problem": "encrypted"}
            except (DependencyError, FileNotDecryptedError, NotImplementedError):
                return {"problem": "encrypted"}
        return {"pages": len(reader.pages)}
    except (LimitReachedError, MemoryError, RecursionError):
        return {"problem": "too_complex"}
    except FileNotDecryptedError:
        return {"problem": "encrypted"}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        return {"problem": "damaged"}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m classroom.pdf_inspect FILE", file=sys.stderr)
        return 2
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    print(json.dumps(inspect(argv[1])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
