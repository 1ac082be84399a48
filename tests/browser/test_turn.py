"""A lesson whose media goes only through TURN (coturn), as behind a school firewall.

TURN over TLS is not driven from Chromium here: it checks the TURN server's certificate and
a test has no certificate it trusts (coturn's TLS listener itself is configured as in the
README and answers TLS on its port).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.coturn import running_coturn

from .conftest import Server, _links, running_server
from .test_lesson import people, receiving, wait_until, with_params

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["udp", "tcp"])
def relay_only_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str]]:
    turn_dir = tmp_path_factory.mktemp("coturn")
    with running_coturn(turn_dir) as coturn:
        env = {**coturn.env((request.param,)), "ICE_TRANSPORT_POLICY": "relay"}
        with running_server(tmp_path_factory.mktemp("server-data"), **env) as running:
            teacher, pupils = running.wait_for(_links, "lesson links")
            yield Server(running.base_url, teacher, pupils, running.output), request.param


@pytest.mark.timeout(180)
def test_with_relay_only_the_lesson_flows_through_coturn(
    browser: Any, relay_only_server: tuple[Server, str]
) -> None:
    server, transport = relay_only_server
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
