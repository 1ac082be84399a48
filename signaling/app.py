"""The aiohttp application factory: routes, shared state and their lifetimes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, web

from classroom.administration import Administration, AdminRepository
from classroom.erasure import Erasure
from classroom.errors import SESSION_NOT_LIVE, ClassroomError
from classroom.material_files import MaterialFiles
from classroom.materials import Materials
from classroom.postgres_store import PostgresStore
from classroom.service import Classroom
from classroom.sign_ins import SignIns
from classroom.sqlite_store import SqliteStore
from recording.recovery import recover_recordings
from recording.remux import participant_files
from recording.room_recorder import RoomRecorder
from sfu.control import LocalSfu, SfuControl
from sfu.placement import LocalPlacement
from sfu.process import SfuProcess
from sfu.shards import ShardedSfu

from . import admin_routes, api, erasure_routes, material_requests, metrics, recording_control
from .absence import Absences
from .auth import TokenIssuer
from .broadcasts import Broadcasts
from .compositions import Compositions
from .config import Config
from .district_node import district_node
from .headers import security_headers
from .hostless import HostlessTimers
from .material_routes import MATERIAL_DELETED, MATERIALS
from .metrics_access import metrics_refusal
from .retention import Retention
from .room_calls import NODE_UNREACHABLE, ROOM_CALLS, RoomCalls, node_key
from .rooms import LiveRooms
from .schedule_routes import SCHOOL_EVENTS
from .school_events import SESSION_NEWS, LocalNews, SchoolEvents, SessionNews
from .school_events_redis import RedisNews
from .server_state import ServerState
from .session import Session
from .sfu_link import PATH as SFU_LINK
from .sfu_link import serve_link
from .stream_keys import StreamKeys
from .throttle import Throttle

logger = logging.getLogger(__name__)

STATE = web.AppKey("state", ServerState)
CONFIG = web.AppKey("config", Config)
RETENTION = web.AppKey("retention", Retention)

"""The sweeps deleting recordings past their school's keeping."""
TRANSPORT_MAX_FRAME = 4 * 1024 * 1024
"""Frames above this close the socket (1009); between 64 KiB and this, an error reply."""


async def _websocket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=TRANSPORT_MAX_FRAME, heartbeat=20)
    await ws.prepare(request)
    state = request.app[STATE]
    relayed_by = state.door.relayed_by(request) if state.door is not None else None
    await Session(ws, state, relayed_by=relayed_by).run()
    return ws


async def _sfu_link(request: web.Request) -> web.StreamResponse:
    """Another node of the district driving this node's SFU (signaling/sfu_link.py)."""
    state = request.app[STATE]
    if state.cascade is None:
        raise web.HTTPNotFound(text="this server is not a node of a district")
    key = node_key(request.app[CONFIG].secret)
    return await serve_link(request, state.cascade.local, state.rooms, key)


