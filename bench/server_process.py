"""The classroom server as a child process (``python -m signaling``) for benches and tests.

It listens on 127.0.0.1 with ICE on 127.0.0.1 only, a fresh data directory and a known token
secret, and is stopped by its own PID, never by name.
"""

import asyncio
import os
import re
import secrets
import signal
import socket
import sys
from collections import deque
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt

from .processes import terminate
from .tokens import mint_token

_LINK = re.compile(r"^(Teacher|Pupil) link: (\S+)")
_READY = "Server ready on "
"""The server's last line of its start: every link before it has been printed."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """Starts the server, reads the links it prints, mints more tokens, stops it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        python: str = sys.executable,
        cwd: Path | None = None,
        cpu: int | str | None = None,
        extra_env: dict[str, str] | None = None,
        secret: str | None = None,
    ) -> None:
        """``cpu`` pins the server to one core, or to a ``taskset`` list of cores (``"0-2"``),
        so bots cannot steal its time; ``secret`` is one the nodes of a district share."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret = secret or secrets.token_urlsafe(32)
        self.links: dict[str, list[str]] = {"Teacher": [], "Pupil": []}
        self.output: deque[str] = deque(maxlen=2000)
        """The server's last output lines (stdout and stderr)."""
        self._data_dir = data_dir
        self._python = python
        self._cwd = cwd or Path(__file__).resolve().parent.parent
        self._cpu = cpu
        self._extra_env = extra_env or {}
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def teacher_token(self) -> str:
        return _token_of(self.links["Teacher"][0])

    @property
    def pupil_tokens(self) -> list[str]:
        return [_token_of(link) for link in self.links["Pupil"]]

    def room(self) -> str:
        """The demo room the printed links admit to (read from the teacher's token)."""
        claims = jwt.decode(self.teacher_token, self.secret, algorithms=["HS256"])
        return str(claims["room"])

    def token(self, identity: str, *, role: str = "pupil", room: str | None = None) -> str:
        """A fresh token for ``identity`` in ``room`` (default: the demo room)."""
        return mint_token(self.secret, identity, room or self.room(), role=role)

    async def start(self, *, within: float = 30.0) -> None:
        """Start the server and wait until it is ready (its links printed, if a demo)."""
        env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "ICE_ADDRESSES": "127.0.0.1",
            "DATA_DIR": str(self._data_dir),
            "SECRET": self.secret,
            "PYTHONUNBUFFERED": "1",
            # The demo links (a room outside any school) are printed only for a demo.
            "DEMO_SCHOOL": "1",
            **self._extra_env,
        }
        command = [self._python, "-m", "signaling"]
        if self._cpu is not None:
            command = ["taskset", "-c", str(self._cpu), *command]
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            *command,
            cwd=self._cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read_output())
        try:
            async with asyncio.timeout(within):
                await self._ready.wait()
        except TimeoutError:
            await self.stop()
            tail = "\n".join(list(self.output)[-30:])
            raise RuntimeError(f"the server did not say it was ready:\n{tail}") from None

    async def stop(self, *, within: float = 10.0) -> int | None:
        """Stop the server (SIGINT, then SIGKILL) and return its exit code."""
        process = self._process
        if process is None:
            return None
        code = await terminate(process, signal.SIGINT, within)
        if self._reader is not None:
            await self._reader
        return code

    async def __aenter__(self) -> "ServerProcess":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        # Keep draining after the links: a full pipe would block the server.
        async for raw in self._process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            match = _LINK.match(line)
            if match:
                self.links[match.group(1)].append(match.group(2))
            elif line.startswith(_READY):
                self._ready.set()


def _token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]
