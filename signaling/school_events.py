"""Telling the pages open on /school, within a second, that a session they see was
scheduled, started, ended, moved or called off: the domain's `SessionChanges`, carried to
every node's open streams (`SchoolEvents`) and filtered there per person.

Two carriers behind one small interface (`SessionNews`), chosen in `create_app`: in process
(`LocalNews`, one server) or through Redis pub/sub (`school_events_redis.RedisNews`, a
district: a start on one node reaches a page whose stream is on another). A notice carries
ids only; each node reads the session back from the shared database and asks the domain who
may see it, so nothing a person may not see leaves the node's filter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from classroom.models import Session, User
from classroom.session_changes import Change

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 64
"""Notices one stream may lag behind; past it the page is told to look again ("resync")."""


@dataclass(frozen=True)
class Notice:
    """What crosses between nodes: which session changed how (ids only, never its record)."""

    school_id: str
    session_id: str
    change: Change


class Audience(Protocol):
    """The domain's side (`classroom.service.Classroom`): the session as written now, and who
    of a node's listeners sees it."""

    async def session_record(self, session_id: str) -> Session | None: ...
    async def told_of(self, people: list[User], session: Session) -> list[User]: ...


Deliver = Callable[[Notice], Awaitable[None]]


class SessionNews(Protocol):
    """A carrier of notices; the domain's `SessionChanges` on one side, `deliver` on every node."""

    async def changed(self, session: Session, change: Change) -> None: ...
    async def close(self) -> None: ...


SESSION_NEWS: web.AppKey[SessionNews] = web.AppKey("session_news")
"""The carrier `create_app` chose (tests wait for a district node's subscription on it)."""


class Listener:
    """One page's stream: whose it is, and the notices waiting for it (None: the server is
    closing, or the page fell behind and must look again)."""

    def __init__(self, user: User, sign_in: str) -> None:
        self.user = user
        self.sign_in = sign_in
        """The sign-in whose token opened it: signing out ends the stream at once."""
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_LIMIT)
        self.behind = False

    def put(self, event: dict[str, Any] | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A page that stopped reading: it gets "resync" and refetches its list.
            self.behind = True


class SchoolEvents:
    """This node's open streams, by school, and the delivery of notices to the right ones."""

    def __init__(self, view: Callable[[Session], dict[str, Any]]) -> None:
        """`view`: a session as the API shows it (`api_views.session_view`)."""
        self._view = view
        self._audience: Audience | None = None
        self._listeners: dict[str, set[Listener]] = {}

    def attach(self, audience: Audience) -> None:
        """The domain, once made (it is made with the carrier that feeds this hub)."""
        self._audience = audience

    @contextmanager
    def listen(self, user: User, sign_in: str) -> Iterator[Listener]:
        listener = Listener(user, sign_in)
        self._listeners.setdefault(user.school_id, set()).add(listener)
        try:
            yield listener
        finally:
            school = self._listeners.get(user.school_id, set())
            school.discard(listener)
            if not school:
                self._listeners.pop(user.school_id, None)

    def listening(self, school_id: str) -> int:
        return len(self._listeners.get(school_id, ()))

    async def deliver(self, notice: Notice) -> None:
        """Puts `notice` into the streams of those who see its session (none elsewhere)."""
        listeners = list(self._listeners.get(notice.school_id, ()))
        if not listeners or self._audience is None:
            return
        session = await self._audience.session_record(notice.session_id)
        if session is None or session.school_id != notice.school_id:
            return
        told = {u.id for u in await self._audience.told_of([x.user for x in listeners], session)}
        event = {"change": notice.change.value, "session": self._view(session)}
        for listener in listeners:
            if listener.user.id in told:
                listener.put(event)

    def signed_out(self, sign_ins: set[str]) -> int:
        """Ends the streams those sign-ins opened (signed out, a new password, deactivated)."""
        ended = [x for school in self._listeners.values() for x in school if x.sign_in in sign_ins]
        for listener in ended:
            listener.put(None)
        return len(ended)

    def close(self) -> None:
        """Ends every stream (the server stops): the pages reconnect to another node or later."""
        for school in self._listeners.values():
            for listener in school:
                listener.put(None)


class LocalNews:
    """One server: a change is delivered here, off the use case that made it."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._tasks: set[asyncio.Task[None]] = set()

    async def changed(self, session: Session, change: Change) -> None:
        task = asyncio.get_running_loop().create_task(
            _delivered(self._deliver, Notice(session.school_id, session.id, change))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _delivered(deliver: Deliver, notice: Notice) -> None:
    """`deliver`, its failure logged: a notice lost is caught up by the page's next look."""
    try:
        await deliver(notice)
    except Exception:
        logger.exception("could not tell the pages of %s", notice)
