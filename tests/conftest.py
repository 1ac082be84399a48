"""Fixtures every kind of test may use: a PostgreSQL server of the tests' own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import Postgres, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """Debian's PostgreSQL on 127.0.0.1, started once for the whole run when a test first
    asks for it. One that cannot start raises with its log: the tests that asked fail
    (an error at their setup), never skip."""
    with running_postgres() as server:
        yield server
