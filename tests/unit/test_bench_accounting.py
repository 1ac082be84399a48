"""bench.accounting: /proc parsing, process trees, and sampling a busy and an idle child."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.accounting import (
    CLOCK_TICKS,
    ProcSampler,
    Usage,
    child_pids,
    cpu_seconds,
    process_role,
    process_tree,
    quiet,
    rss_bytes,
    udp_ports,
)

BUSY = "while True: pass"


@pytest.fixture
def busy_child() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def sleeping_child() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(["sleep", "30"])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def test_parses_a_stat_line_whose_command_has_spaces_and_parentheses(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    # Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
    # cmajflt utime stime ...
    rest = "S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 1000 123456 789"
    (tmp_path / "42" / "stat").write_text(f"42 (my (odd) name) {rest}\n")
    (tmp_path / "42" / "status").write_text("Name:\tx\nVmPeak:\t 9999 kB\nVmRSS:\t    2048 kB\n")
    assert cpu_seconds(42, tmp_path) == pytest.approx(300 / CLOCK_TICKS)
    assert rss_bytes(42, tmp_path) == 2048 * 1024


def test_a_zombie_without_vmrss_has_no_memory(tmp_path: Path) -> None:
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "status").write_text("Name:\tx\nState:\tZ (zombie)\n")
    assert rss_bytes(7, tmp_path) == 0


def test_own_process_cpu_grows_and_rss_is_positive() -> None:
    before = cpu_seconds(os.getpid())
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.1
    assert rss_bytes(os.getpid()) > 10 * 1024 * 1024


def test_children_are_found_and_a_busy_child_burns_cpu(
    busy_child: subprocess.Popen[bytes], sleeping_child: subprocess.Popen[bytes]
) -> None:
    assert {busy_child.pid, sleeping_child.pid} <= set(child_pids(os.getpid()))
    assert process_tree(busy_child.pid) == [busy_child.pid]
    assert rss_bytes(sleeping_child.pid) > 0
    first = cpu_seconds(busy_child.pid)
    time.sleep(0.5)
    assert cpu_seconds(busy_child.pid) > first
    assert cpu_seconds(sleeping_child.pid) < 0.05


def test_a_process_role_is_its_module_or_its_program(tmp_path: Path) -> None:
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cmdline").write_bytes(b"/usr/bin/python3\0-m\0sfu.worker\0")
    (tmp_path / "8").mkdir()
    (tmp_path / "8" / "cmdline").write_bytes(b"/usr/bin/janus\0-F\0/tmp/x\0")
    assert process_role(7, tmp_path) == "sfu.worker"
    assert process_role(8, tmp_path) == "janus"
    assert process_role(9, tmp_path) == "?"  # gone


def test_udp_ports_are_those_of_the_sockets_a_process_holds() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert port in udp_ports(os.getpid())
    assert port not in udp_ports(os.getpid())


async def test_sampler_sums_cpu_and_rss_of_its_processes(
    busy_child: subprocess.Popen[bytes], sleeping_child: subprocess.Popen[bytes]
) -> None:
    sampler = ProcSampler(lambda: [busy_child.pid, sleeping_child.pid], interval=0.1)
    sampler.start()
    await asyncio.sleep(1.0)
    usage = await sampler.stop()
    assert usage.seconds == pytest.approx(1.0, abs=0.3)
    # The busy child spins on one core, shared with whatever else runs here.
    assert usage.cpu_pct > 20
    assert usage.cpu_by_pid[sleeping_child.pid] < 0.05
    assert usage.rss_peak_bytes >= usage.rss_mean_bytes > 0
    # Each process's own mean, which together make the mean of the sums.
    assert usage.rss_by_pid.keys() == {busy_child.pid, sleeping_child.pid}
    assert sum(usage.rss_by_pid.values()) == pytest.approx(usage.rss_mean_bytes, rel=0.05)
    assert usage.role_by_pid == {
        busy_child.pid: Path(sys.executable).name,
        sleeping_child.pid: "sleep",
    }
    assert usage.bots_cpu_pct < 50  # this process mostly slept
    # (Whether its loop lagged depends on what else the machine runs: not asserted here;
    # the saturation rule itself is tested with fixed numbers.)


async def test_a_process_that_appears_mid_window_counts_from_zero(
    busy_child: subprocess.Popen[bytes],
) -> None:
    pids: list[int] = []
    sampler = ProcSampler(lambda: list(pids), interval=0.1)
    sampler.start()
    pids.append(busy_child.pid)
    await asyncio.sleep(0.5)
    usage = await sampler.stop()
    # Its CPU since it started (it started just before the window) is all counted.
    assert usage.cpu_by_pid[busy_child.pid] == pytest.approx(cpu_seconds(busy_child.pid), abs=0.05)


def test_saturation_from_cpu_or_loop_lag() -> None:
    def usage(bots_cpu: float, lag: float) -> Usage:
        return Usage(
            seconds=10.0,
            server_cpu_seconds=1.0,
            cpu_by_pid={1: 1.0},
            role_by_pid={1: "signaling"},
            rss_peak_bytes=1,
            rss_mean_bytes=1.0,
            bots_cpu_seconds=bots_cpu,
            bots_cores=1,
            loop_lag_p99_s=lag,
            loop_lag_max_s=lag,
        )

    assert usage(5.0, 0.001).cpu_pct == pytest.approx(10.0)
    assert not usage(5.0, 0.001).bots_saturated
    assert usage(9.5, 0.001).bots_saturated
    assert usage(5.0, 0.05).bots_saturated


async def test_processes_are_quiet_once_they_stop_using_the_cpu(
    busy_child: subprocess.Popen[bytes], sleeping_child: subprocess.Popen[bytes]
) -> None:
    assert await quiet(lambda: [sleeping_child.pid], interval=0.2, within=2.0)
    assert not await quiet(lambda: [busy_child.pid], interval=0.2, within=0.7)
