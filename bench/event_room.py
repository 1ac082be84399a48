"""A live event in a fresh server's database, for the benches that need its HLS.

Our server broadcasts a room over HLS only when the room is an event of a school (the
classroom says so). A bench starts the server on a data directory prepared here: a school,
its admin, and one event, started. Tokens for the stage and the audience are minted with the
server's secret, carrying what the REST API would put in them: `music` for the performer,
the signed HLS path for the audience.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path

from classroom.models import SessionKind
from classroom.service import Classroom
from classroom.sqlite_store import SqliteStore
from signaling.stream_keys import StreamKeys

from .tokens import mint_token

TTL = 3 * 3600


@dataclass(frozen=True)
class EventRoom:
    room: str
    """The event's session id: its room."""

    def performer_token(self, secret: str, identity: str = "performer") -> str:
        return mint_token(
            secret, identity, self.room, role="teacher", ttl=TTL, extra={"music": True}
        )

    def hls_path(self, secret: str) -> str:
        return StreamKeys(secret).path(self.room, TTL)

    def viewer_token(self, secret: str, identity: str) -> str:
        return mint_token(
            secret,
            identity,
            self.room,
            role="guest",
            ttl=TTL,
            extra={"hls": self.hls_path(secret), "title": "Concert", "kind": "event"},
        )


async def prepare_event(data_dir: Path, database: Path | None = None) -> EventRoom:
    """A school with one live event in `data_dir`'s database (where the server will look;
    a running server sees it at once: it reads sessions from the database), or in
    `database` (a district's nodes share one, ``DATABASE``)."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    store = await SqliteStore.open(database or data_dir / "classroom.sqlite3")
    try:
        classroom = Classroom(store)
        login = f"bench-{secrets.token_hex(4)}"
        admin = await classroom.create_school("Bench school", "Bench", login, "bench-password")
        event = await classroom.create_session(admin, SessionKind.EVENT, "Concert")
        await classroom.start_session(admin, event.id)
        return EventRoom(event.id)
    finally:
        await store.close()
