"""Fixtures for browser tests: the real server as a subprocess, and Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "ICE_ADDRESSES": "127.0.0.1",
        "DATA_DIR": str(tmp_path_factory.mktemp("server-data")),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "signaling"],
        cwd=ROOT,
        env=env,
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
        teacher, pupils = _wait_for_links(output, changed, process)
        yield Server(f"http://127.0.0.1:{port}", teacher, pupils, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)


def _wait_for_links(
    output: list[str], changed: threading.Condition, process: subprocess.Popen[str]
) -> tuple[str, list[str]]:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    with changed:
        while True:
            teacher: str | None = None
            pupils: list[str] = []
            for line in output:
                match = LINK.search(line)
                if match and match.group(1) == "Teacher":
                    teacher = teacher or match.group(2)
                elif match:
                    pupils.append(match.group(2))
            if teacher and len(pupils) >= 2:
                return teacher, pupils
            exited = process.poll() is not None or (output and output[-1] == "")
            remaining = deadline - time.monotonic()
            if exited or remaining <= 0:
                why = "exited" if exited else f"printed no links in {SERVER_START_TIMEOUT:.0f} s"
                raise RuntimeError(f"the server {why}; its output:\n{''.join(output[-80:])}")
            changed.wait(timeout=min(remaining, 1.0))


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
