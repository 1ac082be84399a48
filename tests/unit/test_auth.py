"""Access tokens: what a valid token carries, and the codes for forged and expired ones."""

import time

import jwt
import pytest

from classroom.roles import Grants, Role
from signaling.auth import TokenIssuer
from signaling.errors import BAD_TOKEN, TOKEN_EXPIRED, ProtocolError

SECRET = "s" * 32


def test_a_valid_token_carries_room_identity_role_and_grants() -> None:
    issuer = TokenIssuer(SECRET)
    token = issuer.issue("pupil-1", "Аня", "7b", Role.PUPIL, Grants(publish=True), ttl=60)
    claims = issuer.verify(token)
    assert (claims.identity, claims.name, claims.room, claims.role) == (
        "pupil-1",
        "Аня",
        "7b",
        Role.PUPIL,
    )
    assert claims.grants == Grants(publish=True, subscribe=True, moderate=False)


def code_of(issuer: TokenIssuer, token: object) -> str:
    with pytest.raises(ProtocolError) as info:
        issuer.verify(token)
    return info.value.code


def test_a_token_signed_with_another_key_is_forged() -> None:
    other = TokenIssuer("x" * 32).issue("t", "T", "r", Role.TEACHER, Grants(), ttl=60)
    assert code_of(TokenIssuer(SECRET), other) == BAD_TOKEN


def test_an_expired_token_is_refused_as_expired() -> None:
    issuer = TokenIssuer(SECRET)
    token = issuer.issue("t", "T", "r", Role.TEACHER, Grants(), ttl=60, now=time.time() - 120)
    assert code_of(issuer, token) == TOKEN_EXPIRED


@pytest.mark.parametrize(
    "payload",
    [
        {"sub": "a", "room": "r"},  # no exp
        {"sub": "a", "room": "r", "exp": 2**40, "role": "headmaster"},
        {"sub": "a", "room": "r", "exp": 2**40, "grants": {"publish": "yes"}},
        {"sub": "", "room": "r", "exp": 2**40},
    ],
)
def test_tokens_with_invalid_claims_are_bad_tokens(payload: dict[str, object]) -> None:
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    assert code_of(TokenIssuer(SECRET), token) == BAD_TOKEN


def test_garbage_and_alg_none_are_bad_tokens() -> None:
    issuer = TokenIssuer(SECRET)
    unsigned = jwt.encode({"sub": "a", "room": "r", "exp": 2**40}, None, algorithm="none")
    assert code_of(issuer, unsigned) == BAD_TOKEN
    assert code_of(issuer, "not.a.jwt") == BAD_TOKEN
    assert code_of(issuer, 42) == BAD_TOKEN
