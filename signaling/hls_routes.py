"""An event's live HLS over HTTP, under an unguessable path that expires.

A school's event stays closed: its playlists and segments live under
`/hls/<key>/…`, where the key names the event, says until when it opens it, and is signed
with the server's secret. Only those who may watch get one (`StreamKeys.path`, handed out
with a room token: the event link's guests, the school's people). Nothing else is checked,
so a CDN or nginx in front may cache the answers, and the cache headers say for how long:

- `live.m3u8`, the live playlist (the last segments): one second while the event is on;
- `vod.m3u8`, every segment: one second while it grows, an hour once the event has ended;
- segments never change: a year, immutable.

In a district, any node answers: the files are on the shared DATA_DIR, written by the node
that holds the event; before its first segment, a node that does not hold it answers the
empty live playlist as that node would (a 404 would make the player give up).
"""

from __future__ import annotations

import functools
from pathlib import Path

from aiohttp import web

from classroom import errors
from classroom.errors import ClassroomError
from recording.broadcast import PLAYLIST, SEGMENT
from recording.hls import SEGMENT_NAME, Playlist, live_window, on_demand

from .api_plumbing import BROADCASTS, STREAM_KEYS, Operation
from .room_calls import ROOM_CALLS

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"
LIVE_CACHE = "public, max-age=1"
ENDED_CACHE = "public, max-age=3600"
SEGMENT_CACHE = "public, max-age=31536000, immutable"
EMPTY = f"#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:{SEGMENT}\n#EXT-X-MEDIA-SEQUENCE:0\n"


async def hls_file(request: web.Request) -> web.StreamResponse:
    session_id = request.app[STREAM_KEYS].session_of(request.match_info["key"])
    directory = request.app[BROADCASTS].directory(session_id)
    name = request.match_info["name"]
    if name in ("live.m3u8", "vod.m3u8"):
        live = request.app[BROADCASTS].live(session_id)
        path = directory / PLAYLIST
        if not live and not path.exists():
            # The event may be on the air from another node of the district.
            live = await request.app[ROOM_CALLS].router.owner(session_id) is not None
        return _playlist(path, name == "live.m3u8", live)
    if SEGMENT_NAME.match(name) and (directory / name).is_file():
        response = web.FileResponse(directory / name)
        response.content_type = SEGMENT_TYPE
        response.headers["Cache-Control"] = SEGMENT_CACHE
        return response
    raise ClassroomError(errors.NOT_FOUND, "no such file in this stream")


def _playlist(path: Path, window: bool, running: bool) -> web.Response:
    try:
        stat = path.stat()
    except FileNotFoundError as error:
        if not running:
            raise ClassroomError(errors.NOT_FOUND, "the broadcast has not begun") from error
        # Started, its first segment not yet whole: a live playlist with nothing in it yet,
        # which a player asks again for (a 404 would make it give up).
        return web.Response(text=EMPTY, content_type=PLAYLIST_TYPE, headers=_LIVE)
    live, vod, ended = _rendered(str(path), stat.st_mtime_ns, stat.st_size)
    body = live if window else vod
    return web.Response(
        text=body,
        content_type=PLAYLIST_TYPE,
        headers={"Cache-Control": ENDED_CACHE if ended else LIVE_CACHE},
    )


_LIVE = {"Cache-Control": LIVE_CACHE}


@functools.lru_cache(maxsize=64)
def _rendered(path: str, mtime_ns: int, size: int) -> tuple[str, str, bool]:
    """The live window, the on-demand list and whether it ended, made once per version of
    the playlist: every viewer asks every second, and a long event lists thousands of
    segments. Its modification time and size change with every new segment."""
    text = Path(path).read_text()
    return live_window(text), on_demand(text), Playlist.parse(text).ended


HLS_OPERATIONS = [
    Operation(
        "GET",
        "/hls/{key}/{name}",
        hls_file,
        "An event's live HLS: live.m3u8 (the live edge), vod.m3u8 (every segment; the"
        " on-demand video once the event ended), segmentNNNNN.ts. The key is the secret.",
        public=True,
        produces=PLAYLIST_TYPE,
        tags=["events"],
    ),
]
