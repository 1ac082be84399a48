"""A network namespace with a capped link to this host, for a browser on a weak connection.

`tc tbf` on the host's end of a veth pair shapes what the namespace receives (the pupil's
downlink); the namespace's end can shape its uplink the same way. Only addresses inside the
pair are used: the test's server listens on the host's end, nothing else is reachable.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


class Forwarders:
    """The two TCP forwarders of `Namespace.forward`; the inside one can be restarted, which
    breaks every connection through it (as a phone changing networks does)."""

    def __init__(self, processes: list[subprocess.Popen[str]]) -> None:
        self.processes = processes

    @staticmethod
    def started(process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "forwarding":
            raise RuntimeError("a TCP forwarder did not start")

    def restart_inside(self) -> None:
        old = self.processes[1]
        old.kill()
        old.wait(5)
        new = subprocess.Popen(
            old.args, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True
        )
        self.started(new)
        self.processes[1] = new

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(5)


@dataclass(frozen=True)
class Namespace:
    name: str
    host_address: str
    """The host's end of the link: where the server listens for this namespace."""
    inside_address: str
    host_device: str

    def shape_downlink(self, kbit: int, latency_ms: int = 400) -> None:
        """Cap what the namespace receives (a token bucket of `latency_ms` queue)."""
        _run(
            "tc",
            "qdisc",
            "replace",
            "dev",
            self.host_device,
            "root",
            "tbf",
            "rate",
            f"{kbit}kbit",
            "burst",
            "4kb",
            "latency",
            f"{latency_ms}ms",
        )

    def unshape_downlink(self) -> None:
        _run("tc", "qdisc", "del", "dev", self.host_device, "root")

    @contextmanager
    def forward(self, port: int) -> Iterator[Forwarders]:
        """Make 127.0.0.1:`port` inside the namespace reach 127.0.0.1:`port` of the host, over
        the link (two TCP forwarders, one on each end)."""
        root = Path(__file__).resolve().parents[1]
        module = [sys.executable, "-m", "tests.tcp_forward"]
        outside = f"{self.host_address}:{port}"
        processes = [
            subprocess.Popen(
                [*module, outside, f"127.0.0.1:{port}"], cwd=root, stdout=subprocess.PIPE, text=True
            ),
            subprocess.Popen(
                ["ip", "netns", "exec", self.name, *module, f"127.0.0.1:{port}", outside],
                cwd=root,
                stdout=subprocess.PIPE,
                text=True,
            ),
        ]
        forwarders = Forwarders(processes)
        try:
            for process in processes:
                forwarders.started(process)
            yield forwarders
        finally:
            forwarders.stop()

    def set_link(self, up: bool) -> None:
        """Cut the namespace off (or connect it again), as a train entering a tunnel."""
        _run("ip", "link", "set", self.host_device, "up" if up else "down")

    def wrapper(self, directory: Path, executable: str) -> Path:
        """A script that runs `executable` inside the namespace (for Playwright to launch)."""
        return _wrapper(self.name, directory, executable)


def _wrapper(namespace_name: str, directory: Path, executable: str) -> Path:
    script = directory / f"in-{namespace_name}.sh"
    script.write_text(f'#!/bin/sh\nexec ip netns exec {namespace_name} {executable} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@contextmanager
def namespace() -> Iterator[Namespace]:
    tag = secrets.token_hex(3)
    name, host_dev, inside_dev = f"cls-{tag}", f"vc{tag}h", f"vc{tag}n"
    subnet = 16 + secrets.randbelow(200)
    host, inside = f"10.213.{subnet}.1", f"10.213.{subnet}.2"
    _run("ip", "netns", "add", name)
    try:
        _run("ip", "link", "add", host_dev, "type", "veth", "peer", "name", inside_dev)
        _run("ip", "link", "set", inside_dev, "netns", name)
        _run("ip", "addr", "add", f"{host}/24", "dev", host_dev)
        _run("ip", "link", "set", host_dev, "up")
        _run("ip", "netns", "exec", name, "ip", "addr", "add", f"{inside}/24", "dev", inside_dev)
        _run("ip", "netns", "exec", name, "ip", "link", "set", inside_dev, "up")
        _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield Namespace(name, host, inside, host_dev)
    finally:
        subprocess.run(["ip", "link", "del", host_dev], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@dataclass(frozen=True)
class Enclosure:
    """A network namespace that holds a server and its browsers whole, with one address on a
    real interface: Firefox gathers no ICE candidate on loopback, so its media needs one, and
    it sends nothing without a default route (it takes the network for down)."""

    name: str
    address: str
    """The namespace's one address besides loopback: the server's ICE address."""

    def command(self, *args: str) -> list[str]:
        """`args` run inside the namespace (`ip netns exec` execs them: the PID is theirs)."""
        return ["ip", "netns", "exec", self.name, *args]

    def wrapper(self, directory: Path, executable: str) -> Path:
        """A script that runs `executable` inside the namespace (for Playwright to launch)."""
        return _wrapper(self.name, directory, executable)


@contextmanager
def enclosure() -> Iterator[Enclosure]:
    """A namespace of its own with `lo` up and a veth pair whose both ends are inside it: one
    end has the address and the default route, the other none. What is sent to the default
    route is offered to the other end and dropped there: nothing leaves the namespace."""
    tag = secrets.token_hex(3)
    name, outer, inner = f"cls-{tag}", f"ve{tag}a", f"ve{tag}b"
    address = f"10.214.{16 + secrets.randbelow(200)}.2"
    _run("ip", "netns", "add", name)
    inside = ["ip", "netns", "exec", name]
    try:
        _run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", name)
        _run("ip", "link", "set", outer, "netns", name)
        _run(*inside, "ip", "link", "set", "lo", "up")
        _run(*inside, "ip", "addr", "add", f"{address}/24", "dev", outer)
        _run(*inside, "ip", "link", "set", outer, "up")
        _run(*inside, "ip", "link", "set", inner, "up")
        _run(*inside, "ip", "route", "add", "default", "dev", outer)
        yield Enclosure(name, address)
    finally:
        # Deleting one end deletes the pair (left in this namespace if set-up broke midway).
        subprocess.run([*inside, "ip", "link", "del", outer], capture_output=True)
        subprocess.run(["ip", "link", "del", outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def can_make_namespaces() -> bool:
    return os.geteuid() == 0
