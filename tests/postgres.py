"""Debian's PostgreSQL for the tests: a server of their own, never the system's cluster.

`initdb` makes a fresh cluster in a new directory under /tmp, and `postgres` serves it on
127.0.0.1 only (a free port; its unix socket in that directory, not /var/run/postgresql),
until it is stopped by its PID and the directory removed. PostgreSQL refuses to run as root:
as root, the directory belongs to the `postgres` system user and both programs run as it
(`setpriv`, which execs, so the PID we hold is the server's own). A server that does not
start raises with its log, so the tests that need it fail rather than skip.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import psycopg

from tests.server_process import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Postgres:
    """A running test server: its superuser's URL for any database on it."""

    port: int
    password: str
    directory: Path
    process: subprocess.Popen[bytes]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        return _log(self.directory)


def bin_dir() -> Path:
    """Debian's newest PostgreSQL (`make postgresql` installs it)."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if not found:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb: run `make postgresql`")
    return Path(found[-1]).parent


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    directory = Path(tempfile.mkdtemp(prefix="classroom-postgres-"))
    try:
        as_owner = _owner(directory)
        password = secrets.token_urlsafe(16)
        (directory / "password").write_text(password)
        binaries = bin_dir()
        _initdb(as_owner, binaries, directory)
        port = free_port()
        with open(directory / "postgres.log", "ab") as log:
            process = subprocess.Popen(
                [
                    *as_owner,
                    str(binaries / "postgres"),
                    "-D",
                    str(directory / "data"),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"port={port}",
                    "-c",
                    f"unix_socket_directories={directory}",
                    # A throwaway cluster: durability buys nothing and costs fsyncs.
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        try:
            server = Postgres(port, password, directory, process)
            _wait_ready(server)
            yield server
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _owner(directory: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's programs as the directory's owner: as root,
    the `postgres` system user (given the directory); otherwise ourselves."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("postgres")
    os.chown(directory, user.pw_uid, user.pw_gid)
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def _initdb(as_owner: list[str], binaries: Path, directory: Path) -> None:
    password_file = directory / "password"
    if as_owner:
        user = pwd.getpwnam("postgres")
        os.chown(password_file, user.pw_uid, user.pw_gid)
    done = subprocess.run(
        [
            *as_owner,
            str(binaries / "initdb"),
            "-D",
            str(directory / "data"),
            "--username=postgres",
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_ready(server: Postgres) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"postgres exited ({server.process.returncode}) at start:\n{server.log()}"
            )
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"postgres did not accept connections in {START_TIMEOUT:.0f} s ({error}):\n"
                    f"{server.log()}"
                ) from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: clients disconnected, then a clean stop); SIGKILL if stuck."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log(directory: Path) -> str:
    path = directory / "postgres.log"
    return path.read_text(errors="replace") if path.exists() else "(no log)"


def _major(initdb: str) -> int:
    """15 from /usr/lib/postgresql/15/bin/initdb."""
    version = Path(initdb).parts[-3]
    return int(version) if version.isdigit() else 0
