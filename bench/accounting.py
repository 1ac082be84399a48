"""Resource accounting from /proc: CPU seconds and RSS of the server's processes, and the bots'.

A `ProcSampler` reads /proc/<pid>/stat (utime + stime) and /proc/<pid>/status (VmRSS) of a
changing set of PIDs every `interval` seconds while a measurement window runs, together with
this process's own CPU time and event-loop lag, and turns them into a `Usage`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .loop_monitor import LoopLagMonitor

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
# The bots count as saturated above this share of the cores they may run on: past it their
# own queueing, not the server, decides loss and delay.
BOTS_CPU_LIMIT = 0.90
# Timers firing this late (p99) mean a 30 fps publisher cannot keep its pace (33 ms a frame).
LOOP_LAG_LIMIT_S = 0.02
# Wake-ups this often give a p99 over hundreds of samples even in a 3 s window, so one stray
# stall (a garbage collection, a renegotiation) is not read as a saturated loop.
LOOP_LAG_INTERVAL_S = 0.01


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """utime + stime of ``pid`` (all its threads), in seconds."""
    # The command name may hold spaces and parentheses: split after the last ")".
    fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int, proc: Path = PROC) -> int:
    """Resident set size of ``pid`` (VmRSS), in bytes; 0 for a zombie."""
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def child_pids(pid: int, proc: Path = PROC) -> list[int]:
    """Every descendant of ``pid`` (children of all its threads, recursively)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children in (proc / str(parent) / "task").glob("*/children"):
            try:
                kids = [int(p) for p in children.read_text().split()]
            except OSError:  # the thread ended while we looked
                continue
            for kid in kids:
                if kid not in found:
                    found.append(kid)
                    pending.append(kid)
    return found


def process_tree(pid: int, proc: Path = PROC) -> list[int]:
    """``pid`` and its descendants."""
    return [pid, *child_pids(pid, proc)]


def process_role(pid: int, proc: Path = PROC) -> str:
    """What a server process is, from its command line: the module it runs with ``-m``
    (``signaling``, ``sfu.worker``, ``bench.decode_relay``) or its program's name (``janus``).
    """
    try:
        argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    if "-m" in words[:-1]:
        return words[words.index("-m") + 1]
    return Path(words[0]).name if words else "?"


