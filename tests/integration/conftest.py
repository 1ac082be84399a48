"""A real server on 127.0.0.1 (in the test's event loop) and tokens to join it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from classroom.roles import Grants, Role, default_grants
from signaling.app import STATE, create_app
from signaling.auth import TokenIssuer
from signaling.config import Config
from signaling.server_state import ServerState
from tests.server_process import free_port

from .class_lesson import Lesson, class_lesson
from .school_api import School, open_school

ROOM = "7b-maths"


@dataclass
class RunningServer:
    url: str
    config: Config
    app: web.Application

    @property
    def state(self) -> ServerState:
        return self.app[STATE]

    def token(
        self,
        identity: str,
        role: Role = Role.PUPIL,
        grants: Grants | None = None,
        room: str = ROOM,
        ttl: int = 600,
    ) -> str:
        return TokenIssuer(self.config.secret).issue(
            identity, identity.title(), room, role, grants or default_grants(role), ttl
        )

    async def counters(self) -> dict[str, int]:
        return await self.state.sfu.stats()


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[RunningServer]:
    """A server with these `Config` settings on top of the tests' defaults."""
    config = Config(
        **{
            "port": free_port(),
            "data_dir": tmp_path,
            "secret": "integration-secret-0123456789abcdef",
            # Tests read the per-participant series (a school's server keeps them off).
            "metrics_detail": True,
            **settings,
        }
    )
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    try:
        yield RunningServer(config.base_url, config, app)
    finally:
        await runner.cleanup()


@pytest.fixture
async def school(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[School]:
    """A school on the real app (in process), its admin signed in (REST tests)."""
    async for state in open_school(aiohttp_client, tmp_path):
        yield state


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with serving(tmp_path) as running:
        yield running


@pytest.fixture
async def lesson(server: RunningServer) -> AsyncIterator[Lesson]:
    """A started lesson of class 7Б and its people (class_lesson.py), for room tests."""
    async with class_lesson(server) as started:
        yield started
