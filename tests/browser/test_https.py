"""The lesson page over HTTPS in Chromium: served by the server itself (TLS_CERT, TLS_KEY) and
through the README's nginx, a teacher and a pupil see each other; by a name over plain HTTP
the same page gets no camera.

Chromium trusts the test certificate by its key only (`--ignore-certificate-errors-spki-list`;
any other certificate error still fails) and finds `classroom.test` on 127.0.0.1
(`--host-resolver-rules`). A name, not 127.0.0.1: loopback is a secure context even over plain
HTTP, a name is one only over HTTPS, as a school's address is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.certificates import Certificate, make_certificate
from tests.nginx import NGINX, SITE_NAME, running_nginx
from tests.server_process import free_port

from .conftest import CHROMIUM, CHROMIUM_ARGS, Server, _links, running_server
from .test_lesson import growing, people, receiving, wait_until, with_params

pytestmark = pytest.mark.browser
READY = re.compile(r"Server ready on (\S+)")


@dataclass(frozen=True)
class Site:
    """A lesson reachable over HTTPS: the server, and the links as people open them."""

    server: Server
    teacher_link: str
    pupil_link: str
    origin: str
    """https://classroom.test:<port>, where the pages are."""


def at_origin(link: str, origin: str) -> str:
    scheme, netloc = urlsplit(origin)[:2]
    return urlunsplit(urlsplit(link)._replace(scheme=scheme, netloc=netloc))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"), extra_names=(f"DNS:{SITE_NAME}",))


@pytest.fixture(scope="module")
def trusting_browser(browser: Any, certificate: Certificate) -> Iterator[Any]:
    """Chromium that trusts the test certificate's key and nothing else it would refuse."""
    args = [
        *CHROMIUM_ARGS,
        certificate.chromium_trust_flag,
        f"--host-resolver-rules=MAP {SITE_NAME} 127.0.0.1",
    ]
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module", params=["direct", "nginx"])
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    certificate: Certificate,
) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("server-data")
    if request.param == "direct":
        port = free_port()
        tls = {"TLS_CERT": str(certificate.cert), "TLS_KEY": str(certificate.key)}
        with running_server(data, PORT=str(port), **tls) as running:
            ready = running.wait_for(lambda out: _first(READY, out), "ready line")
            assert ready == f"https://127.0.0.1:{port}"  # no PUBLIC_URL: https by itself
            teacher, pupils = running.wait_for(_links, "lesson links")
            server = Server(ready, teacher, pupils, running.output)
            origin = f"https://{SITE_NAME}:{port}"
            # The pupil opens the printed link as it is; the teacher by the site's name.
            yield Site(server, at_origin(teacher, origin), pupils[0], origin)
        return
    if not Path(NGINX).exists():
        pytest.skip(f"{NGINX} is not installed (make nginx)")
    with running_server(data, TRUST_PROXY="1") as running:
        teacher, pupils = running.wait_for(_links, "lesson links")
        server = Server(running.base_url, teacher, pupils, running.output)
        upstream = int(running.base_url.rsplit(":", 1)[1])
        with running_nginx(tmp_path_factory.mktemp("nginx"), upstream, certificate) as nginx:
            origin = nginx.base_url
            yield Site(server, at_origin(teacher, origin), at_origin(pupils[0], origin), origin)


def _first(pattern: re.Pattern[str], output: list[str]) -> str | None:
    for line in output:
        match = pattern.search(line)
        if match:
            return match.group(1)
    return None


def tile_sizes(page: Any) -> list[list[int]]:
    """[width, height] of the video in every tile but one's own."""
    sizes: list[list[int]] = page.evaluate(
        "() => [...document.querySelectorAll('.tile:not(.self) video')]"
        ".map(v => [v.videoWidth, v.videoHeight])"
    )
    return sizes


@pytest.mark.timeout(180)
def test_over_https_a_teacher_and_a_pupil_see_each_other_in_a_secure_context(
    trusting_browser: Any, site: Site, artifacts: Path, request: pytest.FixtureRequest
) -> None:
    links = {
        "teacher": with_params(site.teacher_link, autojoin="1", lang="en"),
        "pupil": with_params(site.pupil_link, autojoin="1", lang="en"),
    }
    with people(trusting_browser, site.server, links) as room:
        for role, person in room.items():
            where = person.page.evaluate(
                "() => [window.isSecureContext, location.protocol, location.host]"
            )
            assert where == [True, "https:", urlsplit(links[role]).netloc], (role, where)
        ids = {
            role: wait_until(lambda p=person: p.stats()["self"], f"{role} to join")["id"]
            for role, person in room.items()
        }
        for role, person in room.items():
            other = {ids[r] for r in room if r != role}
            wait_until(
                lambda p=person, o=other: receiving(p.stats(), o),
                f"{role} to decode the other's video and receive their audio",
                timeout=40,
            )
            first = person.stats()
            wait_until(
                lambda p=person, f=first, o=other: growing(f, p.stats(), o),
                f"{role}'s counters to keep growing",
            )
            # The other's tile plays one of the sizes their camera is sent in (simulcast,
            # 960x540 and its half and quarter), as the page asks for it.
            shown = tile_sizes(person.page)
            wait_until(
                lambda p=person: tile_sizes(p.page) in ([[240, 135]], [[480, 270]], [[960, 540]]),
                f"{role}'s tile of the other to show a camera size (shows {shown})",
            )
        route = request.node.callspec.params["site"]
        room["teacher"].page.screenshot(path=artifacts / f"lesson-https-{route}.png")
        for person in room.values():
            assert not person.errors, f"uncaught errors on {person.role}'s page: {person.errors}"


def test_over_plain_http_by_a_name_the_page_gets_no_camera(
    trusting_browser: Any, server: Server, artifacts: Path
) -> None:
    """Why a school needs HTTPS: the same page, by a name over HTTP, cannot ask for media."""
    origin = f"http://{SITE_NAME}:{urlsplit(server.base_url).port}"
    link = with_params(at_origin(server.pupil_links[0], origin), lang="en")
    context = trusting_browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(link)
        notice = page.locator("#media-error")
        notice.wait_for(state="visible", timeout=20_000)
        assert notice.inner_text() == "Camera and microphone need a secure (https) connection."
        assert page.evaluate("() => [window.isSecureContext, navigator.mediaDevices]") == [
            False,
            None,
        ]
        page.screenshot(path=artifacts / "join-plain-http-by-name.png")
    finally:
        context.close()
