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


def test_a_server_alone_is_no_district() -> None:
    config = Config.from_env({"SFU_WORKERS": "0"})
    assert (config.redis_url, config.node_id, config.node_url) == ("", "", "")


def test_a_district_node_takes_its_name_and_address_from_the_environment() -> None:
    base = {"SFU_WORKERS": "0", "SECRET": "district-secret", "PORT": "8081"}
    config = Config.from_env({**base, "REDIS_URL": "redis://10.0.0.2:6379/0", "NODE_ID": "n1"})
    assert (config.redis_url, config.node_id, config.node_url, config.node_capacity) == (
        "redis://10.0.0.2:6379/0",
        "n1",
        "http://127.0.0.1:8081",
        300,
    )
    config = Config.from_env(
        {
            **base,
            "HOST": "0.0.0.0",
            "REDIS_URL": "redis://redis:6379/0",
            "NODE_ID": "sfu-3",
            "NODE_URL": "http://10.0.0.13:8081",
            "NODE_CAPACITY": "450",
        }
    )
    assert (config.node_id, config.node_url, config.node_capacity) == (
        "sfu-3",
        "http://10.0.0.13:8081",
        450,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "redis://r:6379"}, "REDIS_URL needs SECRET"),
        ({"REDIS_URL": "http://r:6379", "SECRET": "s"}, "REDIS_URL must be a redis://"),
        ({"REDIS_URL": "redis://r", "SECRET": "s"}, "REDIS_URL needs NODE_ID"),
        (
            {"REDIS_URL": "redis://r", "SECRET": "s", "NODE_ID": "n", "HOST": "0.0.0.0"},
            "HOST=0.0.0.0 needs NODE_URL",
        ),
        (
            {"REDIS_URL": "redis://r", "SECRET": "s", "NODE_ID": "n", "NODE_CAPACITY": "0"},
            "NODE_CAPACITY must be more than 0",
        ),
    ],
)
def test_a_district_node_missing_what_it_needs_does_not_start(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Config.from_env({"SFU_WORKERS": "0", **env})
