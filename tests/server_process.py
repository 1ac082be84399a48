"""`python -m signaling` as a child process on a free loopback port, its output kept."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT = 60.0


def free_port() -> int:
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
def running_server(
    data_dir: Path, prefix: Sequence[str] = (), **env: str
) -> Iterator[ServerProcess]:
    """A server on a free loopback port with `env` on top of ours; stopped by its PID.
    `prefix` runs it through a command that execs it, as `ip netns exec <name>` does (the PID
    stays the server's)."""
    port = int(env["PORT"]) if "PORT" in env else free_port()
    full_env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "ICE_ADDRESSES": "127.0.0.1",
        "DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        # The demo links (a room outside any school) are printed only for a demo.
        "DEMO_SCHOOL": "1",
        # Tests read the per-participant series to diagnose a failure.
        "METRICS_DETAIL": "1",
        **env,
    }
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "signaling"],
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
