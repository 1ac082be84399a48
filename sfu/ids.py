"""Typed identifiers of the SFU's objects."""

from __future__ import annotations

import secrets
from typing import NewType

RoomId = NewType("RoomId", str)
PeerId = NewType("PeerId", str)
TrackId = NewType("TrackId", str)
ConsumerId = NewType("ConsumerId", str)


def new_peer_id() -> PeerId:
    return PeerId("p_" + secrets.token_hex(6))


def new_track_id() -> TrackId:
    return TrackId("t_" + secrets.token_hex(6))


def new_consumer_id() -> ConsumerId:
    return ConsumerId("c_" + secrets.token_hex(6))
