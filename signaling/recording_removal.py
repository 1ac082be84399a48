"""Removing a stopped recording from disk: by a teacher's delete, or by the school's retention."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from .compositions import Compositions


async def remove_recording(compositions: Compositions, directory: Path) -> None:
    """Its composing stopped first (a child writing into a deleted folder would fail, or
    leave a stray MP4), then the folder, on a thread."""
    await compositions.cancel(directory)
    await asyncio.to_thread(shutil.rmtree, directory)
