"""Nodes of one district on 127.0.0.1, each a whole server, with a real redis-server between
them: whichever node a page reaches, it lands in its room on the node that holds it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from psycopg import sql
from redis.asyncio import Redis

from bench.bots import PublisherBot, SubscriberBot
from bench.redis_server import RedisServer, running_redis
from bench.signal_client import SignalError
from classroom.models import SessionKind
from classroom.roles import Grants, Role
from district import directory
from district.directory import Directory
from recording.sidecar import read_sidecar, session_folder
from signaling import api, ended_rooms, hls_routes
from signaling.door import RELAYED_BY
from signaling.routing import DistrictRouter
from signaling.server_state import CLOSE_ENDED, CLOSE_SIGNED_OUT
from tests.pdfs import numbered_pdf
from tests.postgres import Postgres
from tests.server_process import free_port

from .conftest import RunningServer, serving

OPERATOR = "operator-token-for-the-district-tests"
_databases = itertools.count()


@pytest.fixture
def school_database(postgres_server: Postgres) -> str:
    """A fresh database on the tests' PostgreSQL: the schools every node of a district shares."""
    name = f"district_{next(_databases)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return postgres_server.url(name)


@asynccontextmanager
async def district(
    tmp_path: Path,
    redis_server: RedisServer,
    nodes: int,
    database_url: str,
    unreachable: frozenset[int] = frozenset(),
) -> AsyncIterator[list[RunningServer]]:
    """`nodes` servers on one Redis (a fresh database of it) and one PostgreSQL database;
    those in `unreachable` (by index) tell the others a URL where nothing listens."""
    async with Redis.from_url(redis_server.url) as redis:
        await redis.flushdb()
    async with AsyncExitStack() as stack:
        servers = []
        for i in range(nodes):
            port = free_port()
            servers.append(
                await stack.enter_async_context(
                    serving(
                        tmp_path / f"node{i}",
                        port=port,
                        database_url=database_url,
                        redis_url=redis_server.url,
                        node_id=f"node{i}",
                        node_url=f"http://127.0.0.1:{free_port() if i in unreachable else port}",
                        operator_token=OPERATOR,
                    )
                )
            )
        yield servers


async def owner(room: str, redis_server: RedisServer) -> str | None:
    async with Redis.from_url(redis_server.url) as redis:
        placement = await Directory(redis).owner(room)
    return placement.node if placement is not None else None


async def emptied(server: RunningServer) -> dict[str, int]:
    """Its rooms once the leaving of those it closed has run (after their sockets closed)."""
    for _ in range(100):
        if not server.state.rooms.head_counts():
            break
        await asyncio.sleep(0.05)
    return server.state.rooms.head_counts()


async def relays(server: RunningServer) -> float:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as response:
        text = await response.text()
    (line,) = [x for x in text.splitlines() if x.startswith("classroom_door_relays ")]
    return float(line.split()[1])


def router_of(server: RunningServer) -> DistrictRouter:
    router = server.state.router
    assert isinstance(router, DistrictRouter)
    return router


def node_of(server: RunningServer) -> str:
    return router_of(server).node


async def test_joins_through_different_nodes_meet_in_one_room(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 3, school_database) as (a, b, c),
        AsyncExitStack() as stack,
    ):
        teacher = PublisherBot(b.url, b.token("teacher", Role.TEACHER))
        await stack.enter_async_context(teacher)
        await teacher.start()
        pupils = []
        for name, door in (("anna", a), ("boris", c), ("vera", b)):
            bot = SubscriberBot(door.url, door.token(name))
            await stack.enter_async_context(bot)
            await bot.join()
            pupils.append(bot)
        for bot in pupils:
            streams = await bot.wait_for_streams(2, packets=30, video_keyframe=True)
            assert sorted(s.kind for s in streams) == ["audio", "video"]
        assert [await relays(s) for s in (a, b, c)] == [0, 2, 1]  # vera and the teacher via b
        # One room, where the first join (through b) placed it: on node0 (a), the first of
        # three equally empty nodes; b and c only relay.
        assert await owner("7b-maths", redis_server) == "node0"
        assert [node_of(s) for s in (a, b, c) if s.state.rooms.present("7b-maths")] == ["node0"]
        roster = a.state.rooms.present("7b-maths")
        assert roster is not None
        assert sorted(p.name for p in roster.participants.values()) == [
            "Anna",
            "Boris",
            "Teacher",
            "Vera",
        ]


