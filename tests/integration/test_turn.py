"""TURN through coturn: the join response's credentials open a relay on a real coturn."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

from bench.signal_client import SignalClient
from signaling.turn import TurnConfig, ice_servers
from tests.coturn import Coturn, running_coturn

from .conftest import RunningServer, serving


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    with running_coturn(tmp_path) as turn:
        yield turn


@pytest.fixture
async def turn_server(tmp_path: Path, coturn: Coturn) -> AsyncIterator[RunningServer]:
    turn = TurnConfig(secret=coturn.secret, urls=coturn.urls, ttl=3600)
    async with serving(tmp_path, turn=turn) as running:
        yield running


async def joined(server: RunningServer, identity: str) -> dict[str, object]:
    client = await SignalClient.connect(server.url)
    try:
        return await client.join(server.token(identity))
    finally:
        await client.close()


async def relay_candidates(ice_server: dict[str, object]) -> list[str]:
    """Gather with only this TURN server and return the relay candidates coturn granted."""
    pc = RTCPeerConnection(
        RTCConfiguration(
            iceServers=[
                RTCIceServer(
                    urls=[u for u in ice_server["urls"] if "transport=udp" in u],  # type: ignore[attr-defined]
                    username=str(ice_server["username"]),
                    credential=str(ice_server["credential"]),
                )
            ]
        )
    )
    try:
        pc.addTransceiver("audio", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        return [line for line in sdp.splitlines() if "typ relay" in line]
    finally:
        await pc.close()


async def test_without_turn_configured_joined_has_no_ice_servers(server: RunningServer) -> None:
    message = await joined(server, "pupil")
    assert (message["iceServers"], message["iceTransportPolicy"]) == ([], "all")


async def test_joined_carries_credentials_coturn_accepts(
    turn_server: RunningServer, coturn: Coturn
) -> None:
    message = await joined(turn_server, "pupil-7")
    (ice_server,) = message["iceServers"]  # type: ignore[misc]
    assert ice_server["urls"] == coturn.urls
    expiry, identity = str(ice_server["username"]).split(":")
    assert identity == "pupil-7"
    assert 3590 <= int(expiry) - time.time() <= 3600
    candidates = await relay_candidates(ice_server)
    assert candidates and all(" 127.0.0.1 " in c for c in candidates)


async def test_a_forged_or_expired_credential_gets_no_relay(
    turn_server: RunningServer, coturn: Coturn
) -> None:
    message = await joined(turn_server, "pupil-8")
    (ice_server,) = message["iceServers"]  # type: ignore[misc]
    forged = {**ice_server, "username": "9999999999:someone-else"}
    assert await relay_candidates(forged) == []
    expired_config = TurnConfig(secret=coturn.secret, urls=coturn.urls, ttl=-60)
    (expired,) = ice_servers(expired_config, "pupil-8", time.time())
    assert await relay_candidates(expired) == []
