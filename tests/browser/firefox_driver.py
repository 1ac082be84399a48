"""Debian's Firefox ESR as a test's page: `tests/browser/firefox/drive.mjs` (puppeteer-core over
WebDriver BiDi) in a node child process, asked one JSON line at a time.

Node, not Python, speaks BiDi here: puppeteer-core makes Firefox's profile with the prefs a
test needs, starts and stops it, and evaluates functions in the page (awaiting promises,
returning JSON), which would otherwise be a BiDi client of our own to write and keep.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

FIREFOX = "/usr/bin/firefox-esr"
DRIVER = Path(__file__).resolve().parent / "firefox"
ANSWER_TIMEOUT = 60.0


def missing() -> list[str]:
    """What a Firefox test needs and this machine lacks (`make firefox` installs it all)."""
    lacking = []
    if not os.path.exists(FIREFOX):
        lacking.append(f"{FIREFOX} (Debian's firefox-esr)")
    if shutil.which("node") is None:
        lacking.append("node")
    if not (DRIVER / "node_modules" / "puppeteer-core" / "package.json").exists():
        lacking.append(f"puppeteer-core in {DRIVER / 'node_modules'} (npm ci)")
    return lacking


def _lines(stream: Any, into: queue.Queue[str | None] | list[str]) -> None:
    for line in stream:
        if isinstance(into, list):
            into.append(line)
        else:
            into.put(line)
    if not isinstance(into, list):
        into.put(None)  # the driver exited


class FirefoxPage:
    """One Firefox page, driven by `drive.mjs`."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.answers: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        """What the driver and Firefox printed on stderr (for failure messages)."""
        self.firefox_pid: int | None = None
        self.version = ""
        self._next_id = 0
        for stream, into in ((process.stdout, self.answers), (process.stderr, self.log)):
            threading.Thread(target=_lines, args=(stream, into), daemon=True).start()

    @classmethod
    @contextmanager
    def launched(cls, prefix: Sequence[str] = ()) -> Iterator[FirefoxPage]:
        """Firefox with an empty page; `prefix` runs the driver (and so Firefox) through a
        command that execs it, as `ip netns exec <name>` does. Both are stopped by PID."""
        process = subprocess.Popen(
            [*prefix, "node", str(DRIVER / "drive.mjs")],
            cwd=DRIVER,
            env={**os.environ, "FIREFOX": FIREFOX},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        page = cls(process)
        try:
            ready = page._read()
            page.firefox_pid, page.version = ready.get("pid"), ready.get("version", "")
            yield page
        finally:
            page._stop()

    def goto(self, url: str) -> None:
        self._ask("goto", url=url)

    def evaluate(self, function: str) -> Any:
        """`function`'s source (as Playwright takes it) called in the page; its result."""
        return self._ask("evaluate", function=function)

    def screenshot(self, path: Path) -> None:
        self._ask("screenshot", path=str(path))

    def errors(self) -> list[str]:
        """The page's uncaught errors so far."""
        errors: list[str] = self._ask("errors")
        return errors

    def log_tail(self, lines: int = 30) -> str:
        return "".join(self.log[-lines:])

    def _ask(self, op: str, **fields: Any) -> Any:
        self._next_id += 1
        request = {"id": self._next_id, "op": op, **fields}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if answer.get("id") != request["id"]:
            raise RuntimeError(f"the Firefox driver answered {answer} to {request}")
        if not answer["ok"]:
            raise RuntimeError(f"Firefox could not {op}: {answer['error']}")
        return answer["value"]

    def _read(self) -> dict[str, Any]:
        try:
            line = self.answers.get(timeout=ANSWER_TIMEOUT)
        except queue.Empty:
            raise RuntimeError(
                f"the Firefox driver said nothing for {ANSWER_TIMEOUT:.0f} s:\n{self.log_tail()}"
            ) from None
        if line is None:
            raise RuntimeError(f"the Firefox driver exited:\n{self.log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _stop(self) -> None:
        """Close Firefox through the driver; else SIGTERM the driver (puppeteer then kills
        Firefox), else SIGKILL both: the driver by its PID, Firefox by its own process group
        (puppeteer starts it detached: its PID is its group's id)."""
        process = self.process
        if process.poll() is None:
            with suppress(Exception):
                self._ask("close")
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        if self.firefox_pid is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.firefox_pid, signal.SIGKILL)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
