"""What every connection shares, built once by the app factory (`ServerState`), and what a
live session's room does when it opens, starts, loses its host and ends."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import WSCloseCode

from classroom.materials import Material
from classroom.models import ChatLine
from classroom.poll_records import PollAnswer, PollRecord
from recording.remux import participant_files
from recording.sidecar import session_folder
from sfu.control import SfuControl

from . import departure
from .absence import Absences
from .auth import TokenIssuer
from .broadcasts import Broadcasts
from .cascade import CascadeSfu
from .compositions import Compositions
from .door import Door
from .hostless import HostlessTimers
from .rooms import LiveRooms
from .routing import LocalRouter, Router
from .turn import TurnConfig

if TYPE_CHECKING:
    from .session import Session

logger = logging.getLogger(__name__)

CLOSE_REPLACED = 4001
"""Close code for a socket whose participant joined again elsewhere: unlike 1001 (server going
away) the client must not reconnect, or two devices would keep knocking each other out."""


CLOSE_ENDED = 4002
"""Close code when a host ended the session: the client shows "ended" and does not reconnect."""

CLOSE_SIGNED_OUT = 4004
"""Close code when the sign-in the token came from ended (signed out everywhere, a new
password, a deactivated account): the client asks the person to sign in again."""


class SessionRecord(Protocol):
    """What the classroom keeps of a session's room: who came and went, what was said."""

    async def check_open(self, session_id: str) -> bool:
        """Whether the room's session is live; ClassroomError session_ended if it ended."""

    async def host_arrived(self, session_id: str) -> None:
        """A host entered: a scheduled session starts."""

    async def arrived(self, session_id: str, user_id: str, name: str) -> int | None:
        """A stay began; its id (None: the room is no recorded session)."""

    async def departed(self, stay_id: int) -> None: ...

    async def said(
        self, session_id: str, user_id: str, name: str, text: str, ts: float
    ) -> None: ...

    async def recent_chat(self, session_id: str, limit: int) -> list[ChatLine]: ...

    async def removed(self, session_id: str, user_id: str) -> None: ...

    async def title(self, session_id: str) -> str | None:
        """The session's title (None: the room is no session)."""

    async def is_removed(self, session_id: str, user_id: str) -> bool: ...

    async def broadcasts(self, session_id: str) -> bool:
        """Whether the room is also sent out as live HLS (an event's)."""

    async def expected_size(self, session_id: str) -> int:
        """How many the room is expected to hold (a district places it by that)."""

    async def hostless_ends(self, session_id: str) -> bool:
        """Whether the room is a live session that ends when it has no host for a while."""

    async def end_live(self, session_id: str) -> None:
        """The session ends now (a host's "end for everyone", or no host for too long)."""

    async def audience_over_hls(self, session_id: str) -> bool:
        """Whether its audience is sent to the HLS instead of WebRTC."""

    # polls kept with the lesson (issue 18); a room that is no session keeps none

    async def poll_asked(self, poll: PollRecord) -> None: ...

    async def poll_answered(self, session_id: str, answer: PollAnswer) -> None:
        """The person's answer, replacing their earlier one."""

    async def poll_closed(self, session_id: str, poll_id: str) -> None: ...

    async def open_polls(self, session_id: str) -> list[tuple[PollRecord, list[PollAnswer]]]:
        """The session's polls still open, with their answers (a room that starts again)."""


class RoomMaterials(Protocol):
    """The materials a session's room may show (`classroom.materials.Materials`)."""

    async def room_material(self, session_id: str, material_id: str) -> Material:
        """One of the session's class's materials; ClassroomError not_found for any other."""

    def file_path(self, material_id: str) -> Path:
        """Where the material's PDF lies."""


