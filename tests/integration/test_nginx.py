"""The README's nginx site in front of a real server: HTTPS pages, the redirect from HTTP, the
headers the server is told, and the signalling WebSocket (which fails without the upgrade
lines the README insists on)."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from classroom.roles import Role
from tests.certificates import Certificate, make_certificate
from tests.nginx import NGINX, SITE_NAME, Nginx, readme_site, running_nginx
from tests.server_process import free_port

from .conftest import RunningServer, serving

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason=f"{NGINX} is not installed (make nginx)"
)
WEB_ROOT = Path(__file__).resolve().parents[2] / "web_client"


class Loopback(AbstractResolver):
    """Every name is 127.0.0.1: the site's name reaches nginx as a browser's would."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return make_certificate(tmp_path, extra_names=(f"DNS:{SITE_NAME}",))


@asynccontextmanager
async def client(certificate: Certificate) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that trusts the test certificate only and finds the site's name on 127.0.0.1."""
    trusting = ssl.create_default_context(cafile=certificate.cert)
    connector = aiohttp.TCPConnector(ssl=trusting, resolver=Loopback())
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


@pytest.fixture
async def proxied(
    tmp_path: Path, certificate: Certificate
) -> AsyncIterator[tuple[RunningServer, Nginx]]:
    async with serving(tmp_path / "server", public_url=f"https://{SITE_NAME}") as server:
        (tmp_path / "nginx").mkdir()
        port = server.config.port
        with running_nginx(tmp_path / "nginx", port, certificate) as nginx:
            yield server, nginx


async def test_through_nginx_the_lesson_page_and_its_scripts_come_over_https(
    proxied: tuple[RunningServer, Nginx], certificate: Certificate
) -> None:
    _, nginx = proxied
    async with client(certificate) as http:
        async with http.get(f"{nginx.base_url}/lesson?token=x") as page:
            assert (page.status, page.content_type) == (200, "text/html")
            assert await page.read() == (WEB_ROOT / "index.html").read_bytes()
        # Larger than nginx's proxy buffers: it goes through the temporary files.
        biggest = max(WEB_ROOT.glob("*.js"), key=lambda p: p.stat().st_size)
        async with http.get(f"{nginx.base_url}/static/{biggest.name}") as script:
            assert script.status == 200
            assert await script.read() == biggest.read_bytes()
        async with http.get(f"{nginx.base_url}/healthz") as health:
            assert (health.status, await health.json()) == (200, {"status": "ok"})


async def test_plain_http_is_redirected_to_the_same_address_over_https(
    proxied: tuple[RunningServer, Nginx], certificate: Certificate
) -> None:
    _, nginx = proxied
    async with client(certificate) as http:
        url = f"http://{SITE_NAME}:{nginx.http_port}/lesson?token=abc&lang=ru"
        async with http.get(url, allow_redirects=False) as moved:
            assert moved.status == 301
            assert moved.headers["Location"] == f"https://{SITE_NAME}/lesson?token=abc&lang=ru"


async def test_through_nginx_a_teacher_joins_over_the_websocket(
    proxied: tuple[RunningServer, Nginx], certificate: Certificate
) -> None:
    server, nginx = proxied
    token = server.token("teacher-1", Role.TEACHER)
    async with client(certificate) as http:
        async with http.ws_connect(f"wss://{SITE_NAME}:{nginx.https_port}/ws") as ws:
            await ws.send_json({"type": "join", "id": 1, "token": token})
            joined = await ws.receive_json(timeout=10)
            assert (joined["type"], joined["id"], joined["room"]) == ("joined", 1, "7b-maths")
            assert joined["self"]["identity"] == "teacher-1"
            # Both ways after the join: a chat line is answered and comes back to its sender.
            await ws.send_json({"type": "chat", "id": 2, "text": "through nginx"})
            answers = [await ws.receive_json(timeout=10) for _ in range(2)]
            answers.sort(key=lambda a: str(a["type"]))
            assert [(a["type"], a.get("id"), a.get("text")) for a in answers] == [
                ("chat", None, "through nginx"),
                ("ok", 2, None),
            ]


async def echo_headers(request: web.Request) -> web.Response:
    wanted = ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "Upgrade", "Connection")
    return web.json_response({name: request.headers.get(name) for name in wanted})


@asynccontextmanager
async def echo_server() -> AsyncIterator[int]:
    """An upstream that answers with the headers nginx sent it."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", echo_headers)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


async def test_the_server_is_told_the_client_came_over_https_and_from_where(
    tmp_path: Path, certificate: Certificate
) -> None:
    async with echo_server() as port, client(certificate) as http:
        with running_nginx(tmp_path, port, certificate) as nginx:
            # A client's own claim about its address is replaced, not passed on.
            spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
            async with http.get(f"{nginx.base_url}/lesson", headers=spoofed) as page:
                told = await page.json()
            async with http.get(
                f"{nginx.base_url}/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade"}
            ) as upgrade:
                told_ws = await upgrade.json()
    assert told == {
        "Host": SITE_NAME,
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "https",
        "Upgrade": None,
        "Connection": "close",
    }
    assert told_ws == {
        "Host": SITE_NAME,
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "https",
        "Upgrade": "websocket",
        "Connection": "upgrade",
    }


@pytest.fixture
def site_without_upgrade() -> str:
    site = readme_site()
    for line in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection"):
        site = re.sub(rf"^\s*{re.escape(line)}.*\n", "", site, flags=re.MULTILINE)
    return site


async def test_without_the_upgrade_lines_the_websocket_is_refused(
    tmp_path: Path, certificate: Certificate, site_without_upgrade: str
) -> None:
    async with serving(tmp_path / "server") as server:
        (tmp_path / "nginx").mkdir()
        port = server.config.port
        with running_nginx(tmp_path / "nginx", port, certificate, site_without_upgrade) as nginx:
            async with client(certificate) as http:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"wss://{SITE_NAME}:{nginx.https_port}/ws")
    assert refused.value.status == 400
