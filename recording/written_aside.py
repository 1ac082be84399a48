"""A file written under a temporary name and renamed over its target when whole.

A reader (the player, the REST API, the next startup's recovery) sees the old file or the
new one, never half of one, and a failed write leaves no temporary file behind. The file's
bytes and the rename reach the disk before the call returns (fsync), so a power cut right
after does not leave a name pointing at nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_aside(target: Path) -> Iterator[Path]:
    """The temporary path to write; renamed to `target` when the block ends without error."""
    temporary = target.with_name(target.name + ".tmp")
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    settle(temporary, target)


def settle(written: Path, target: Path) -> None:
    """`written` flushed to the disk, renamed to `target`, and the rename flushed too."""
    if written.is_file():  # not a pipe or a device (a test's stuck "disk")
        with written.open("rb") as file:
            os.fsync(file.fileno())
    os.replace(written, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
