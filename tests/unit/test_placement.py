"""Rooms go to the least loaded SFU process and stay there until released."""

import asyncio

import pytest

from sfu.errors import NotFound
from sfu.placement import LocalPlacement
from sfu.wire import frame, read_frame


async def test_new_rooms_go_to_the_shard_with_fewest_participants_then_rooms() -> None:
    placement = LocalPlacement(2)
    assert await placement.place("a") == 0
    assert await placement.place("b") == 1  # equal participants: fewer rooms wins
    await placement.add_load(0, 5)
    assert await placement.place("c") == 1
    assert await placement.place("a") == 0  # a placed room stays put
    await placement.add_load(1, 9)
    assert await placement.place("d") == 0


async def test_a_released_room_is_not_found_and_can_move() -> None:
    placement = LocalPlacement(2)
    await placement.place("a")
    await placement.add_load(0, 3)
    await placement.release("a")
    with pytest.raises(NotFound, match="no room a"):
        await placement.locate("a")
    assert await placement.place("a") == 1


def test_a_placement_needs_a_shard() -> None:
    with pytest.raises(ValueError, match="at least one shard"):
        LocalPlacement(0)


async def test_frames_round_trip_through_a_stream() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(frame(["call", 7, b"\x00payload"]) + frame(["event", "x", {"k": 1}]))
    reader.feed_eof()
    assert await read_frame(reader) == ["call", 7, b"\x00payload"]
    assert await read_frame(reader) == ["event", "x", {"k": 1}]
    with pytest.raises(asyncio.IncompleteReadError):
        await read_frame(reader)
