"""Configuration from the environment: HTTPS (TLS_CERT, TLS_KEY) and TRUST_PROXY."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from signaling.config import Config
from tests.certificates import Certificate, make_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls-other"), "other")


def tls_env(cert: Path | str, key: Path | str, **more: str) -> dict[str, str]:
    return {"SFU_WORKERS": "0", "TLS_CERT": str(cert), "TLS_KEY": str(key), **more}


def handshake(server: ssl.SSLContext, trusted: Path) -> tuple[str | None, dict]:
    """A real TLS handshake between `server` and a client trusting only `trusted`, over two
    in-memory buffers; the version agreed and the certificate the client was shown."""
    client = ssl.create_default_context(cafile=trusted)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_end = server.wrap_bio(to_server, to_client, server_side=True)
    from_server, from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_end = client.wrap_bio(from_server, from_client, server_hostname="127.0.0.1")
    done: set[str] = set()
    for _ in range(10):
        for name, end, outgoing, incoming in (
            ("client", client_end, from_client, to_server),
            ("server", server_end, to_client, from_server),
        ):
            if name not in done:
                try:
                    end.do_handshake()
                    done.add(name)
                except ssl.SSLWantReadError:
                    pass
            incoming.write(outgoing.read())
        if done == {"client", "server"}:
            return client_end.version(), client_end.getpeercert()
    raise AssertionError("the handshake did not finish")


def test_without_tls_settings_the_server_speaks_plain_http() -> None:
    config = Config.from_env({"SFU_WORKERS": "0", "PORT": "8080"})
    assert (config.tls_cert, config.tls_key, config.trust_proxy) == (None, None, False)
    assert config.ssl_context() is None
    assert config.base_url == "http://127.0.0.1:8080"


def test_with_a_certificate_and_its_key_the_server_speaks_tls_1_2_or_newer(
    certificate: Certificate,
) -> None:
    config = Config.from_env(tls_env(certificate.cert, certificate.key, PORT="8443"))
    assert (config.tls_cert, config.tls_key) == (certificate.cert, certificate.key)
    assert config.base_url == "https://127.0.0.1:8443"
    context = config.ssl_context()
    assert context is not None
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    version, seen = handshake(context, certificate.cert)
    assert version == "TLSv1.3"
    assert seen["subjectAltName"] == (("IP Address", "127.0.0.1"), ("DNS", "localhost"))


def test_public_url_overrides_the_https_default(certificate: Certificate) -> None:
    env = tls_env(certificate.cert, certificate.key, PUBLIC_URL="https://school.example/")
    assert Config.from_env(env).base_url == "https://school.example"


def test_loading_a_certificate_again_renews_the_context_in_place(
    certificate: Certificate, other: Certificate
) -> None:
    context = Config.from_env(tls_env(certificate.cert, certificate.key)).ssl_context()
    assert context is not None
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(context, other.cert)
    Config.from_env(tls_env(other.cert, other.key)).load_certificate(context)
    assert handshake(context, other.cert)[0] == "TLSv1.3"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("TLS_CERT", "TLS_CERT is set but TLS_KEY is not: HTTPS needs both, or neither"),
        ("TLS_KEY", "TLS_KEY is set but TLS_CERT is not: HTTPS needs both, or neither"),
    ],
)
def test_a_certificate_without_its_key_or_a_key_without_its_certificate_is_refused(
    certificate: Certificate, given: str, message: str
) -> None:
    env = {"SFU_WORKERS": "0", given: str(certificate.cert)}
    with pytest.raises(ValueError) as refused:
        Config.from_env(env)
    assert str(refused.value) == message


def test_a_file_that_cannot_be_read_is_named_with_the_reason(
    certificate: Certificate, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(ValueError) as refused:
        Config.from_env(tls_env(missing, certificate.key))
    assert str(refused.value) == f"TLS_CERT {missing} cannot be read: No such file or directory"
    with pytest.raises(ValueError) as refused:
        Config.from_env(tls_env(certificate.cert, tmp_path))
    assert str(refused.value) == f"TLS_KEY {tmp_path} cannot be read: Is a directory"


def test_files_that_are_not_a_pem_certificate_and_key_are_refused(
    certificate: Certificate, tmp_path: Path
) -> None:
    with pytest.raises(ValueError) as refused:
        Config.from_env(tls_env(certificate.key, certificate.key))
    assert str(refused.value) == (
        f"TLS_CERT {certificate.key} is not a PEM certificate (no BEGIN CERTIFICATE line)"
    )
    with pytest.raises(ValueError) as refused:
        Config.from_env(tls_env(certificate.cert, certificate.cert))
    assert str(refused.value) == (
        f"TLS_KEY {certificate.cert} is not a PEM private key (no BEGIN PRIVATE KEY line)"
    )
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    with pytest.raises(ValueError) as refused:
        Config.from_env(tls_env(certificate.cert, encrypted))
    assert str(refused.value) == (
        f"TLS_KEY {encrypted} is encrypted: the server needs it without a passphrase"
    )


def test_a_key_of_another_certificate_is_refused_when_the_context_is_made(
    certificate: Certificate, other: Certificate
) -> None:
    config = Config.from_env(tls_env(certificate.cert, other.key))
    with pytest.raises(ValueError) as refused:
        config.ssl_context()
    assert str(refused.value) == (
        f"TLS_KEY {other.key} is not the key of TLS_CERT {certificate.cert}"
    )


@pytest.mark.parametrize(("value", "trusted"), [("1", True), ("0", False), ("", False)])
def test_trust_proxy_is_a_switch(value: str, trusted: bool) -> None:
    assert Config.from_env({"SFU_WORKERS": "0", "TRUST_PROXY": value}).trust_proxy is trusted


def test_trust_proxy_other_than_0_or_1_is_refused() -> None:
    with pytest.raises(ValueError) as refused:
        Config.from_env({"SFU_WORKERS": "0", "TRUST_PROXY": "yes"})
    assert str(refused.value) == "TRUST_PROXY must be 0 or 1, not 'yes'"
