"""Request bodies checked against the same JSON Schema the OpenAPI document publishes.

Only the subset our API uses: an object of string / integer / number / boolean fields and
arrays of them, with `required`, `enum`, `minLength` / `maxLength`, `minimum` / `maximum`,
`items` / `maxItems` and no extra fields. (A `pattern` documents the form a value takes after
the server normalises it, and is checked by the domain, which normalises first.)
One schema serves as documentation and as the check, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
}


class BodyError(ValueError):
    """The body does not match its schema; the message names the field and the rule."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check(body: object, schema: Schema) -> dict[str, Any]:
    """`body` as a dict when it matches `schema`, else BodyError."""
    if not isinstance(body, dict):
        raise BodyError("the request body must be a JSON object")
    properties: dict[str, Schema] = schema.get("properties", {})
    unknown = sorted(set(body) - set(properties))
    if unknown:
        raise BodyError(f"unknown field {unknown[0]!r}", unknown[0])
    for name in schema.get("required", []):
        if body.get(name) is None:
            raise BodyError(f"{name!r} is required", name)
    for name, value in body.items():
        if value is None and name not in schema.get("required", []):
            continue
        _check_field(name, value, properties[name])
    return body


def _check_field(name: str, value: object, rule: Schema) -> None:
    kind = rule["type"]
    # bool is an int in Python; JSON keeps them apart, so must we.
    if not isinstance(value, _TYPES[kind]) or (kind != "boolean" and isinstance(value, bool)):
        raise BodyError(f"{name!r} must be a{'n' if kind[0] in 'aeiou' else ''} {kind}", name)
    if "enum" in rule and value not in rule["enum"]:
        raise BodyError(f"{name!r} must be one of {', '.join(map(str, rule['enum']))}", name)
    if isinstance(value, str):
        if len(value) < rule.get("minLength", 0):
            raise BodyError(f"{name!r} must be at least {rule['minLength']} characters", name)
        if "maxLength" in rule and len(value) > rule["maxLength"]:
            raise BodyError(f"{name!r} must be at most {rule['maxLength']} characters", name)
    if isinstance(value, list):
        if "maxItems" in rule and len(value) > rule["maxItems"]:
            raise BodyError(f"{name!r} must have at most {rule['maxItems']} items", name)
        for item in value:
            try:
                _check_field(name, item, rule["items"])
            except BodyError as error:
                raise BodyError(f"each item of {error}", name) from error
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in rule and value < rule["minimum"]:
            raise BodyError(f"{name!r} must be at least {rule['minimum']}", name)
        if "maximum" in rule and value > rule["maximum"]:
            raise BodyError(f"{name!r} must be at most {rule['maximum']}", name)


def obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    """An object schema with no extra fields."""
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def string(max_length: int = 200, min_length: int = 0, **extra: Any) -> Schema:
    rule: Schema = {"type": "string", "maxLength": max_length, **extra}
    if min_length:
        rule["minLength"] = min_length
    return rule
