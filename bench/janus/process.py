"""One Janus process for the bench: private config, loopback-only ICE, own PID, log to a file.

Janus is started with the ``getifaddrs`` shim preloaded (see ifaddrs_shim.c), optionally
pinned with ``taskset``, and is stopped by its own PID (SIGTERM, then SIGKILL), never by name.
"""

import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import aiohttp

from ..media import DEFAULT_CACHE_DIR
from ..processes import terminate
from ..server_process import free_port
from .config import JanusConfig, write_config

SHIM_SOURCE = Path(__file__).resolve().parent / "ifaddrs_shim.c"


def loopback_shim(cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """The compiled shim, built with ``cc`` on first use and cached by its source's hash."""
    source = SHIM_SOURCE.read_bytes()
    library = cache_dir / f"libjanusloopback-{hashlib.sha256(source).hexdigest()[:12]}.so"
    if library.exists():
        return library
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: two benches starting at once never load half a file.
    fd, partial = tempfile.mkstemp(dir=cache_dir, suffix=".so.partial")
    os.close(fd)
    try:
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-o", partial, str(SHIM_SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
        os.replace(partial, library)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return library


class JanusProcess:
    """Writes a config folder, starts ``janus`` on it, waits for its API, stops it."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        cpu: int | None = None,
        executable: str = "janus",
        http_port: int | None = None,
        rtp_ports: tuple[int, int] = (20000, 29999),
        debug_level: int = 2,
        event_loops: int = 1,
    ) -> None:
        """``cpu`` pins Janus to one core. The default RTP range stays below Linux's ephemeral
        ports (32768+), where our own server and the bots bind theirs."""
        self._own_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="bench-janus-"))
        self.log_path = self.folder / "janus.log"
        self._cpu = cpu
        self._executable = executable
        self._debug_level = debug_level
        self._event_loops = event_loops
        self._http_port = http_port
        self._rtp_ports = rtp_ports
        self._process: asyncio.subprocess.Process | None = None
        self.config: JanusConfig | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def url(self) -> str:
        if self.config is None:
            raise RuntimeError("Janus has not been started")
        return self.config.url

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    async def start(self, *, within: float = 15.0) -> None:
        """Start Janus and wait until its HTTP API answers ``info``."""
        executable = shutil.which(self._executable)
        if executable is None:
            raise FileNotFoundError("janus is not installed: run `make janus`")
        shim = await asyncio.to_thread(loopback_shim)
        self.config = await asyncio.to_thread(
            write_config,
            self.folder,
            http_port=self._http_port or free_port(),
            rtp_ports=self._rtp_ports,
            debug_level=self._debug_level,
            event_loops=self._event_loops,
        )
        command = [executable, "--config", str(self.config.main_file)]
        command += ["--configs-folder", str(self.folder)]
        if self._cpu is not None:
            command = ["taskset", "-c", str(self._cpu), *command]
        env = {**os.environ, "LD_PRELOAD": str(shim)}
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *command,
                cwd=self.folder,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            await self._wait_ready(within)
            self._check_shim(shim)
        except BaseException:
            await self.stop()
            raise

    async def stop(self, *, within: float = 10.0) -> int | None:
        """Stop Janus (SIGTERM, then SIGKILL) and return its exit code. Idempotent."""
        process = self._process
        if process is None:
            return None
        return await terminate(process, signal.SIGTERM, within)

    def remove_folder(self) -> None:
        """Delete the config folder (and log) if this object made it."""
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    async def __aenter__(self) -> "JanusProcess":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _check_shim(self, shim: Path) -> None:
        # Without the shim Janus finds no usable interface in its enforce list and libnice
        # falls back to every address the machine has: refuse to run rather than use them.
        assert self._process is not None
        maps = Path(f"/proc/{self._process.pid}/maps").read_text()
        if str(shim) not in maps:
            raise RuntimeError(f"the loopback shim is not loaded into Janus:\n{self.log_tail()}")

    async def _wait_ready(self, within: float) -> None:
        assert self._process is not None
        info_url = f"{self.url}/info"
        async with aiohttp.ClientSession() as http:
            try:
                async with asyncio.timeout(within):
                    while True:
                        if self._process.returncode is not None:
                            raise RuntimeError(
                                f"Janus exited ({self._process.returncode}):\n{self.log_tail()}"
                            )
                        with contextlib.suppress(aiohttp.ClientError):
                            async with http.get(info_url) as response:
                                if response.status == 200:
                                    info = await response.json(content_type=None)
                                    if info.get("janus") == "server_info":
                                        return
                        await asyncio.sleep(0.05)
            except TimeoutError:
                raise RuntimeError(f"Janus did not answer info:\n{self.log_tail()}") from None
