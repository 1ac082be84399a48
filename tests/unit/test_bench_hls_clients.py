"""The bench's HLS viewers against a real aiohttp server whose live playlist moves on."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bench.hls_clients import HlsClient
from recording.hls import Playlist


def playlist(first: int, count: int) -> str:
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
    for n in range(first, first + count):
        lines += ["#EXTINF:2.0,", f"segment{n:05d}.ts"]
    return "\n".join(lines) + "\n"


async def test_a_client_fetches_each_new_segment_once_and_counts_what_it_missed(
    aiohttp_client: Any,
) -> None:
    served: list[str] = []

    async def segment(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        served.append(name)
        if name == "segment00004.ts":
            raise web.HTTPNotFound()
        return web.Response(body=b"x" * 100)

    app = web.Application()
    app.router.add_get("/hls/k/{name}", segment)
    client = await aiohttp_client(app)
    viewer = HlsClient()
    base = str(client.make_url("/hls/k"))
    session = client.session
    await viewer._segments(session, base, Playlist.parse(playlist(0, 3)))
    assert served == ["segment00002.ts"]  # it starts at the live edge, as a player does
    await viewer._segments(session, base, Playlist.parse(playlist(1, 4)))
    assert served == ["segment00002.ts", "segment00003.ts", "segment00004.ts"]
    await viewer._segments(session, base, Playlist.parse(playlist(7, 2)))  # it fell behind
    assert served[3:] == ["segment00007.ts", "segment00008.ts"]
    assert (viewer.fetched, viewer.failed, viewer.skipped, viewer.bytes) == (4, 1, 2, 400)