@dataclass
class ServerState:
    """Everything a session needs, built once by the app factory."""

    issuer: TokenIssuer
    sfu: SfuControl
    rooms: LiveRooms
    record: SessionRecord | None = None
    """What the classroom keeps of each session's room (None: rooms are only rooms)."""
    sessions: set[Session] = field(default_factory=set)
    errors_sent: dict[str, int] = field(default_factory=dict)
    turn: TurnConfig | None = None
    """TURN credentials go into every `joined` (see signaling/turn.py)."""
    ice_transport_policy: str = "all"
    absences: Absences = field(default_factory=Absences)
    """Participants whose connection dropped, kept for a while (signaling/absence.py)."""
    recordings: Path | None = None
    """Where recordings are written, a directory per session (None: recording is off)."""
    background: set[asyncio.Task[None]] = field(default_factory=set)
    """Work after a recording (remuxing), kept until done."""
    pending: set[asyncio.Task[None]] = field(default_factory=set)
    """A connection's leaving, and work one connection's event started for another (a join
    the session's start or a host let in, a leave once the grace period ran out): each
    writes to the classroom, so `close` waits for it."""
    compositions: Compositions | None = None
    """Composes a recording into one MP4 once it is remuxed."""
    broadcasts: Broadcasts | None = None
    """Live HLS of the rooms that are events (None: none is broadcast)."""
    hostless: HostlessTimers | None = None
    """Ends live sessions left without a host (signaling/hostless.py; None: they never do)."""
    sign_in_alive: Callable[[str, str], Awaitable[bool]] | None = None
    """(sign-in id, user id): whether a room token's sign-in still holds (None: not checked)."""
    router: Router = field(default_factory=LocalRouter)
    """Which node holds a room (signaling/routing.py): always this one unless in a district."""
    door: Door | None = None
    """Relays connections to the rooms other nodes hold (None: not in a district)."""
    cascade: CascadeSfu | None = None
    """In a district: `sfu`, spreading watch-only peers over the nodes they came in by."""
    materials: RoomMaterials | None = None
    """The classroom's materials a room's host may show (None: rooms show none)."""
    breakout_min_seconds: float = 60.0
    """The shortest breakout a host may ask for (Config.breakout_min_seconds)."""

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` for a connection, kept in `pending` until done."""
        task = asyncio.get_running_loop().create_task(work)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return task

    async def close(self) -> None:
        """Before the SFU and the classroom's store close: no more hostless ends, and every
        write started for a connection done."""
        if self.hostless is not None:
            await self.hostless.close()
        while self.pending:  # a join let in may let in others (a host starts the session)
            await asyncio.gather(*self.pending, return_exceptions=True)

    def sign_out(self, sign_ins: set[str]) -> int:
        """Sign-ins ended: close every connection a token of theirs opened; how many."""
        ended = [s for s in self.sessions if s.sign_in is not None and s.sign_in in sign_ins]
        for session in ended:
            session.send({"type": "signed_out"})
            session.close_soon(CLOSE_SIGNED_OUT)
        return len(ended)

    async def room_opened(self, room: str) -> None:
        """The SFU opened the room: an event's starts (or goes on) being broadcast. In the
        background: the first performer does not wait for the encoder to start."""
        if self.broadcasts is None or self.record is None or not await self.record.broadcasts(room):
            return
        task = asyncio.get_running_loop().create_task(self.broadcasts.attach(room, self.sfu))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def recording_finished(self, room: str, recording_id: str) -> None:
        """Make the stopped recording watchable at once: each participant's tracks into one
        WebM, on a thread (remuxing, no decoding), while the lesson's pages go on."""
        if self.recordings is None:
            return
        directory = session_folder(self.recordings, room) / recording_id

        async def remux() -> None:
            try:
                made = await asyncio.to_thread(participant_files, directory)
            except Exception:
                logger.exception("remuxing %s failed", directory)
            else:
                logger.info("%s: playable per participant: %s", directory, sorted(made))
            if self.compositions is not None:
                self.compositions.submit(directory)

        task = asyncio.get_running_loop().create_task(remux())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def end_room(self, room: str, reason: str = "ended") -> None:
        """The session ended: tell everyone in its room why (`reason`: "ended" by a host,
        "no_host" when nobody ran it for too long), then close their sockets."""
        if self.hostless is not None:
            self.hostless.host_here(room)
        farewell: dict[str, Any] = {"type": "session_ended", "reason": reason}
        if reason == "no_host":
            farewell["minutes"] = math.ceil(self.hostless_after / 60)
        self.rooms.broadcast(room, farewell)
        waiting = list(self.rooms.lobby(room).values())
        for session in waiting:
            session.send(farewell)
        for session in [*self.rooms.connections(room).values(), *waiting]:
            session.close_soon(CLOSE_ENDED)
        for session in self.rooms.started(room):
            session.send(farewell)
            session.close_soon(CLOSE_ENDED)
        for away in self.absences.in_room(room):
            self.absences.drop(room, away.participant.id)
            await departure.depart(away.session)
        self.rooms.forget_room(room)
        if self.broadcasts is not None:
            await self.broadcasts.stop(room)

    async def room_lost(self, room: str) -> None:
        """Another node of the district holds the room now (this one stalled past its
        lease): everyone here reconnects (close code 1012, as for a restart) and is sent
        there; those who dropped off are not kept for a room that is not here."""
        for session in [
            *self.rooms.connections(room).values(),
            *self.rooms.lobby(room).values(),
            *self.rooms.started(room),
        ]:
            session.close_soon(WSCloseCode.SERVICE_RESTART)
        for away in self.absences.in_room(room):
            self.absences.drop(room, away.participant.id)
            await departure.depart(away.session)
        # Its moderation (removals, the lock) is the new node's now, read from the records.
        self.rooms.forget_room(room)
        if self.broadcasts is not None:
            await self.broadcasts.stop(room)  # the new node broadcasts it now

    async def start_room(self, room: str) -> None:
        """The session went live: those waiting for its start come in (or to its lobby)."""
        for session in self.rooms.started(room):
            session.session_started()
        await self.host_presence(room)

    async def end_for_everyone(self, room: str) -> None:
        """A host in the room ended it (their token's `moderate` grant is the authority)."""
        if self.record is not None:
            await self.record.end_live(room)
        await self.end_room(room)

    async def host_presence(self, room: str) -> None:
        """Someone came or went: a live session's room without a host starts its clock."""
        if self.hostless is None or self.record is None:
            return
        # Someone dropped off and coming back is still in the roster: still there.
        if self._has_host(room):
            self.hostless.host_here(room)
        elif (
            self.hostless.waiting(room) is None
            and await self.record.hostless_ends(room)
            and not self._has_host(room)  # again: a host may have come while it was asked
        ):
            self.hostless.host_gone(room)

    def _has_host(self, room: str) -> bool:
        roster = self.rooms.present(room)
        return roster is not None and any(p.grants.moderate for p in roster.participants.values())

    def room_status(self, room: str) -> dict[str, Any]:
        """Who is in a live session's room, for the school page."""
        roster = self.rooms.present(room)
        people = [p for p in roster.participants.values() if not p.audience] if roster else []
        left = self.hostless.waiting(room) if self.hostless is not None else None
        return {
            "people": len(people) + (roster.audience_count if roster else 0),
            "host": any(p.grants.moderate for p in people),
            "ends_at": None if left is None else round(time.time() + left),
        }

    async def end_hostless(self, room: str) -> None:
        """Nobody ran the session for `hostless.after` seconds: it ends, and says so."""
        if self.record is None or not await self.record.hostless_ends(room):
            return
        if self._has_host(room):
            return  # a host came in as the clock ran out
        if await self.router.owner(room) is not None:
            return  # another node of the district holds the room, and keeps its own clock
        logger.info("%s: no host for %.0f s, ending it", room, self.hostless_after)
        await self.record.end_live(room)
        await self.end_room(room, reason="no_host")

    @property
    def hostless_after(self) -> float:
        return self.hostless.after if self.hostless is not None else 0.0