async def test_two_lessons_go_to_two_nodes(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        AsyncExitStack() as stack,
    ):
        for room, door in (("7b-maths", b), ("8a-physics", b)):
            teacher = PublisherBot(door.url, door.token(f"teacher-{room}", Role.TEACHER, room=room))
            await stack.enter_async_context(teacher)
            await teacher.start()
            pupil = SubscriberBot(door.url, door.token(f"pupil-{room}", room=room))
            await stack.enter_async_context(pupil)
            await pupil.join()
            await pupil.wait_for_streams(2, packets=20)
        assert await owner("7b-maths", redis_server) == "node0"
        assert await owner("8a-physics", redis_server) == "node1"  # node0 holds 2 people
        assert set(a.state.rooms.head_counts()) == {"7b-maths"}
        assert set(b.state.rooms.head_counts()) == {"8a-physics"}


async def test_the_first_two_joining_at_once_through_two_nodes_meet_in_one_room(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        AsyncExitStack() as stack,
    ):
        anna = SubscriberBot(a.url, a.token("anna"))
        boris = SubscriberBot(b.url, b.token("boris"))
        for bot in (anna, boris):
            await stack.enter_async_context(bot)
        await asyncio.gather(anna.join(), boris.join())
        counts = [s.state.rooms.head_counts().get("7b-maths", 0) for s in (a, b)]
        assert sorted(counts) == [0, 2]


async def test_a_node_that_stalled_past_its_lease_closes_the_room_another_node_took(
    tmp_path: Path, school_database: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "LEASE", 1.0)
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        AsyncExitStack() as stack,
    ):
        anna = SubscriberBot(a.url, a.token("anna"))
        await stack.enter_async_context(anna)
        await anna.join()
        assert await owner("7b-maths", redis_server) == "node0"
        stalled = router_of(a)
        beat = stalled.beat

        async def frozen() -> None:
            return None

        monkeypatch.setattr(stalled, "beat", frozen)  # node0 stops renewing its lease
        await asyncio.sleep(1.5)
        boris = SubscriberBot(b.url, b.token("boris"))
        await stack.enter_async_context(boris)
        await boris.join()
        assert await owner("7b-maths", redis_server) == "node1"
        assert anna.signal.close_code is None  # node0 has not noticed yet
        await beat()  # node0 wakes up: its token is stale, the room is no longer its own
        # The page reconnects, and its door finds node1.
        assert await asyncio.wait_for(anna.signal.wait_closed(), 5) == 1012
        assert await emptied(a) == {}
        assert b.state.rooms.head_counts() == {"7b-maths": 1}


