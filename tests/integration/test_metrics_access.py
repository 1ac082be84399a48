"""/metrics: a scrape from this machine, or with METRICS_TOKEN, or on a listener of its own;
the per-participant series (room and participant ids) only with METRICS_DETAIL."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Role
from signaling.app import metrics_app
from tests.server_process import free_port

from .conftest import serving


async def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers or {}) as response:
            return response.status, await response.text()


async def test_without_a_token_only_a_direct_scrape_from_this_machine_is_answered(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, metrics_detail=False) as server:
        status, text = await _get(server.url + "/metrics")
        assert status == 200 and "classroom_rooms 0.0" in text
        # Through a proxy on this machine (nginx, Caddy add the header): refused.
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            status, text = await _get(server.url + "/metrics", {header: "203.0.113.7"})
            assert (status, text) == (
                403,
                "metrics: only scrapes from this machine, unless METRICS_TOKEN is set\n",
            )


async def test_with_a_token_the_token_is_needed(tmp_path: Path) -> None:
    async with serving(tmp_path, metrics_token="prom-secret-1") as server:
        status, text = await _get(server.url + "/metrics")
        assert (status, text) == (401, "metrics: send Authorization: Bearer <METRICS_TOKEN>\n")
        status, _ = await _get(server.url + "/metrics", {"Authorization": "Bearer wrong"})
        assert status == 401
        status, text = await _get(
            server.url + "/metrics",
            {"Authorization": "Bearer prom-secret-1", "X-Forwarded-For": "203.0.113.7"},
        )
        assert status == 200 and "classroom_rooms" in text


async def test_on_a_listener_of_its_own_and_not_beside_the_pages(tmp_path: Path) -> None:
    async with serving(tmp_path, metrics_port=1) as server:
        status, _ = await _get(server.url + "/metrics")
        assert status == 404
        runner = web.AppRunner(metrics_app(server.app))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            status, text = await _get(
                f"http://127.0.0.1:{port}/metrics", {"X-Forwarded-For": "10.0.0.9"}
            )
            assert status == 200 and "classroom_participants 0.0" in text
        finally:
            await runner.cleanup()


async def test_per_participant_series_only_with_detail(tmp_path: Path) -> None:
    for detail in (False, True):
        async with serving(tmp_path / str(detail), metrics_detail=detail) as server:
            async with (
                PublisherBot(
                    server.url, server.token("teacher", Role.TEACHER), video_size=(320, 180)
                ) as teacher,
                SubscriberBot(server.url, server.token("pupil")) as pupil,
            ):
                await teacher.start()
                await pupil.join()
                await pupil.wait_for_streams(2, packets=10)
                _, text = await _get(server.url + "/metrics")
            series = [line for line in text.splitlines() if line.startswith("classroom_subscriber")]
            assert ("classroom_participants 2.0" in text) is True
            if detail:
                assert any(f'participant="{pupil.participant_id}"' in s for s in series), series
            else:
                assert series == []
