"""The shape of breakout requests (signaling.protocol): what is refused with `bad_message`
before any rule of the groups is asked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signaling import protocol
from signaling.errors import ProtocolError


def decode(message: dict[str, Any]) -> protocol.Request:
    return protocol.decode(json.dumps({"id": 7, **message}))


@pytest.mark.parametrize(
    "message",
    [
        {"type": "breakout_start", "groups": [["anya"], ["boris"]], "seconds": 600},
        {"type": "breakout_start", "count": 3, "mode": "random", "seconds": 60},
        {"type": "breakout_start", "count": 2, "mode": "choose", "seconds": 7200},
        {"type": "breakout_choose", "group": 2},
        {"type": "breakout_move", "identity": "anya", "group": 1},
        {"type": "breakout_move", "identity": "anya", "group": None},
        {"type": "breakout_visit", "group": None},
        {"type": "breakout_speak", "on": True},
        {"type": "breakout_extend", "seconds": 300},
        {"type": "breakout_end"},
    ],
)
def test_well_formed_breakout_requests_pass(message: dict[str, Any]) -> None:
    request = decode(message)
    assert request.type == message["type"] and request.id == 7


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"type": "breakout_start", "count": 2, "mode": "random"}, "'seconds'"),
        ({"type": "breakout_start", "count": 2, "mode": "random", "seconds": 7201}, "'seconds'"),
        ({"type": "breakout_start", "count": 2, "mode": "random", "seconds": 60.5}, "'seconds'"),
        ({"type": "breakout_start", "count": 2, "mode": "random", "seconds": True}, "'seconds'"),
        ({"type": "breakout_start", "count": 2, "mode": "teams", "seconds": 60}, "'mode'"),
        ({"type": "breakout_start", "mode": "random", "seconds": 60}, "'count'"),
        ({"type": "breakout_start", "groups": [["a"], "b"], "seconds": 60}, "'groups'"),
        ({"type": "breakout_start", "groups": [["a"], [1]], "seconds": 60}, "'groups'"),
        ({"type": "breakout_start", "groups": [[]] * 51, "seconds": 60}, "'groups'"),
        ({"type": "breakout_choose", "group": 0}, "'group'"),
        ({"type": "breakout_choose", "group": None}, "'group'"),
        ({"type": "breakout_move", "identity": "anya"}, "'group' is required"),
        ({"type": "breakout_move", "identity": 5, "group": 1}, "'identity'"),
        ({"type": "breakout_visit"}, "'group' is required"),
        ({"type": "breakout_visit", "group": "1"}, "'group'"),
        ({"type": "breakout_speak", "on": "yes"}, "'on'"),
        ({"type": "breakout_extend", "seconds": 0}, "'seconds'"),
    ],
)
def test_malformed_breakout_requests_are_bad_messages(message: dict[str, Any], why: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(message)
    assert caught.value.code == "bad_message"
    assert why in caught.value.message
    assert caught.value.request_id == 7
