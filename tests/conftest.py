"""Fixtures every floor of the tests shares: the real services a district needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.redis_server import RedisServer, running_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Debian redis-server for the whole run; each test keeps to its own key prefix."""
    directory: Path = tmp_path_factory.mktemp("redis")
    with running_redis(directory) as server:
        yield server