def udp_ports(pid: int, proc: Path = PROC) -> set[int]:
    """Local ports of the UDP sockets ``pid`` holds (its fds matched with /proc/net/udp*)."""
    inodes: set[str] = set()
    try:
        for fd in (proc / str(pid) / "fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports: set[int] = set()
    for table in ("udp", "udp6"):
        try:
            lines = (proc / str(pid) / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def total_rss(pids: list[int], proc: Path = PROC) -> int:
    """RSS of ``pids`` together, in bytes (processes gone meanwhile count 0)."""
    total = 0
    for pid in pids:
        try:
            total += rss_bytes(pid, proc)
        except OSError:
            continue
    return total


async def settled_rss(
    pids: Callable[[], list[int]], *, interval: float = 0.25, within: float = 5.0
) -> int:
    """RSS of ``pids()`` once it stops changing (within 1 %, same processes), in bytes.

    A server that has just said it is ready may still be starting its worker processes, whose
    imports take a second or two: an earlier reading would understate the idle memory.
    """
    deadline = time.monotonic() + within
    before = (pids(), total_rss(pids()))
    while time.monotonic() < deadline:
        await asyncio.sleep(interval)
        now_pids = pids()
        now = (now_pids, total_rss(now_pids))
        if now[0] == before[0] and abs(now[1] - before[1]) <= 0.01 * max(before[1], 1):
            return now[1]
        before = now
    return before[1]


async def quiet(
    pids: Callable[[], list[int]],
    *,
    below: float = 0.05,
    interval: float = 0.5,
    within: float = 15.0,
    proc: Path = PROC,
) -> bool:
    """Wait until ``pids()`` together use less than ``below`` of a core over ``interval``;
    False if they never did within ``within`` seconds.

    A server says it is ready while its SFU workers still import (a second or two of a
    core each): with several nodes on one core, joins made meanwhile wait behind them.
    """

    def used() -> float:
        total = 0.0
        for pid in pids():
            try:
                total += cpu_seconds(pid, proc)
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
        return total

    deadline = time.monotonic() + within
    before = used()
    while time.monotonic() < deadline:
        await asyncio.sleep(interval)
        now = used()
        if now - before < below * interval:
            return True
        before = now
    return False


def bench_cores() -> int:
    """How many cores this process may run on (its affinity mask)."""
    return len(os.sched_getaffinity(0))


@dataclass
class Usage:
    """What the server's processes and the bots used during one measurement window."""

    seconds: float
    server_cpu_seconds: float
    cpu_by_pid: dict[int, float]
    """CPU seconds of each server process over the window."""
    role_by_pid: dict[int, str]
    """What each server process is (``process_role``)."""
    rss_peak_bytes: int
    rss_mean_bytes: float
    bots_cpu_seconds: float
    bots_cores: int
    loop_lag_p99_s: float
    loop_lag_max_s: float
    rss_by_pid: dict[int, float] = field(default_factory=dict)
    """Mean RSS of each server process over the window, in bytes (a district's node is
    several processes: its memory is theirs together)."""

    @property
    def cpu_pct(self) -> float:
        """Server CPU in percent of one core (several processes can add up beyond 100)."""
        return self.server_cpu_seconds / self.seconds * 100 if self.seconds else 0.0

    @property
    def bots_cpu_pct(self) -> float:
        """The bench process's CPU in percent of one core."""
        return self.bots_cpu_seconds / self.seconds * 100 if self.seconds else 0.0

    @property
    def bots_saturated(self) -> bool:
        """True if the bots, not the server, were the likely limit of this window."""
        busy = self.bots_cpu_pct >= BOTS_CPU_LIMIT * 100 * self.bots_cores
        return busy or self.loop_lag_p99_s > LOOP_LAG_LIMIT_S


@dataclass
class _Seen:
    first: float
    last: float


@dataclass
class ProcSampler:
    """Samples the CPU and RSS of ``pids()`` every ``interval`` s between `start` and `stop`.

    ``pids`` is called at every sample so that processes appearing during the window (an SFU
    worker started for a new room) are counted; one first seen after the window began is
    counted from zero, one that ends keeps what its last sample read.
    """

    pids: Callable[[], list[int]]
    interval: float = 0.5
    proc: Path = PROC
    _seen: dict[int, _Seen] = field(default_factory=dict)
    _roles: dict[int, str] = field(default_factory=dict)
    _rss: list[int] = field(default_factory=list)
    _rss_by_pid: dict[int, list[int]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _lag: LoopLagMonitor | None = None
    _started_at: float = 0.0
    _bots_cpu_at_start: float = 0.0

    def start(self) -> None:
        self._seen.clear()
        self._roles.clear()
        self._rss.clear()
        self._rss_by_pid.clear()
        self._started_at = time.monotonic()
        self._bots_cpu_at_start = time.process_time()
        self._sample(baseline=True)
        self._lag = LoopLagMonitor(LOOP_LAG_INTERVAL_S)
        self._lag.start()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> Usage:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        lag = await self._lag.stop() if self._lag is not None else None
        self._sample(baseline=False)
        seconds = time.monotonic() - self._started_at
        by_pid = {pid: seen.last - seen.first for pid, seen in self._seen.items()}
        return Usage(
            seconds=seconds,
            server_cpu_seconds=sum(by_pid.values()),
            cpu_by_pid=by_pid,
            role_by_pid={pid: self._roles.get(pid, "?") for pid in by_pid},
            rss_peak_bytes=max(self._rss, default=0),
            rss_mean_bytes=sum(self._rss) / len(self._rss) if self._rss else 0.0,
            bots_cpu_seconds=time.process_time() - self._bots_cpu_at_start,
            bots_cores=bench_cores(),
            loop_lag_p99_s=lag.p99 if lag else 0.0,
            loop_lag_max_s=lag.max if lag else 0.0,
            rss_by_pid={pid: sum(r) / len(r) for pid, r in self._rss_by_pid.items()},
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._sample(baseline=False)

    def _sample(self, *, baseline: bool) -> None:
        rss = 0
        for pid in self.pids():
            try:
                cpu = cpu_seconds(pid, self.proc)
                own = rss_bytes(pid, self.proc)
            except (OSError, ValueError, IndexError):  # gone between listing and reading
                continue
            rss += own
            self._rss_by_pid.setdefault(pid, []).append(own)
            seen = self._seen.get(pid)
            if seen is None:
                self._seen[pid] = _Seen(first=cpu if baseline else 0.0, last=cpu)
                self._roles[pid] = process_role(pid, self.proc)
            else:
                seen.last = cpu
        self._rss.append(rss)