async def _index(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(request.app[CONFIG].web_root / "index.html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(name: str) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    """A static page of the web client; its script reads the URL (an invite id, a token)."""

    async def serve(request: web.Request) -> web.FileResponse:
        response = web.FileResponse(request.app[CONFIG].web_root / name)
        response.headers["Cache-Control"] = "no-store"
        return response

    return serve


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _metrics(request: web.Request) -> web.Response:
    return await _scrape(request, request.app, beside_pages=True)


async def _scrape(request: web.Request, app: web.Application, beside_pages: bool) -> web.Response:
    config = app[CONFIG]
    refusal = metrics_refusal(request, config.metrics_token, beside_pages)
    if refusal is not None:
        return refusal
    state = app[STATE]
    body = metrics.render(
        await state.sfu.stats(),
        state.rooms.participant_count,
        state.errors_sent,
        await state.sfu.downlinks() if config.metrics_detail else [],
        state.door.relays if state.door is not None else 0,
    )
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def metrics_app(main: web.Application) -> web.Application:
    """/metrics alone, for a listener of its own (METRICS_PORT): the main app's numbers."""
    app = web.Application()

    async def scrape(request: web.Request) -> web.Response:
        return await _scrape(request, main, beside_pages=False)

    app.router.add_get("/metrics", scrape)
    return app


def create_app(config: Config) -> web.Application:
    app = web.Application()
    app[CONFIG] = config

    async def sfu_lifetime(app: web.Application) -> AsyncIterator[None]:
        rooms = LiveRooms(config.max_participants, config.max_audience)
        compositions = app[api.COMPOSITIONS]
        if not config.redis_url:  # a district's node does this in step with the others
            # Before any room opens: what a crash (kill -9, power) left unfinished is made whole.
            recordings = config.data_dir / "recordings"
            recovered = await asyncio.to_thread(recover_recordings, recordings)
            for directory in recovered:
                logger.warning("recovered the recording %s after an unclean stop", directory)
                await asyncio.to_thread(participant_files, directory)
            # Composing is slow; what a stop or a crash interrupted starts again.
            await compositions.resume(recordings)

        async def state(sfu: SfuControl) -> ServerState:
            made = ServerState(
                TokenIssuer(config.secret),
                sfu,
                rooms,
                app[api.CLASSROOM],
                turn=config.turn,
                ice_transport_policy=config.ice_transport_policy,
                absences=Absences(config.resume_grace),
                recordings=config.data_dir / "recordings",
                compositions=compositions,
                broadcasts=app[api.BROADCASTS],
                sign_in_alive=app[api.SIGN_INS].alive,
                materials=app[MATERIALS],
                breakout_min_seconds=config.breakout_min_seconds,
            )
            if config.hostless_end > 0:
                made.hostless = HostlessTimers(config.hostless_end, made.end_hostless)
                # Sessions a stop or a crash left live: their rooms are empty now, and end
                # unless a host comes back (the pages reconnect by themselves).
                for session_id in await app[api.CLASSROOM].live_sessions():
                    await made.host_presence(session_id)
            return made

        if config.sfu_workers <= 0:
            local = LocalSfu(config.ice_addresses, rooms, RoomRecorder.open)
            app[STATE] = await state(local)
            async with district_node(app, config, app[STATE], TRANSPORT_MAX_FRAME):
                yield
            await app[STATE].close()
            await local.close()
            return
        workers = [
            SfuProcess(config.ice_addresses, rooms, module="signaling.sfu_worker")
            for _ in range(config.sfu_workers)
        ]
        await asyncio.gather(*(w.start() for w in workers))
        app[STATE] = await state(ShardedSfu(workers, LocalPlacement(len(workers))))
        logger.info("SFU in %d worker processes: %s", len(workers), [w.pid for w in workers])
        async with district_node(app, config, app[STATE], TRANSPORT_MAX_FRAME):
            yield
        await app[STATE].close()
        await asyncio.gather(*(w.close() for w in workers))

    async def classroom_lifetime(app: web.Application) -> AsyncIterator[None]:
        # A district's nodes share one PostgreSQL (DATABASE_URL); a school alone, SQLite.
        store: AdminRepository  # else mypy joins the two classes into `object`
        if config.database_url:
            store = await PostgresStore.open(config.database_url)
        else:
            store = await SqliteStore.open(config.database_path)
        # One lock for every use case writing to the store (`classroom.use_cases.Writer`).
        writes = asyncio.Lock()
        # The school's pages hear of sessions starting at once: through Redis in a district
        # (a start on one node, a page on another), in process otherwise.
        hub = app[SCHOOL_EVENTS] = SchoolEvents(api.session_view)
        news: SessionNews
        if config.redis_url:
            news = RedisNews(config.redis_url, hub.deliver, on_gap=hub.close)
            news.start()
        else:
            news = LocalNews(hub.deliver)
        app[SESSION_NEWS] = news
        app[api.CLASSROOM] = Classroom(store, writes=writes, changes=news)
        hub.attach(app[api.CLASSROOM])
        app[api.SIGN_INS] = SignIns(store.sign_ins)
        app[api.THROTTLE] = Throttle(config.trust_proxy)
        app[admin_routes.ADMINISTRATION] = Administration(store, writes=writes)
        app[admin_routes.OPERATOR_TOKEN] = config.operator_token
        app[api.ISSUER] = TokenIssuer(config.secret)
        app[api.SETTINGS] = api.ApiSettings(config.base_url, config.token_ttl)
        app[api.RECORDINGS] = config.data_dir / "recordings"
        app[api.COMPOSITIONS] = Compositions(config.compose_workers)
        app[api.BROADCASTS] = Broadcasts(config.data_dir / "broadcasts")
        app[api.STREAM_KEYS] = StreamKeys(config.secret)
        app[erasure_routes.ERASURE] = Erasure(store, writes=writes)
        app[RETENTION] = Retention(
            store, config.data_dir / "recordings", app[api.BROADCASTS], app[api.COMPOSITIONS]
        )
        # Materials (issue 18): what a crash left half-stored goes before anyone uploads.
        app[MATERIALS] = Materials(
            store,
            MaterialFiles(config.data_dir / "materials", config.materials_max_mb * 1024 * 1024),
            writes=writes,
        )
        await app[MATERIALS].sweep()

        # The REST API's calls into live rooms, run where each room is (signaling/room_calls).
        async def switch_recording(session_id: str, on: bool, by: str) -> dict[str, Any]:
            return await calls.call("record", session_id, {"on": on, "by": by})

        async def session_ended(session_id: str) -> None:
            try:
                await calls.call("end", session_id, {})
            except ClassroomError as exc:
                if exc.code != NODE_UNREACHABLE:
                    raise
                # Ended in the database all the same: the room's node closes the room when
                # it next looks (signaling/ended_rooms.py), or it went with a dead node.
                logger.warning(
                    "session %s ended; its room's node was not told: %s", session_id, exc
                )

        async def session_started(session_id: str) -> None:
            await calls.call("start", session_id, {})

        async def room_status(session_id: str) -> dict[str, Any]:
            return await calls.call("status", session_id, {})

        async def signed_out(user_id: str, sign_ins: list[str]) -> None:
            await calls.everywhere("sign_out", {"sign_ins": sign_ins})

        async def material_deleted(material_id: str) -> None:
            # Any lesson of the material's class may show it, in a room on any node: each
            # node stops its own rooms showing it (one call per node, no lookup of which
            # lessons are live). A node that does not answer is logged: the row and file are
            # gone already, and its pages find the file missing (404) at their next page.
            await calls.everywhere("material_deleted", {"material_id": material_id})

        app[MATERIAL_DELETED] = material_deleted
        app[api.RECORDING_SWITCH] = switch_recording
        app[api.SESSION_ENDED] = session_ended
        app[api.SESSION_STARTED] = session_started
        app[api.ROOM_STATUS] = room_status
        app[api.SIGNED_OUT] = signed_out
        yield
        await news.close()
        await calls.close()
        await app[api.COMPOSITIONS].close()
        await app[api.BROADCASTS].close()
        await store.close()

    calls = app[ROOM_CALLS] = RoomCalls(config.secret)
    calls.add_route(app)

    async def record(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        state = app[STATE]
        if state.rooms.present(room) is None:
            raise ClassroomError(SESSION_NOT_LIVE, "no one is in the session's room")
        if arguments["on"]:
            recording_id = await recording_control.begin(state, room, arguments["by"])
            return {"recording": True, "recordingId": recording_id}
        recording_id, tracks = await recording_control.finish(state, room)
        return {"recording": False, "recordingId": recording_id, "tracks": tracks}

    async def end(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        await app[STATE].end_room(room)
        return {}

    async def start(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        await app[STATE].start_room(room)
        return {}

    async def status(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return app[STATE].room_status(room)

    async def sign_out(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        ended = set(arguments["sign_ins"])
        app[SCHOOL_EVENTS].signed_out(ended)  # the /school pages' streams too
        return {"closed": app[STATE].sign_out(ended)}

    async def stop_showing(room: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return {
            "stopped": material_requests.material_deleted(
                app[STATE].rooms, arguments["material_id"]
            )
        }

    for action, run in [
        ("material_deleted", stop_showing),
        ("record", record),
        ("end", end),
        ("start", start),
        ("status", status),
        ("sign_out", sign_out),
    ]:
        calls.handle(action, run)

    async def close_sockets(app: web.Application) -> None:
        # A restart (a deploy, a reboot) is not everyone leaving: say so, so that clients
        # keep retrying until the server is back (close code 1012, "service restart").
        # A node of a district leaves it first: the pages' next tries go to other nodes.
        state = app[STATE]
        await state.router.close()
        if state.door is not None:
            await state.door.close_relays()
        for session in list(state.sessions):
            session.send({"type": "server_restarting"})
            session.close_soon(WSCloseCode.SERVICE_RESTART)

    async def close_streams(app: web.Application) -> None:
        # The /school pages' event streams end; their EventSource reconnects (elsewhere).
        app[SCHOOL_EVENTS].close()

    async def retention_lifetime(app: web.Application) -> AsyncIterator[None]:
        # After the SFU's start: recovery has made crashed recordings whole (and stopped).
        sweeps = asyncio.get_running_loop().create_task(app[RETENTION].run(config.retention_period))
        yield
        sweeps.cancel()
        await asyncio.gather(sweeps, return_exceptions=True)

    app.cleanup_ctx.append(classroom_lifetime)
    app.cleanup_ctx.append(sfu_lifetime)
    app.cleanup_ctx.append(retention_lifetime)
    app.on_shutdown.append(close_sockets)
    app.on_shutdown.append(close_streams)
    app.on_response_prepare.append(security_headers(config.base_url.startswith("https://")))
    app.router.add_get(SFU_LINK, _sfu_link)
    app.router.add_get("/", _index)
    app.router.add_get("/lesson", _index)
    app.router.add_get("/lesson/{room}", _index)
    app.router.add_get("/signin", _page("signin.html"))
    app.router.add_get("/school", _page("school.html"))
    app.router.add_get("/join/{invite_id}", _page("join.html"))
    app.router.add_get("/reset/{link}", _page("reset.html"))
    app.router.add_get("/event/{link}", _page("event.html"))
    app.router.add_get("/broadcast/{session_id}", _page("broadcast.html"))
    app.router.add_get("/recordings/{session_id}/{recording_id}", _page("playback.html"))
    app.router.add_get("/ws", _websocket)
    app.router.add_get("/healthz", _healthz)
    if config.metrics_port <= 0:
        app.router.add_get("/metrics", _metrics)
    app.router.add_static("/static/", config.web_root, follow_symlinks=False)
    api.add_routes(app)
    return app
