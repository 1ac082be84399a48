"""`python -m signaling` speaking HTTPS itself: TLS_CERT and TLS_KEY, their renewal by SIGHUP,
and the messages it stops with when they are wrong."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from tests.certificates import Certificate, make_certificate
from tests.server_process import ROOT, ServerProcess, running_server

LINK = re.compile(r"Teacher link: (\S+)")


def served_certificate(port: int, trusted: Path, version: ssl.TLSVersion | None = None) -> bytes:
    """The DER certificate the server shows a client that trusts only `trusted`."""
    client = ssl.create_default_context(cafile=trusted)
    if version is not None:
        client.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        client.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return der


def der(certificate: Certificate) -> bytes:
    return ssl.PEM_cert_to_DER_cert(certificate.cert.read_text())


def port_of(server: ServerProcess) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def teacher_link(output: list[str]) -> str | None:
    return next((m.group(1) for line in output if (m := LINK.search(line))), None)


def logged(pattern: str) -> Callable[[list[str]], str | None]:
    """For `wait_for`: the first line of output matching `pattern`."""
    return lambda output: next((line for line in output if re.search(pattern, line)), None)


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Certificate, Certificate]:
    """The certificate the server starts with, at the paths it is given, and a renewed one."""
    return make_certificate(tmp_path, "live"), make_certificate(tmp_path, "renewed")


def tls_settings(live: Certificate) -> dict[str, str]:
    return {"TLS_CERT": str(live.cert), "TLS_KEY": str(live.key), "SFU_WORKERS": "0"}


async def test_the_server_alone_serves_https_and_prints_https_links(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    live, _ = certificates
    with running_server(tmp_path / "data", **tls_settings(live)) as server:
        link = server.wait_for(teacher_link, "teacher link")
        port = port_of(server)
        assert link.startswith(f"https://127.0.0.1:{port}/lesson?token=")
        assert served_certificate(port, live.cert) == der(live)
        assert served_certificate(port, live.cert, ssl.TLSVersion.TLSv1_2) == der(live)
        trusting = ssl.create_default_context(cafile=live.cert)
        async with aiohttp.ClientSession() as http:
            async with http.get(link, ssl=trusting) as page:
                assert (page.status, page.content_type) == (200, "text/html")
            async with http.get(f"https://127.0.0.1:{port}/healthz", ssl=trusting) as health:
                assert await health.json() == {"status": "ok"}


async def test_sighup_serves_a_renewed_certificate_and_keeps_lessons_connected(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    live, renewed = certificates
    with running_server(tmp_path / "data", **tls_settings(live)) as server:
        link = server.wait_for(teacher_link, "teacher link")
        port = port_of(server)
        token = link.split("token=", 1)[1]
        trusting = ssl.create_default_context(cafile=live.cert)
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"wss://127.0.0.1:{port}/ws", ssl=trusting)
            await ws.send_json({"type": "join", "id": 1, "token": token})
            assert (await ws.receive_json(timeout=10))["type"] == "joined"

            # certbot's renewal: new files at the same paths, then the deploy hook's SIGHUP.
            shutil.copyfile(renewed.cert, live.cert)
            shutil.copyfile(renewed.key, live.key)
            os.kill(server.process.pid, signal.SIGHUP)
            server.wait_for(
                logged(f"reloaded the certificate {re.escape(str(live.cert))}"), "reload"
            )
            assert served_certificate(port, live.cert) == der(renewed)

            # The teacher's socket, made before, still carries the lesson.
            await ws.send_json({"type": "chat", "id": 2, "text": "still here"})
            answers = [await ws.receive_json(timeout=10) for _ in range(2)]
            assert sorted(a["type"] for a in answers) == ["chat", "ok"]
            await ws.close()
        assert server.process.poll() is None


def test_a_renewal_whose_key_does_not_match_keeps_the_certificate_loaded_before(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    live, renewed = certificates
    before = shutil.copyfile(live.cert, tmp_path / "before.crt")
    with running_server(tmp_path / "data", **tls_settings(live)) as server:
        server.wait_for(teacher_link, "teacher link")
        shutil.copyfile(renewed.cert, live.cert)  # caught between the two copies
        os.kill(server.process.pid, signal.SIGHUP)
        line = server.wait_for(logged("kept the certificate loaded before"), "refusal")
        assert line.rstrip().endswith(
            f"ERROR signaling kept the certificate loaded before: TLS_KEY {live.key} is not"
            f" the key of TLS_CERT {live.cert}"
        )
        assert served_certificate(port_of(server), before) == der(Certificate(before, live.key))
        assert server.process.poll() is None


def run_signaling(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signaling", *args],
        cwd=ROOT,
        env={**os.environ, "SFU_WORKERS": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_certificate_without_its_key_stops_the_server_at_start_with_the_reason(
    tmp_path: Path,
) -> None:
    live = make_certificate(tmp_path)
    stopped = run_signaling(TLS_CERT=str(live.cert), DATA_DIR=str(tmp_path / "data"))
    assert (stopped.returncode, stopped.stdout) == (1, "")
    assert stopped.stderr == (
        "python -m signaling: TLS_CERT is set but TLS_KEY is not: HTTPS needs both, or neither\n"
    )


def test_a_key_of_another_certificate_stops_the_server_at_start_with_the_reason(
    tmp_path: Path, certificates: tuple[Certificate, Certificate]
) -> None:
    live, renewed = certificates
    stopped = run_signaling(
        TLS_CERT=str(live.cert), TLS_KEY=str(renewed.key), DATA_DIR=str(tmp_path / "data")
    )
    assert (stopped.returncode, stopped.stdout) == (1, "")
    assert stopped.stderr == (
        f"python -m signaling: TLS_KEY {renewed.key} is not the key of TLS_CERT {live.cert}\n"
    )


def test_help_names_the_settings_and_starts_nothing(tmp_path: Path) -> None:
    helped = run_signaling("--help", DATA_DIR=str(tmp_path / "data"))
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: python -m signaling [-h]\n")
    assert "TLS_CERT and TLS_KEY (serve HTTPS itself; SIGHUP reloads them), TRUST_PROXY," in (
        helped.stdout
    )
    assert "METRICS_TOKEN, METRICS_PORT, METRICS_HOST, METRICS_DETAIL, OPERATOR_TOKEN," in (
        helped.stdout
    )
    assert not (tmp_path / "data").exists()
