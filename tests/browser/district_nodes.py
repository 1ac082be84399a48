"""A district for the browser tests: three `python -m signaling` processes on 127.0.0.1, one
redis-server and one PostgreSQL database, and what the tests ask of it (a link opened through
another node, which node holds which room, a node's /metrics, which node's process owns a UDP
port)."""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from bench.redis_server import RedisServer
from tests.postgres import Postgres
from tests.server_process import ServerProcess, free_port, running_server

SECRET = "district-test-secret-0123456789abcdef"
NAMES = ("node-a", "node-b", "node-c")


@contextmanager
def district_nodes(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
    postgres_server: Postgres,
    database: str,
) -> Iterator[dict[str, ServerProcess]]:
    """node-a, node-b and node-c on one new PostgreSQL database (`database`); node-a makes the
    demo school. Redis is emptied first: a node an earlier test killed still holds its name
    there until its lease runs out, and a node is refused a live node's name."""
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushdb()
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = postgres_server.url(database)
    started: dict[str, ServerProcess] = {}
    with ExitStack() as stack:
        for name in NAMES:
            port = free_port()
            env = {
                "PORT": str(port),
                "SECRET": SECRET,
                "DATABASE_URL": url,
                "REDIS_URL": redis_server.url,
                "NODE_ID": name,
                "NODE_URL": f"http://127.0.0.1:{port}",
                "DEMO_SCHOOL": "1" if name == "node-a" else "0",
            }
            node = stack.enter_context(running_server(tmp_path_factory.mktemp(name), **env))
            node.wait_for(lambda out: any("Server ready" in line for line in out) or None, "ready")
            started[name] = node
        yield started


def through(link: str, node: ServerProcess | Balancer) -> str:
    """The same link, opened on another node (as a load balancer would send it), or on a
    balancer."""
    parts = urlsplit(link)
    return urlunsplit(parts._replace(netloc=urlsplit(node.base_url).netloc))


def rooms_held(redis_server: RedisServer) -> list[str]:
    """The node of each room placed in the district."""
    with redis.Redis.from_url(redis_server.url) as client:
        return [str(client.hget(key, "node"), "utf-8") for key in client.keys("classroom:room:*")]


Series = dict[tuple[str, frozenset[tuple[str, str]]], float]
"""(metric name, its labels) → value."""


def scrape(node: ServerProcess) -> Series:
    """The node's /metrics (from this machine, so no token is asked)."""
    with urllib.request.urlopen(node.base_url + "/metrics", timeout=10) as response:
        body = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(series: Series, name: str) -> float:
    """An unlabelled series' value."""
    return series[(name, frozenset())]


def labelled(series: Series, name: str, label: str) -> set[str]:
    """The values of `label` among `name`'s series."""
    return {dict(labels)[label] for (n, labels) in series if n == name and label in dict(labels)}


def _descendants(pid: int) -> set[int]:
    """`pid` and every process under it (a node's SFU workers are its children)."""
    found = {pid}
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            children = [
                int(child)
                for task in Path(f"/proc/{parent}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
        except FileNotFoundError:
            continue  # it ended meanwhile
        for child in children:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def udp_port_owner(nodes: dict[str, ServerProcess], port: int) -> str | None:
    """The node whose process (or one of its SFU workers) has a UDP socket bound to `port`."""
    inodes: set[str] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for name, node in nodes.items():
        if node.process.poll() is not None:
            continue
        for pid in _descendants(node.process.pid):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except FileNotFoundError:
                continue  # it ended meanwhile
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in sockets:
                        return name
                except FileNotFoundError:
                    continue
    return None


class Balancer:
    """The load balancer's part in front of some nodes: each new TCP connection goes to the
    first of them that accepts it (a node killed refuses at once), as nginx's `upstream` with
    a backup would. A thread of its own runs it, beside the test's synchronous Playwright."""

    def __init__(self, backends: list[ServerProcess]) -> None:
        self._ports = [int(urlsplit(node.base_url).port or 0) for node in backends]
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._accept, "127.0.0.1", 0)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            for port in self._ports:
                try:
                    upstream = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    continue
                await asyncio.gather(
                    _copy(reader, upstream[1]), _copy(upstream[0], writer), return_exceptions=True
                )
                break
        finally:
            writer.close()
            self._tasks.discard(task)

    def __enter__(self) -> Balancer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """One direction of a connection, until its end (or the other side's) closes it."""
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        sink.close()
