"""Self-signed test certificates, and the key digest by which Chromium is told to trust one.

Chromium trusts a certificate whose public key's SHA-256 is in
`--ignore-certificate-errors-spki-list` (only with a `--user-data-dir`, which Playwright always
gives): every other certificate error still fails, unlike `--ignore-certificate-errors`.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

TEST_NAMES = ("IP:127.0.0.1", "DNS:localhost")
"""What a test certificate is valid for unless a test asks for more."""


@dataclass(frozen=True)
class Certificate:
    """A PEM certificate and its unencrypted PEM key."""

    cert: Path
    key: Path

    @property
    def spki_sha256(self) -> str:
        return spki_sha256(self.cert)

    @property
    def chromium_trust_flag(self) -> str:
        """The Chromium flag that trusts this certificate's key and nothing else."""
        return f"--ignore-certificate-errors-spki-list={self.spki_sha256}"


def make_certificate(
    directory: Path, name: str = "server", extra_names: tuple[str, ...] = ()
) -> Certificate:
    """`<name>.crt` and `<name>.key` in `directory`: RSA 2048, valid two days, for 127.0.0.1,
    localhost and `extra_names` (subjectAltName entries such as "DNS:classroom.test")."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    alt_names = ",".join((*TEST_NAMES, *extra_names))
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            f"subjectAltName={alt_names}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


def spki_sha256(certificate: Path) -> str:
    """The base64 SHA-256 of a certificate's public key, as Chromium's SPKI flags take it."""
    key = subprocess.run(
        ["openssl", "x509", "-in", str(certificate), "-noout", "-pubkey"],
        check=True,
        capture_output=True,
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"],
        input=key,
        check=True,
        capture_output=True,
    ).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()
