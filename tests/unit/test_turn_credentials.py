"""coturn's shared-secret credentials (coturn accepts them: tests/integration/test_turn.py)."""

from signaling.turn import TurnConfig, ice_servers


def test_no_turn_no_servers() -> None:
    assert ice_servers(None, "pupil", 0) == []
    assert ice_servers(TurnConfig(secret="x", urls=[]), "pupil", 0) == []


def test_username_is_expiry_and_identity_and_the_password_its_hmac() -> None:
    turn = TurnConfig(secret="north", urls=["turn:t.example:3478"], ttl=86400)
    (server,) = ice_servers(turn, "mbzrxpgjys", 1433895918 - 86400)
    # The password as openssl computes it:
    # printf '1433895918:mbzrxpgjys' | openssl dgst -sha1 -hmac north -binary | base64
    assert server == {
        "urls": ["turn:t.example:3478"],
        "username": "1433895918:mbzrxpgjys",
        "credential": "d2Q1V6JRLjCTMOhoc8cTgEoi7u0=",
    }
