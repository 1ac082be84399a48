"""A real server on 127.0.0.1 with its own event loop on a thread, for synchronous tests
(hypothesis drives them example by example; schemathesis calls with `requests`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.loop_thread import LoopThread, loop_thread

from .conftest import RunningServer, serving


@dataclass
class ThreadedServer:
    server: RunningServer
    looping: LoopThread

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def threaded_server(tmp_path: Path, **settings: Any) -> Iterator[ThreadedServer]:
    """`serving(tmp_path, **settings)` on a loop of its own thread; stopped on exit."""
    with loop_thread() as looping:
        context = serving(tmp_path, **settings)
        server = looping.run(context.__aenter__())
        try:
            yield ThreadedServer(server, looping)
        finally:
            looping.run(context.__aexit__(None, None, None))


class ErrorRecords(logging.Handler):
    """Every record at ERROR or above, from any thread (the server's loop runs on its own)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def described(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}\n{self.format(r)}" for r in self.records]


@contextmanager
def error_records() -> Iterator[ErrorRecords]:
    """Collects ERROR records on the root logger while the block runs."""
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
