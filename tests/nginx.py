"""Debian's nginx on 127.0.0.1 in front of our server, configured by the README's own block.

The README's "HTTPS" section gives schools an nginx site; the tests take that block out of the
README and change only what a test must (ports on 127.0.0.1, the name, the certificate), so what
they run is what schools copy. nginx runs in the foreground with a prefix, pid file, logs and
temporary files of its own, and is stopped by its PID.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.certificates import Certificate
from tests.server_process import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
README = ROOT / "README.md"
SITE_NAME = "classroom.test"
"""The name the tests give the site (mapped to 127.0.0.1 for Chromium)."""


def readme_site(readme: str = "") -> str:
    """The ```nginx block of the README's "HTTPS" section, as written."""
    text = readme or README.read_text()
    section = text[text.index("\n### HTTPS\n") :]
    section = section[: section.index("\n### ", 1)]
    blocks = re.findall(r"^```nginx\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    if len(blocks) != 1:
        raise ValueError(f"the README's HTTPS section has {len(blocks)} nginx blocks, not 1")
    return blocks[0]


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise ValueError(f"the README's nginx block no longer says {old!r}")
    return text.replace(old, new)


def site_for_test(
    site: str, http_port: int, https_port: int, upstream: int, certificate: Certificate, www: Path
) -> str:
    """The README's site with test ports on 127.0.0.1, the test name and certificate; IPv6
    listeners dropped (the tests stay on 127.0.0.1). Everything else is untouched."""
    live = "/etc/letsencrypt/live/school.example"
    site = _replace(site, f"{live}/fullchain.pem", str(certificate.cert))
    site = _replace(site, f"{live}/privkey.pem", str(certificate.key))
    site = _replace(site, "school.example", SITE_NAME)
    site = _replace(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _replace(site, "    listen 443 ssl", f"    listen 127.0.0.1:{https_port} ssl")
    site = _replace(site, "/var/www/html", str(www))
    site = _replace(site, "http://127.0.0.1:8080", f"http://127.0.0.1:{upstream}")
    return "".join(line for line in site.splitlines(keepends=True) if "listen [::]" not in line)


@dataclass(frozen=True)
class Nginx:
    http_port: int
    https_port: int
    process: subprocess.Popen[bytes]
    error_log: Path
    access_log: Path

    @property
    def base_url(self) -> str:
        return f"https://{SITE_NAME}:{self.https_port}"


def main_config(directory: Path, site: str) -> str:
    """An nginx.conf around `site` as Debian's puts its sites in `http {}`, but everything this
    instance writes kept in `directory`."""
    # As root nginx hands requests to workers running as `user`, who must be able to write the
    # temporary files (large proxied responses) in `directory`: the same user, then.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} info;

events {{
    worker_connections 256;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory / "access.log"};
{temp}

{site}
}}
"""


@contextmanager
def running_nginx(
    directory: Path, upstream: int, certificate: Certificate, site: str = ""
) -> Iterator[Nginx]:
    """nginx with the README's site (or `site`) in front of 127.0.0.1:`upstream`."""
    http_port, https_port = free_port(), free_port()
    www = directory / "www"
    www.mkdir()
    served = site_for_test(site or readme_site(), http_port, https_port, upstream, certificate, www)
    config = directory / "nginx.conf"
    config.write_text(main_config(directory, served))
    error_log = directory / "error.log"
    command = [NGINX, "-p", str(directory), "-c", str(config), "-e", str(error_log)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}\n{served}")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {error_log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start listening") from None
                time.sleep(0.05)
        yield Nginx(http_port, https_port, process, error_log, directory / "access.log")
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)  # the master stops its workers, then itself
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
