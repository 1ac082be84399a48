"""aiortc's own relay as a server: decode once (MediaRelay), encode again for every subscriber.

This is the toy path DESIGN.md rejects; the bench runs it as the floor our SFU must stay far
above. Run as a process: `python -m bench.decode_relay PORT`. HTTP API (loopback only):
`POST /publish` and `POST /subscribe`, each `{"sdp": offer}` → `{"sdp": answer}`; a subscriber
offers recvonly audio and video and receives the last publisher's tracks.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from .client_glue import gather_only

TRACKS = web.AppKey("tracks", dict)
CONNECTIONS = web.AppKey("connections", set)
RELAY = web.AppKey("relay", MediaRelay)


async def _answer(pc: RTCPeerConnection, offer: str) -> str:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    gather_only(pc)
    await pc.setLocalDescription(await pc.createAnswer())
    return str(pc.localDescription.sdp)


async def _publish(request: web.Request) -> web.Response:
    body = await request.json()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    request.app[CONNECTIONS].add(pc)
    tracks: dict[str, MediaStreamTrack] = request.app[TRACKS]

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        tracks[track.kind] = track

    return web.json_response({"sdp": await _answer(pc, body["sdp"])})


async def _subscribe(request: web.Request) -> web.Response:
    body = await request.json()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    request.app[CONNECTIONS].add(pc)
    for kind, track in request.app[TRACKS].items():
        pc.addTrack(request.app[RELAY].subscribe(track))
        del kind
    return web.json_response({"sdp": await _answer(pc, body["sdp"])})


def create_app() -> web.Application:
    app = web.Application()
    app[TRACKS] = {}
    app[CONNECTIONS] = set()
    app[RELAY] = MediaRelay()

    async def close_all(app: web.Application) -> None:
        await asyncio.gather(*(pc.close() for pc in app[CONNECTIONS]))

    app.on_shutdown.append(close_all)
    app.router.add_post("/publish", _publish)
    app.router.add_post("/subscribe", _subscribe)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
