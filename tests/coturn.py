"""Debian's coturn on 127.0.0.1 for the tests, configured as the README tells schools to.

Started with its own config in a temporary directory, stopped by its PID. Loopback peers are
allowed (the SFU's candidates are 127.0.0.1 here); everything else is the deployment's setup:
`use-auth-secret` with the server's TURN_SECRET, UDP and TCP on one port.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.certificates import make_certificate
from tests.server_process import free_port

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


@dataclass(frozen=True)
class Coturn:
    port: int
    tls_port: int
    secret: str
    process: subprocess.Popen[str]
    log: Path

    @property
    def urls(self) -> list[str]:
        return [
            f"turn:127.0.0.1:{self.port}?transport=udp",
            f"turn:127.0.0.1:{self.port}?transport=tcp",
            f"turns:127.0.0.1:{self.tls_port}?transport=tls",
        ]

    def env(self, transports: tuple[str, ...] = ("udp", "tcp")) -> dict[str, str]:
        """What our server needs to hand out credentials for this coturn (only these
        transports: a school that blocks UDP leaves TCP)."""
        urls = [u for u in self.urls if u.rsplit("=", 1)[1] in transports]
        urls = [u.replace("transport=tls", "transport=tcp") for u in urls]
        return {"TURN_SECRET": self.secret, "TURN_URLS": ",".join(urls)}


@contextmanager
def running_coturn(directory: Path, secret: str = "turn-secret-for-tests") -> Iterator[Coturn]:
    port = free_port()
    tls_port = free_port()
    relay_ports = free_port()
    certificate = make_certificate(directory, "turn")
    cert, key = certificate.cert, certificate.key
    config = directory / "turnserver.conf"
    log = directory / "turnserver.log"
    config.write_text(
        "\n".join(
            [
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"listening-port={port}",
                f"tls-listening-port={tls_port}",
                f"cert={cert}",
                f"pkey={key}",
                f"min-port={relay_ports}",
                f"max-port={relay_ports + 50}",
                "use-auth-secret",
                f"static-auth-secret={secret}",
                "realm=classroom.test",
                "allow-loopback-peers",
                "no-multicast-peers",
                "no-dtls",
                "no-cli",
                "fingerprint",
                f"pidfile={directory / 'turnserver.pid'}",
                f"log-file={log}",
                "simple-log",
                "",
            ]
        )
    )
    process = subprocess.Popen(
        [TURNSERVER, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"turnserver exited: {log.read_text() if log.exists() else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("turnserver did not start listening") from None
                time.sleep(0.05)
        yield Coturn(port, tls_port, secret, process, log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
