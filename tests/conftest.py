"""Fixtures every floor of the tests shares: the real services a district needs (Redis, and
PostgreSQL for the schools)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.redis_server import RedisServer, running_redis
from tests.postgres import Postgres, running_postgres


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Debian redis-server for the whole run; each test keeps to its own key prefix."""
    directory: Path = tmp_path_factory.mktemp("redis")
    with running_redis(directory) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """Debian's PostgreSQL on 127.0.0.1, started once for the whole run when a test first
    asks for it. One that cannot start raises with its log: the tests that asked fail
    (an error at their setup), never skip."""
    with running_postgres() as server:
        yield server
