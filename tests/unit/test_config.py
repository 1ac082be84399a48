"""Configuration from the environment: TURN and the relay-only policy."""

import pytest

from signaling.config import Config
from signaling.turn import TurnConfig


def test_turn_is_off_unless_a_secret_is_given() -> None:
    config = Config.from_env({"SFU_WORKERS": "0"})
    assert (config.turn, config.ice_transport_policy) == (None, "all")


def test_turn_settings_come_from_the_environment() -> None:
    config = Config.from_env(
        {
            "SFU_WORKERS": "0",
            "TURN_SECRET": "s3cret",
            "TURN_URLS": "turn:t.example:3478?transport=udp, turns:t.example:443?transport=tcp",
            "TURN_TTL": "7200",
            "ICE_TRANSPORT_POLICY": "relay",
        }
    )
    assert config.turn == TurnConfig(
        secret="s3cret",
        urls=["turn:t.example:3478?transport=udp", "turns:t.example:443?transport=tcp"],
        ttl=7200,
    )
    assert config.ice_transport_policy == "relay"


def test_relay_only_without_turn_or_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="needs TURN_SECRET"):
        Config.from_env({"SFU_WORKERS": "0", "ICE_TRANSPORT_POLICY": "relay"})
    with pytest.raises(ValueError, match="must be 'all' or 'relay'"):
        Config.from_env({"SFU_WORKERS": "0", "ICE_TRANSPORT_POLICY": "tcp"})


def test_hostless_minutes_come_in_minutes_and_zero_means_never() -> None:
    assert Config.from_env({"SFU_WORKERS": "0"}).hostless_end == 600.0
    assert Config.from_env({"SFU_WORKERS": "0", "HOSTLESS_MINUTES": "2.5"}).hostless_end == 150.0
    assert Config.from_env({"SFU_WORKERS": "0", "HOSTLESS_MINUTES": "0"}).hostless_end == 0.0
    with pytest.raises(ValueError, match="HOSTLESS_MINUTES must be 0"):
        Config.from_env({"SFU_WORKERS": "0", "HOSTLESS_MINUTES": "-1"})
