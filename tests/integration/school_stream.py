"""Reading /api/sessions/events as a page's EventSource does: one event at a time."""

from __future__ import annotations

import json
from typing import Any

import aiohttp


async def next_event(response: aiohttp.ClientResponse) -> tuple[str, Any]:
    """The stream's next event (name, data), keep-alive comments skipped."""
    name, data = "message", []
    while True:
        raw = await response.content.readline()
        if not raw:
            raise EOFError("the stream ended")
        line = raw.decode().rstrip("\n")
        if line == "":
            if data:
                return name, json.loads("\n".join(data))
            name = "message"
            continue
        if line.startswith(":") or line.startswith("retry:"):
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)


async def session_news(response: aiohttp.ClientResponse) -> tuple[str, str, str]:
    """The next `session` event: (change, session id, title)."""
    name, data = await next_event(response)
    assert name == "session", (name, data)
    return data["change"], data["session"]["id"], data["session"]["title"]
