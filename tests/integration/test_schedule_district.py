"""The timetable's news in a district: a lesson started through one node reaches a /school
page whose stream is open on another (Redis pub/sub between the nodes), and only the pages
of those who see it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bench.redis_server import RedisServer
from classroom.models import SessionKind
from classroom.roles import Role
from signaling import api
from signaling.school_events import SESSION_NEWS
from signaling.school_events_redis import RedisNews

from .conftest import RunningServer
from .school_stream import next_event, session_news
from .test_district import district, school_database

__all__ = ["school_database"]  # the fixture, shared with the district's other tests

READY_WAIT = 30.0
"""Seconds a node may take to subscribe (a loaded machine); not a measure of anything."""


async def test_a_start_on_one_node_reaches_the_class_pages_on_another_and_no_one_else(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        for node in (a, b):
            news = node.app[SESSION_NEWS]
            assert isinstance(news, RedisNews)
            await asyncio.wait_for(news.ready.wait(), READY_WAIT)
        classroom = a.app[api.CLASSROOM]  # the school's database is the district's, shared
        admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
        teacher = await classroom.create_teacher(admin, "Ольга", "olga", "teacher-pw-1")
        teacher = await classroom.verify_teacher(admin, teacher.id)
        ours = await classroom.create_class(admin, "7Б")
        theirs = await classroom.create_class(admin, "8А")
        await classroom.assign_teacher(admin, ours.id, teacher.id)
        for school_class, name, login in ((ours, "Аня", "anya"), (theirs, "Вася", "vasya")):
            invite = await classroom.create_invite(admin, school_class.id, Role.PUPIL)
            await classroom.redeem_invite(invite.id, name, login, "pupil-pw-12")
        lesson = await classroom.create_session(teacher, SessionKind.LESSON, "Дроби", ours.id)
        chemistry = await classroom.create_session(admin, SessionKind.LESSON, "Химия", theirs.id)

        async def sign_in(door: RunningServer, login: str, password: str) -> str:
            async with http.post(
                f"{door.url}/api/auth/login", json={"login": login, "password": password}
            ) as signed:
                return str((await signed.json())["token"])

        async def stream(door: RunningServer, token: str) -> aiohttp.ClientResponse:
            response = await http.get(
                door.url + "/api/sessions/events", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status == 200
            assert await next_event(response) == ("ready", {})
            return response

        async def rest(door: RunningServer, path: str, token: str) -> Any:
            async with http.post(
                door.url + path, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        anya = await stream(b, await sign_in(b, "anya", "pupil-pw-12"))
        vasya = await stream(b, await sign_in(a, "vasya", "pupil-pw-12"))
        olga_b = await stream(b, await sign_in(a, "olga", "teacher-pw-1"))

        # Started through node a; the pages' streams are on node b.
        olga = await sign_in(a, "olga", "teacher-pw-1")
        await rest(a, f"/api/sessions/{lesson.id}/start", olga)
        assert await session_news(anya) == ("started", lesson.id, "Дроби")
        assert await session_news(olga_b) == ("started", lesson.id, "Дроби")
        admin_token = await sign_in(b, "admin", "admin-password")
        await rest(b, f"/api/sessions/{chemistry.id}/start", admin_token)
        # Vasya's first news is his own class's lesson: nothing of 7Б's reached him.
        assert await session_news(vasya) == ("started", chemistry.id, "Химия")
        await rest(b, f"/api/sessions/{lesson.id}/end", olga)
        assert await session_news(anya) == ("ended", lesson.id, "Дроби")
        for response in (anya, vasya, olga_b):
            response.close()


async def test_a_node_that_lost_its_news_ends_its_streams_and_hears_again_once_back(
    tmp_path: Path, school_database: str, redis_server: RedisServer
) -> None:
    async with (
        district(tmp_path, redis_server, 2, school_database) as (a, b),
        aiohttp.ClientSession() as http,
    ):
        news = b.app[SESSION_NEWS]
        assert isinstance(news, RedisNews)
        for node in (a, b):
            ready = node.app[SESSION_NEWS]
            assert isinstance(ready, RedisNews)
            await asyncio.wait_for(ready.ready.wait(), READY_WAIT)
        classroom = a.app[api.CLASSROOM]
        admin = await classroom.create_school("Школа", "Admin", "admin", "admin-password")
        lesson = await classroom.create_session(admin, SessionKind.STAFF_MEETING, "Педсовет")
        async with http.post(
            f"{b.url}/api/auth/login", json={"login": "admin", "password": "admin-password"}
        ) as signed:
            token = str((await signed.json())["token"])
        headers = {"Authorization": f"Bearer {token}"}

        async def stream() -> aiohttp.ClientResponse:
            response = await http.get(b.url + "/api/sessions/events", headers=headers)
            assert await next_event(response) == ("ready", {})
            return response

        before = await stream()
        # Redis drops every subscriber (a restart, a network cut): what was published in the
        # gap is lost to node b, so its pages are sent to reconnect and look again.
        async with Redis.from_url(redis_server.url) as redis:
            await redis.client_kill_filter(_type="pubsub")
        with pytest.raises(EOFError):
            await next_event(before)
        await asyncio.wait_for(news.ready.wait(), READY_WAIT)
        after = await stream()
        async with http.post(f"{a.url}/api/sessions/{lesson.id}/start", headers=headers) as r:
            assert r.status == 200
        assert await session_news(after) == ("started", lesson.id, "Педсовет")
        after.close()
