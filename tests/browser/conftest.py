"""Fixtures for browser tests: the real server as a subprocess, and Debian's Chromium."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.netns import Forwarders, Namespace, namespace

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60.0
LINK = re.compile(r"(Teacher|Pupil) link:\s*(\S+)")


@dataclass
class Server:
    """A running `python -m signaling` and the demo links it printed."""

    base_url: str
    teacher_link: str
    pupil_links: list[str]
    output: list[str] = field(default_factory=list)
    """Everything the server printed so far (kept for failure messages)."""

    def log_tail(self, lines: int = 60) -> str:
        return "".join(self.output[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_forever(stream: Any, output: list[str], changed: threading.Condition) -> None:
    # Drain the pipe for the server's whole life: a full pipe would block its logging.
    for line in stream:
        with changed:
            output.append(line)
            changed.notify_all()
    with changed:
        output.append("")  # end of output: the process has exited
        changed.notify_all()


@dataclass
class ServerProcess:
    """`python -m signaling` as a child process, its output read by a thread as it comes."""

    base_url: str
    process: subprocess.Popen[str]
    output: list[str]
    changed: threading.Condition

    def wait_for(self, ready: Callable[[list[str]], T | None], what: str) -> T:
        """`ready(output)` once it is not None; fails with the output if the server exits or
        stays silent for SERVER_START_TIMEOUT."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        with self.changed:
            while True:
                found = ready(self.output)
                if found is not None:
                    return found
                exited = self.process.poll() is not None or (self.output and self.output[-1] == "")
                remaining = deadline - time.monotonic()
                if exited or remaining <= 0:
                    why = "exited" if exited else f"printed no {what} in {SERVER_START_TIMEOUT} s"
                    tail = "".join(self.output[-80:])
                    raise RuntimeError(f"the server {why}; its output:\n{tail}")
                self.changed.wait(timeout=min(remaining, 1.0))


@contextmanager
def running_server(data_dir: Path, **env: str) -> Iterator[ServerProcess]:
    """A server on a free loopback port with `env` on top of ours; stopped by its PID."""
    port = _free_port()
    full_env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "ICE_ADDRESSES": "127.0.0.1",
        "DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "signaling"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    output: list[str] = []
    changed = threading.Condition()
    reader = threading.Thread(
        target=_read_forever, args=(process.stdout, output, changed), daemon=True
    )
    reader.start()
    try:
        yield ServerProcess(f"http://127.0.0.1:{port}", process, output, changed)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        reader.join(timeout=5)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("server-data")) as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        yield Server(running.base_url, teacher, pupils, running.output)


def _links(output: list[str]) -> tuple[str, list[str]] | None:
    teacher: str | None = None
    pupils: list[str] = []
    for line in output:
        match = LINK.search(line)
        if match and match.group(1) == "Teacher":
            teacher = teacher or match.group(2)
        elif match:
            pupils.append(match.group(2))
    return (teacher, pupils) if teacher and len(pupils) >= 2 else None


# Module scope, not session: while the sync API runs, the main thread has a running event loop,
# and pytest-asyncio tests collected after this module could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@contextmanager
def server_for_namespace(
    data_dir: Path, link: Namespace, **settings: str
) -> Iterator[tuple[Server, Forwarders]]:
    """A server whose pages are on 127.0.0.1 in both this host and `link`'s namespace (a secure
    context, so the camera works) and whose media goes over the link (its one ICE address,
    unless `settings` say otherwise)."""
    with running_server(data_dir, **{"ICE_ADDRESSES": link.host_address, **settings}) as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        with link.forward(int(running.base_url.rsplit(":", 1)[1])) as forwarders:
            yield Server(running.base_url, teacher, pupils, running.output), forwarders


@contextmanager
def browser_in_namespace(browser: Any, link: Namespace, directory: Path) -> Iterator[Any]:
    """A second Chromium, inside `link`'s namespace, started by the same Playwright."""
    wrapper = link.wrapper(directory, CHROMIUM)
    chromium = browser.browser_type.launch(
        executable_path=str(wrapper), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def link() -> Iterator[Namespace]:
    """A network namespace of the module's own, joined to this host by one link (a module
    that shapes the link overrides this fixture)."""
    with namespace() as ns:
        yield ns


@pytest.fixture(scope="module")
def far_browser(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, link: Namespace
) -> Iterator[Any]:
    """Chromium inside `link`'s namespace: a pupil whose network the test controls."""
    with browser_in_namespace(browser, link, tmp_path_factory.mktemp("netns")) as chromium:
        yield chromium
