"""A district node's live rooms whose session has ended: closed when the node next looks.

Ending a session writes it ended in the school's database, then asks the room's node to close
the room (signaling/room_calls.py). When that node cannot be reached from the node the
teacher's request came to (a network split between them, a node busy past the call's
timeout), the session is ended all the same and the teacher told so; the room's own node
finds out here, from the shared database, within `SWEEP` seconds, and closes it as if told.
"""

from __future__ import annotations

import asyncio
import logging

from classroom.errors import SESSION_ENDED, ClassroomError

from .server_state import ServerState

logger = logging.getLogger(__name__)

SWEEP = 5.0
"""Seconds between two looks (one query per live room per look)."""


class EndedRooms:
    def __init__(self, state: ServerState, every: float = SWEEP) -> None:
        self._state = state
        self._every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def sweep(self) -> list[str]:
        """Close the rooms here whose session the database says has ended; which they were."""
        record = self._state.record
        if record is None:
            return []
        ended = []
        for room in list(self._state.rooms.head_counts()):
            try:
                await record.check_open(room)
            except ClassroomError as exc:
                if exc.code != SESSION_ENDED:
                    raise
                logger.info("session %s ended elsewhere: closing its room here", room)
                await self._state.end_room(room)
                ended.append(room)
        return ended

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.sweep()
            except Exception:  # the database away for a moment: the next look tries again
                logger.exception("cannot look for rooms whose session ended")
