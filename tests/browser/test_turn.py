"""A lesson whose media goes only through TURN (coturn), as behind a school firewall: over
UDP, over TCP, and over TLS as through a firewall that lets only HTTPS out.

For TLS, Chromium has to trust coturn's self-signed test certificate: it is started with
`--ignore-certificate-errors-spki-list` naming that certificate's key (Chromium honours the
flag only with a `--user-data-dir`, which Playwright always gives).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.certificates import spki_sha256
from tests.coturn import running_coturn

from .conftest import CHROMIUM, CHROMIUM_ARGS, Server, _links, running_server
from .test_lesson import people, receiving, wait_until, with_params

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["udp", "tcp", "tls"])
def relay_only_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, Path]]:
    turn_dir = tmp_path_factory.mktemp("coturn")
    with running_coturn(turn_dir) as coturn:
        env = {**coturn.env((request.param,)), "ICE_TRANSPORT_POLICY": "relay"}
        with running_server(tmp_path_factory.mktemp("server-data"), **env) as running:
            teacher, pupils = running.wait_for(_links, "lesson links")
            server = Server(running.base_url, teacher, pupils, running.output)
            yield server, request.param, turn_dir / "turn.crt"


@pytest.fixture
def trusting_browser(browser: Any, relay_only_server: tuple[Server, str, Path]) -> Iterator[Any]:
    """The shared Chromium, or for TLS one that trusts this coturn's certificate."""
    _, transport, certificate = relay_only_server
    if transport != "tls":
        yield browser
        return
    trust = f"--ignore-certificate-errors-spki-list={spki_sha256(certificate)}"
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, trust]
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.mark.timeout(180)
def test_with_relay_only_the_lesson_flows_through_coturn(
    trusting_browser: Any, relay_only_server: tuple[Server, str, Path]
) -> None:
    browser = trusting_browser
    server, transport, _ = relay_only_server
    links = {
        "teacher": with_params(server.teacher_link, autojoin="1", lang="en"),
        "pupil": with_params(server.pupil_links[0], autojoin="1", lang="en"),
    }
    with people(browser, server, links) as room:
        ids = {
            role: wait_until(lambda p=person: p.stats()["self"], f"{role} to join")["id"]
            for role, person in room.items()
        }
        for role, person in room.items():
            other = {ids[r] for r in room if r != role}
            wait_until(
                lambda p=person, o=other: receiving(p.stats(), o),
                f"{role} to receive video and audio through the relay",
                timeout=40,
            )
            routes = person.stats()["routes"]
            relayed = f"relay/{transport}"
            assert routes == {"publish": relayed, "subscribe": relayed}, routes
