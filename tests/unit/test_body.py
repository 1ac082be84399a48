"""REST bodies checked against the JSON Schema subset the OpenAPI document publishes."""

from __future__ import annotations

import re

import pytest

from signaling.body import BodyError, check, obj, string

PERFORMERS = obj(
    ["name"],
    name=string(10, 1),
    performers={"type": "array", "items": string(4, 1), "maxItems": 2},
)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "'name' must be at least 1 characters"),
        ({"name": "a", "performers": "ab"}, "performers", "'performers' must be an array"),
        ({"name": "a", "performers": ["a", "b", "c"]}, "performers", "at most 2 items"),
        ({"name": "a", "performers": ["a", 5]}, "performers", "each item of 'performers' must"),
        ({"name": "a", "performers": ["abcde"]}, "performers", "at most 4 characters"),
        ({"name": "a", "extra": 1}, "extra", "unknown field 'extra'"),
    ],
)
def test_a_body_that_breaks_a_rule_names_the_field(
    body: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(BodyError) as raised:
        check(body, PERFORMERS)
    assert raised.value.field == field
    assert re.search(message, str(raised.value)), str(raised.value)


def test_a_body_within_the_rules_comes_back_as_it_is() -> None:
    body = {"name": " Маша ", "performers": ["a1", "b2"]}
    assert check(body, PERFORMERS) is body
    assert check({"name": "x", "performers": []}, PERFORMERS) == {"name": "x", "performers": []}
