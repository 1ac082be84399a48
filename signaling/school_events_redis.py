"""`SessionNews` for a district: notices published on one Redis channel that every node reads,
so a lesson started on one node reaches a /school page whose stream is open on another.

Pub/sub is at most once: a node that was cut off from Redis misses what was said meanwhile.
Its pages learn it from the stream's end (it is closed when the node loses Redis), since an
EventSource reconnects and the page refetches its list on every (re)connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from classroom.models import Session
from classroom.session_changes import Change

from .school_events import Deliver, Notice, _delivered

logger = logging.getLogger(__name__)

CHANNEL = "classroom:session-news"
Gap = Callable[[], None]
RETRY = 1.0
"""Seconds between tries to subscribe again after Redis went away."""


class RedisNews:
    def __init__(self, url: str, deliver: Deliver, on_gap: Gap | None = None) -> None:
        """`on_gap`: called when the subscription broke (notices may have been missed)."""
        # Two clients: the subscriber waits for news without a time limit; a publish that
        # does not go through in 2 s is given up (a hung Redis must not hold up a use case).
        self._subscriber = Redis.from_url(url, socket_connect_timeout=2)
        self._publisher = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._deliver = deliver
        self._on_gap = on_gap
        self._reader: asyncio.Task[None] | None = None
        self._publishing: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()
        """Set once subscribed (tests wait for it before publishing from another node)."""

    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def changed(self, session: Session, change: Change) -> None:
        """Published off the use case that wrote (it holds the store's write lock)."""
        task = asyncio.get_running_loop().create_task(self._publish(session, change))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, session: Session, change: Change) -> None:
        message = json.dumps(
            {"school": session.school_id, "session": session.id, "change": change.value}
        )
        try:
            await self._publisher.publish(CHANNEL, message)
        except (RedisError, OSError) as exc:
            # The write stands; the pages catch up when they next (re)connect.
            logger.warning("could not publish that session %s %s: %s", session.id, change, exc)

    async def _read(self) -> None:
        while True:
            pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.ready.set()
                async for message in pubsub.listen():
                    notice = _notice(message.get("data"))
                    if notice is not None:
                        await _delivered(self._deliver, notice)
            except (RedisError, OSError) as exc:
                logger.warning("session news from Redis stopped (%s); subscribing again", exc)
            finally:
                await asyncio.shield(_closed(pubsub))
            self.ready.clear()
            if self._on_gap is not None:
                self._on_gap()
            await asyncio.sleep(RETRY)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await asyncio.gather(*self._publishing, return_exceptions=True)
        await self._subscriber.aclose()
        await self._publisher.aclose()


async def _closed(pubsub: PubSub) -> None:
    try:
        await pubsub.aclose()
    except (RedisError, OSError):
        pass  # its connection is gone already


def _notice(data: object) -> Notice | None:
    try:
        fields = json.loads(data)  # type: ignore[arg-type]
        return Notice(str(fields["school"]), str(fields["session"]), Change(fields["change"]))
    except (TypeError, ValueError, KeyError):
        logger.warning("a session notice that is not one: %r", data)
        return None