async def operator(
    method: str, server: RunningServer, path: str, body: object = None, token: str = OPERATOR
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status, await response.json()


async def test_the_operator_sees_the_nodes_and_drains_one(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        AsyncExitStack() as stack,
    ):
        anna = SubscriberBot(b.url, b.token("anna"))
        await stack.enter_async_context(anna)
        await anna.join()
        for node in (a, b):
            await router_of(node).beat()  # as each does every second
        status, listed = await operator("GET", b, "/api/operator/nodes")
        assert status == 200
        assert listed == {
            "nodes": [
                {
                    "id": "node0",
                    "url": a.url,
                    "capacity": 300,
                    "draining": False,
                    "people": 1,
                    "guests": 0,
                    "rooms": {"7b-maths": 1},
                },
                {
                    "id": "node1",
                    "url": b.url,
                    "capacity": 300,
                    "draining": False,
                    "people": 0,
                    "guests": 0,
                    "rooms": {},
                },
            ]
        }
        status, drained = await operator(
            "POST", b, "/api/operator/nodes/node0/drain", {"draining": True}
        )
        assert (status, drained["id"], drained["draining"]) == (200, "node0", True)
        # node0 holds fewer people than node1 would, yet the next lesson starts on node1.
        physics = SubscriberBot(a.url, a.token("boris", room="8a-physics"))
        await stack.enter_async_context(physics)
        await physics.join()
        assert await owner("8a-physics", redis_server) == "node1"
        assert a.state.rooms.head_counts() == {"7b-maths": 1}  # its lesson goes on
        status, back = await operator(
            "POST", a, "/api/operator/nodes/node0/drain", {"draining": False}
        )
        assert (status, back["draining"]) == (200, False)

        assert await operator("POST", a, "/api/operator/nodes/node9/drain", {"draining": True}) == (
            404,
            {"error": {"code": "no_such_node", "message": "no live node 'node9' in the district"}},
        )
        status, refused = await operator("GET", a, "/api/operator/nodes", token="wrong")
        assert (status, refused["error"]["code"]) == (401, "unauthorized")
        status, refused = await operator(
            "POST", a, "/api/operator/nodes/node0/drain", {"draining": "yes"}
        )
        assert (status, refused["error"]["code"]) == (400, "invalid_input")


async def test_a_single_server_is_not_a_district(tmp_path: Path) -> None:
    async with serving(tmp_path, operator_token=OPERATOR) as alone:
        assert await operator("GET", alone, "/api/operator/nodes") == (
            404,
            {
                "error": {
                    "code": "not_a_district",
                    "message": "this server is not a node of a district (REDIS_URL)",
                }
            },
        )


async def test_rest_calls_into_a_live_room_reach_the_node_that_holds_it(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 3, school_database) as (a, b, c),
        aiohttp.ClientSession() as http,
    ):
        classroom = a.app[api.CLASSROOM]  # the school's database is the district's, shared
        admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
        teacher = await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")
        teacher = await classroom.verify_teacher(admin, teacher.id)
        school_class = await classroom.create_class(admin, "7Б")
        await classroom.assign_teacher(admin, school_class.id, teacher.id)
        invite = await classroom.create_invite(teacher, school_class.id, Role.PUPIL)
        await classroom.redeem_invite(invite.id, "Аня Петрова", "anya", "pupil-pw-12")
        lesson = await classroom.create_session(
            teacher, SessionKind.LESSON, "Дроби", school_class.id
        )

        async def sign_in(door: RunningServer, login: str, password: str) -> str:
            async with http.post(
                f"{door.url}/api/auth/login", json={"login": login, "password": password}
            ) as signed:
                return str((await signed.json())["token"])

        async def rest(
            door: RunningServer, method: str, path: str, token: str, body: object = None
        ) -> Any:
            async with http.request(
                method, door.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        async def room_token(door: RunningServer, api_token: str) -> str:
            entry = await rest(door, "POST", f"/api/sessions/{lesson.id}/join", api_token)
            return str(entry["token"])

        olga = await sign_in(c, "olga", "teacher-pw-1")
        anya = await sign_in(c, "anya", "pupil-pw-12")
        # The pupil comes early, through c: the room is placed (on node0, a) and she waits.
        early = await http.ws_connect(c.url.replace("http", "ws") + "/ws")
        await early.send_json({"type": "join", "id": 1, "token": await room_token(c, anya)})
        assert (await early.receive_json(timeout=10))["type"] == "waiting"
        assert await owner(lesson.id, redis_server) == "node0"
        async with Redis.from_url(redis_server.url) as redis:
            # Counted as its class (a pupil, a teacher) before they came: how rooms spread.
            assert await redis.hget(f"classroom:room:{lesson.id}", "expected") == b"2"
        # The teacher starts the lesson through b: node0 lets her in.
        await rest(b, "POST", f"/api/sessions/{lesson.id}/start", olga)
        assert (await early.receive_json(timeout=10))["type"] == "joined"
        teacher_ws = await join(http, b.url, await room_token(b, olga))

        listed = await rest(c, "GET", "/api/sessions", olga)
        (room,) = [s["room"] for s in listed["sessions"] if s["id"] == lesson.id]
        assert room == {"people": 2, "host": True, "ends_at": None}

        switched = await rest(b, "POST", f"/api/sessions/{lesson.id}/recording", olga, {"on": True})
        assert switched["recording"] is True
        assert a.state.rooms.moderation(lesson.id).recording == switched["recordingId"]
        stopped = await rest(c, "POST", f"/api/sessions/{lesson.id}/recording", olga, {"on": False})
        assert (stopped["recording"], stopped["recordingId"]) == (False, switched["recordingId"])
        folder = session_folder(a.config.data_dir / "recordings", lesson.id)
        written = read_sidecar(folder / switched["recordingId"])
        assert written is not None and written["session"]["node"] == "node0"  # for a repair

        # A material shown in the room (on a) and deleted through c: the show stops there.
        form = aiohttp.FormData()
        form.add_field("file", numbered_pdf(2), filename="Дроби.pdf")
        async with http.post(
            f"{b.url}/api/sessions/{lesson.id}/materials",
            data=form,
            headers={"Authorization": f"Bearer {olga}"},
        ) as uploaded:
            material = await uploaded.json()
        await teacher_ws.send_json({"type": "material_show", "id": 2, "materialId": material["id"]})
        assert (await _next(teacher_ws, "material"))["material"]["id"] == material["id"]
        await rest(c, "DELETE", f"/api/materials/{material['id']}", olga)
        assert await _next(teacher_ws, "material") == {
            "type": "material",
            "material": None,
            "by": None,
        }
        shown_then_stopped = [await _next(early, "material") for _ in range(2)]
        assert [m["material"] is None for m in shown_then_stopped] == [False, True]
        assert a.state.rooms.moderation(lesson.id).showing is None

        # The pupil signs out on another node: her connection (relayed by c to a) closes.
        await rest(b, "POST", "/api/auth/logout", anya)
        assert await _close_code(early) == CLOSE_SIGNED_OUT

        await rest(c, "POST", f"/api/sessions/{lesson.id}/end", olga)
        assert await _close_code(teacher_ws) == CLOSE_ENDED
        assert await emptied(a) == {}


async def join(
    http: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url.replace("http", "ws") + "/ws")
    await ws.send_json({"type": "join", "id": 1, "token": token})
    while (message := await ws.receive_json(timeout=10))["type"] != "joined":
        assert message["type"] != "error", message
    return ws


async def _next(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while (message := await ws.receive_json(timeout=10))["type"] != kind:
        assert message["type"] != "error", message
    return message


async def _close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    async for _ in ws:
        pass
    return ws.close_code


async def test_cut_off_from_redis_a_node_refuses_joins_and_closes_its_rooms_after_its_lease(
    tmp_path: Path, school_database: str
) -> None:
    with running_redis(tmp_path) as own_redis:
        async with (
            district(tmp_path, own_redis, 1, school_database) as (a,),
            AsyncExitStack() as stack,
        ):
            anna = SubscriberBot(a.url, a.token("anna"))
            await stack.enter_async_context(anna)
            await anna.join()
            own_redis.process.terminate()
            own_redis.process.wait(10)
            boris = SubscriberBot(a.url, a.token("boris"))
            await stack.enter_async_context(boris)
            with pytest.raises(SignalError) as refused:
                await boris.join()
            assert refused.value.code == "no_node"
            assert "Redis" in str(refused.value)
            assert not anna.signal.closed  # within its lease the room goes on
            # Past the lease another node could hold the room: this one closes its copy,
            # and anna's page keeps trying until the directory answers again.
            assert await asyncio.wait_for(anna.signal.wait_closed(), 10) == 1012
            assert await emptied(a) == {}


async def test_an_event_s_audience_through_other_nodes_watches_from_those_nodes(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 3, school_database) as (a, b, c),
        AsyncExitStack() as stack,
    ):
        performer = PublisherBot(a.url, a.token("performer", Role.TEACHER, room="concert"))
        await stack.enter_async_context(performer)
        await performer.start()
        viewers = []
        for name, door in (("anna", b), ("boris", b), ("vera", c), ("gleb", a)):
            token = door.token(name, Role.GUEST, Grants(subscribe=True), room="concert")
            bot = SubscriberBot(door.url, token)
            await stack.enter_async_context(bot)
            await bot.join()
            viewers.append(bot)
        for bot in viewers:
            streams = await bot.wait_for_streams(2, packets=30, video_keyframe=True)
            assert sorted(s.kind for s in streams) == ["audio", "video"]
        # One room, signalled at node0; the viewers who came through node1 and node2 get
        # their media from those nodes' SFUs, which the stage reaches once each.
        assert set(a.state.rooms.head_counts()) == {"concert"}
        assert b.state.rooms.head_counts() == {} == c.state.rooms.head_counts()
        origin = (await a.state.sfu.stats())["peers"]
        assert origin == 2  # the performer and gleb
        assert (await sfu_of(b).stats())["peers"] == 3  # anna, boris, the performer piped
        assert (await sfu_of(c).stats())["peers"] == 2  # vera, the performer piped
        # Each node's load in the directory is the people whose media it carries: node0 the
        # performer and gleb, node1 anna and boris, node2 vera (after a heartbeat).
        loads: dict[str, tuple[dict[str, int], int]] = {}
        for _ in range(50):
            async with Redis.from_url(redis_server.url) as redis:
                loads = {n.id: (n.rooms, n.guests) for n in await Directory(redis).nodes()}
            if loads.get("node1", ({}, 0))[1] == 2 and loads.get("node2", ({}, 0))[1] == 1:
                break
            await asyncio.sleep(0.1)
        assert loads == {"node0": ({"concert": 2}, 0), "node1": ({}, 2), "node2": ({}, 1)}


def sfu_of(server: RunningServer) -> Any:
    cascade = server.state.cascade
    assert cascade is not None
    return cascade.local


async def test_a_page_cannot_pass_itself_off_as_relayed_by_a_door(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    # A page naming a door in the header (without the district's node key) is a page like
    # any other: relayed to the room's node, not refused as a relay gone astray, and never
    # given a peer on the node it named.
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        PublisherBot(a.url, a.token("teacher", Role.TEACHER)) as teacher,
        aiohttp.ClientSession() as http,
    ):
        await teacher.start()
        assert await owner("7b-maths", redis_server) == "node0"
        async with http.ws_connect(
            b.url.replace("http", "ws", 1) + "/ws", headers={RELAYED_BY: "node1"}
        ) as ws:
            await ws.send_json({"type": "join", "id": 1, "token": b.token("anna")})
            joined = await ws.receive_json(timeout=10)
            assert (joined["type"], joined["id"]) == ("joined", 1)
            assert await relays(b) == 1
            roster = a.state.rooms.present("7b-maths")
            assert roster is not None
            assert sorted(p.name for p in roster.participants.values()) == ["Anna", "Teacher"]


async def test_an_event_s_hls_through_another_node_waits_for_its_first_segment(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    # Before the broadcast's first segment, the node that holds the event answers an empty
    # live playlist (the player asks again); a node that does not hold it must too, not a 404
    # that makes the player give up. (The segments come from the shared DATA_DIR after.)
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        classroom = a.app[api.CLASSROOM]
        admin = await classroom.create_school("Школа №5", "Анна", "anna", "admin-password-1")
        concert = await classroom.create_session(admin, SessionKind.EVENT, "Концерт")
        rehearsal = await classroom.create_session(admin, SessionKind.EVENT, "Репетиция")
        for event in (concert, rehearsal):
            await classroom.start_session(admin, event.id)
        keys = b.app[api.STREAM_KEYS]
        token = a.token("performer", Role.TEACHER, room=concert.id)
        async with PublisherBot(a.url, token) as performer:
            await performer.start()
            assert await owner(concert.id, redis_server) == "node0"
            async with http.get(f"{b.url}/hls/{keys.key(concert.id, 600)}/live.m3u8") as got:
                assert (got.status, await got.text()) == (200, hls_routes.EMPTY)
            # An event on the air nowhere is still not found.
            async with http.get(f"{b.url}/hls/{keys.key(rehearsal.id, 600)}/live.m3u8") as got:
                assert got.status == 404


async def test_a_session_ended_through_a_node_that_cannot_reach_the_room_s_node_still_ends(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    # The teacher's "end" reaches node1, which cannot reach node0 holding the room: the
    # session is ended all the same (not a 503 with the database already saying ended), and
    # node0 closes the room when it next looks at the database.
    async with (
        district(tmp_path, redis_server, 2, school_database, unreachable=frozenset({0})) as (
            a,
            b,
        ),
        aiohttp.ClientSession() as http,
    ):
        classroom = a.app[api.CLASSROOM]
        admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
        lesson = await classroom.create_session(admin, SessionKind.STAFF_MEETING, "Педсовет")
        await classroom.start_session(admin, lesson.id)
        host = await join(http, a.url, a.token("admin", Role.TEACHER, room=lesson.id))
        assert await owner(lesson.id, redis_server) == "node0"
        async with http.post(
            f"{b.url}/api/auth/login", json={"login": "admin", "password": "admin-password"}
        ) as signed:
            token = (await signed.json())["token"]
        async with http.post(
            f"{b.url}/api/sessions/{lesson.id}/end", headers={"Authorization": f"Bearer {token}"}
        ) as ended:
            assert ended.status == 200, await ended.text()
            assert (await ended.json())["state"] == "ended"
        assert await asyncio.wait_for(_close_code(host), 3 * ended_rooms.SWEEP) == CLOSE_ENDED
        assert await emptied(a) == {}
