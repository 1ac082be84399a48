"""A file written under a temporary name and renamed over its target when whole.

A reader (the player, the REST API, the next startup's recovery) sees the old file or the
new one, never half of one, and a failed write leaves no temporary file behind.
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
    os.replace(temporary, target)
