"""The district directory against a real redis-server: placement, fencing, leases, drain."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bench.redis_server import RedisServer
from district import directory
from district.directory import Directory, Holding, NodeIdTaken, NoNode

_prefixes = itertools.count()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    """A directory of its own, placing at once (no restart to recover from: see
    `test_a_redis_restarted_empty_places_nothing_until_the_nodes_told_it_their_rooms`)."""
    monkeypatch.setattr(directory, "RECOVERY", 0.0)
    return f"t{next(_prefixes)}:"


async def _nodes(d: Directory, *ids: str, capacity: int = 100) -> None:
    for node in ids:
        await d.heartbeat(node, f"http://{node}", capacity, [])


async def test_a_room_goes_to_the_least_loaded_node_and_stays_there(
    redis: Redis, prefix: str
) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    first = await d.place("maths", expected=30)
    assert (first.node, first.placed) == ("a", True)  # a tie goes to the smaller id
    second = await d.place("music", expected=10)
    assert (second.node, second.placed) == ("b", True)
    third = await d.place("art", expected=5)
    assert third.node == "b"  # b holds 10 of 100, a 30
    again = await d.place("maths", expected=1)
    assert again == directory.Placement("maths", "a", first.token, False, "http://a")
    assert first.url == "http://a"
    assert (await d.owner("maths")) == again


async def test_a_tie_reads_the_numbers_in_node_ids_as_numbers(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "node10", "node2", "node1b", "node1a", "east-3", "east-12")
    placed = [(await d.place(f"room{i}", expected=10)).node for i in range(6)]
    assert placed == ["east-3", "east-12", "node1a", "node1b", "node2", "node10"]


async def test_an_audience_piped_to_a_node_counts_in_its_load(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await d.heartbeat("a", "http://a", 100, [], guests=40)
    await d.heartbeat("b", "http://b", 100, [])
    # a holds no room but carries 40 of another node's event's audience.
    assert (await d.place("maths", expected=30)).node == "b"  # b 0, a 40
    assert (await d.place("music", expected=5)).node == "b"  # b 30, a 40
    assert (await d.place("art", expected=10)).node == "b"  # b 35, a 40
    assert (await d.place("drama", expected=1)).node == "a"  # b 45, a 40
    assert [n.guests for n in await d.nodes()] == [40, 0]


async def test_every_claim_takes_a_larger_token(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a")
    tokens = [(await d.place(f"room{i}")).token for i in range(5)]
    assert tokens == sorted(tokens) and len(set(tokens)) == 5


async def test_load_is_the_head_count_when_more_came_than_expected(
    redis: Redis, prefix: str
) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    maths = await d.place("maths", expected=2)
    assert maths.node == "a"
    await d.heartbeat("a", "http://a", 100, [Holding("maths", maths.token, 40)])
    music = await d.place("music", expected=30)
    assert music.node == "b"
    # 40 on a, 30 on b: the next goes to b.
    assert (await d.place("art", expected=1)).node == "b"
    nodes = await d.nodes()
    assert [(n.id, n.rooms) for n in nodes] == [
        ("a", {"maths": 40}),
        ("b", {"art": 0, "music": 0}),
    ]


async def test_capacity_weighs_the_choice(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await d.heartbeat("big", "http://big", 400, [])
    await d.heartbeat("small", "http://small", 100, [])
    assert (await d.place("r1", expected=60)).node == "big"  # 0/400 beats 0/100 by id
    assert (await d.place("r2", expected=30)).node == "small"  # 0.00 < 0.15
    assert (await d.place("r3", expected=30)).node == "big"  # 0.15 < 0.30


async def test_concurrent_placements_of_one_room_end_in_one_owner(
    redis_server: RedisServer, prefix: str
) -> None:
    # Two nodes admitting a lesson's first two people at once, each with its own connection.
    clients = [Redis.from_url(redis_server.url) for _ in range(8)]
    try:
        await _nodes(Directory(clients[0], prefix), "a", "b")
        placements = await asyncio.gather(
            *(Directory(c, prefix).place("maths", expected=25) for c in clients)
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert len({(p.node, p.token) for p in placements}) == 1
    assert sum(p.placed for p in placements) == 1


async def test_concurrent_new_rooms_spread_over_the_nodes(
    redis_server: RedisServer, prefix: str
) -> None:
    clients = [Redis.from_url(redis_server.url) for _ in range(6)]
    try:
        await _nodes(Directory(clients[0], prefix), "a", "b", "c")
        placements = await asyncio.gather(
            *(Directory(c, prefix).place(f"lesson{i}", expected=25) for i, c in enumerate(clients))
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    per_node = sorted(sum(p.node == n for p in placements) for n in "abc")
    assert per_node == [2, 2, 2]


async def test_a_dead_node_s_room_is_claimed_again_and_its_old_owner_is_told(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "LEASE", 0.2)
    d = Directory(redis, prefix)
    await _nodes(d, "a")
    old = await d.place("maths", expected=20)
    await asyncio.sleep(0.3)  # a's lease lapses: it stopped
    await _nodes(d, "b")
    assert [n.id for n in await d.nodes()] == ["b"]
    new = await d.place("maths", expected=20)
    assert (new.node, new.placed) == ("b", True)
    assert new.token > old.token
    # a comes back (it had only stalled): the room is no longer its own.
    lost = await d.heartbeat("a", "http://a", 100, [Holding("maths", old.token, 20)])
    assert lost == ["maths"]
    assert (await d.owner("maths")) == directory.Placement(
        "maths", "b", new.token, False, "http://b"
    )
    # ...and its stale release changes nothing.
    assert await d.release("maths", "a", old.token) is False
    assert (await d.owner("maths")) is not None


async def test_a_node_renewing_in_time_keeps_its_rooms(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "LEASE", 0.5)
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    maths = await d.place("maths")
    for _ in range(6):  # 0.9 s in all: longer than the lease, renewed within it
        await asyncio.sleep(0.15)
        assert await d.heartbeat("a", "http://a", 100, [Holding("maths", maths.token, 3)]) == []
        await _nodes(d, "b")
    assert (await d.place("maths")).node == "a"


async def test_release_frees_the_room_for_any_node(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a")
    maths = await d.place("maths")
    assert await d.release("maths", "a", maths.token) is True
    assert await d.owner("maths") is None
    assert (await d.nodes())[0].rooms == {}
    assert await d.release("maths", "a", maths.token) is False


async def test_a_draining_node_gets_no_new_rooms_but_keeps_its_own(
    redis: Redis, prefix: str
) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    maths = await d.place("maths")
    assert maths.node == "a"
    assert await d.drain("a") is True
    assert (await d.place("music")).node == "b"
    assert (await d.place("art", expected=500)).node == "b"
    assert (await d.place("maths")).node == "a"
    assert [(n.id, n.draining) for n in await d.nodes()] == [("a", True), ("b", False)]
    assert await d.drain("a", draining=False) is True
    assert (await d.place("history")).node == "a"
    assert await d.drain("nobody") is False


async def test_no_node_to_place_on(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    with pytest.raises(NoNode, match="'maths'"):
        await d.place("maths")
    await _nodes(d, "a")
    await d.drain("a")
    with pytest.raises(NoNode):
        await d.place("maths")


async def test_a_node_leaving_frees_its_rooms_at_once(redis: Redis, prefix: str) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    maths = await d.place("maths")
    await d.place("music")
    art = await d.place("art")
    assert (maths.node, art.node) == ("a", "a")
    assert await d.leave("a") == 2
    assert [n.id for n in await d.nodes()] == ["b"]
    moved = await d.place("maths")
    assert (moved.node, moved.placed) == ("b", True)
    assert await d.leave("a") == 0


async def test_a_redis_restarted_empty_places_nothing_until_the_nodes_told_it_their_rooms(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = Directory(redis, prefix)
    await _nodes(d, "a", "b")
    maths = await d.place("maths")
    music = await d.place("music")
    for key in await redis.keys(prefix + "*"):
        await redis.delete(key)  # what a restart without persistence leaves
    monkeypatch.setattr(directory, "RECOVERY", 0.5)
    # a's heartbeat comes first; a join for music, which b holds, must not open it on a.
    assert await d.heartbeat("a", "http://a", 100, [Holding("maths", maths.token, 12)]) == []
    assert d.settling > 0
    with pytest.raises(NoNode, match="just restarted"):
        await d.place("music")
    assert (await d.place("maths")).node == "a"  # known again: answered at once
    assert await d.heartbeat("b", "http://b", 100, [Holding("music", music.token, 3)]) == []
    await asyncio.sleep(0.5)
    assert (await d.owner("maths")) == directory.Placement(
        "maths", "a", maths.token, False, "http://a"
    )
    assert [(n.id, n.rooms) for n in await d.nodes()] == [
        ("a", {"maths": 12}),
        ("b", {"music": 3}),
    ]
    assert (await d.place("music")).node == "b"
    assert (await d.place("art")).token > music.token  # tokens never go back


async def test_one_node_id_is_one_process(redis: Redis, prefix: str) -> None:
    first, second = Directory(redis, prefix), Directory(redis, prefix)
    await first.heartbeat("a", "http://a", 100, [])
    with pytest.raises(NodeIdTaken, match="NODE_ID=a"):
        await second.heartbeat("a", "http://10.0.0.9", 100, [])
    assert [n.url for n in await first.nodes()] == ["http://a"]
    assert await second.leave("a") == 0  # not its node to take away
    assert [n.id for n in await first.nodes()] == ["a"]


async def test_a_claim_its_node_never_takes_up_is_let_go(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "ADOPT", 0.2)
    d = Directory(redis, prefix)
    await _nodes(d, "a")
    maths = await d.place("maths")  # a door placed it on a; its join never came
    held = await d.place("music")  # this one a takes up
    await d.heartbeat("a", "http://a", 100, [Holding("music", held.token, 5)])
    assert await d.owner("maths") is not None  # within the time a join may take
    await asyncio.sleep(0.3)
    await d.heartbeat("a", "http://a", 100, [Holding("music", held.token, 5)])
    assert await d.owner("maths") is None
    assert (await d.nodes())[0].rooms == {"music": 5}
    assert maths.token < held.token


async def test_draining_a_node_whose_lease_just_lapsed_makes_no_ghost(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "LEASE", 0.1)
    d = Directory(redis, prefix)
    await _nodes(d, "a")
    await asyncio.sleep(0.2)
    assert await d.drain("a") is False
    assert await redis.exists(prefix + "node:a") == 0
    assert await d.nodes() == []


async def test_a_task_is_one_node_s_until_that_node_dies_or_restarts(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directory, "LEASE", 0.3)
    monkeypatch.setattr(directory, "TAKE_GRACE", 0.2)
    a, b = Directory(redis, prefix), Directory(redis, prefix)
    await a.heartbeat("a", "http://a", 100, [])
    await b.heartbeat("b", "http://b", 100, [])
    assert await a.take("repair:7b", "a", 3600) is True
    assert await b.take("repair:7b", "b", 3600) is False
    assert await a.take("repair:7b", "a", 3600) is False  # taken once, by a, done once
    # a restarts (a new process under its id, once the old lease lapsed): the task it had
    # taken is free, and anyone's; its new process takes it.
    await asyncio.sleep(0.4)
    restarted = Directory(redis, prefix)
    await restarted.heartbeat("a", "http://a", 100, [])
    await b.heartbeat("b", "http://b", 100, [])
    assert await restarted.take("repair:7b", "a", 3600) is True
    assert await b.take("repair:7b", "b", 3600) is False
    # a dies (its lease lapses): b takes the task over.
    await asyncio.sleep(0.4)
    await b.heartbeat("b", "http://b", 100, [])
    assert await b.take("repair:7b", "b", 3600) is True
    assert await restarted.take("repair:7b", "a", 3600) is False


async def test_a_task_taken_by_a_node_not_yet_registered_holds_for_its_grace(
    redis: Redis, prefix: str
) -> None:
    # A starting node repairs what it left before it registers: nobody else takes it over.
    starting, b = Directory(redis, prefix), Directory(redis, prefix)
    await b.heartbeat("b", "http://b", 100, [])
    assert await starting.take("repair:7b", "a", 3600) is True
    assert await b.take("repair:7b", "b", 3600) is False
