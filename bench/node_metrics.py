"""A node's own counters, read from its ``/metrics`` (Prometheus text) around a step's window.

The bench counts what its bots receive; what crosses between a district's nodes no bot sees.
A node's SFU counts it: at an edge (a node holding part of an event's audience, not the room)
the stage's packets arrive through the pipe from the origin as if from a publisher
(``classroom_sfu_packets_in`` / ``bytes_in``), and each node tells the pipes it sends and
takes (``classroom_sfu_pipes_out`` / ``pipes_in``). Read from 127.0.0.1, where a scrape needs
no token (``signaling/metrics_access.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

WANTED = (
    "classroom_rooms",
    "classroom_participants",
    "classroom_door_relays",
    "classroom_sfu_pipes_out",
    "classroom_sfu_pipes_in",
    "classroom_sfu_packets_in",
    "classroom_sfu_bytes_in",
    "classroom_sfu_packets_out",
    "classroom_sfu_bytes_out",
)
"""The samples kept (counters under their ``_total`` name's stem)."""
COUNTERS = ("packets_in", "bytes_in", "packets_out", "bytes_out")
GAUGES = ("rooms", "participants", "door_relays", "pipes_out", "pipes_in")


@dataclass
class Scrape:
    """One node's samples at one instant (``time.monotonic()``)."""

    at: float
    values: dict[str, float] = field(default_factory=dict)
    """By name without the ``classroom_`` / ``classroom_sfu_`` prefix."""


def parse(text: str, at: float) -> Scrape:
    found = Scrape(at)
    for family in text_string_to_metric_families(text):
        if family.name not in WANTED:
            continue
        short = family.name.removeprefix("classroom_").removeprefix("sfu_")
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            found.values[short] = float(sample.value)
    return found


async def scrape(http: aiohttp.ClientSession, base_url: str) -> Scrape | None:
    """The node's samples now; None when it does not answer (it has exited)."""
    try:
        async with http.get(f"{base_url}/metrics") as response:
            if response.status != 200:
                return None
            text = await response.text()
    except aiohttp.ClientError:
        return None
    return parse(text, time.monotonic())


def window(before: Scrape | None, after: Scrape | None) -> dict[str, float | None]:
    """Over the window between two scrapes: the counters as rates (packets/s, kbit/s) and
    the gauges at its end; None where a scrape is missing."""
    found: dict[str, float | None] = {name: None for name in (*GAUGES, *_rates())}
    if after is not None:
        for name in GAUGES:
            found[name] = after.values.get(name)
    if before is None or after is None or after.at <= before.at:
        return found
    seconds = after.at - before.at
    for name in COUNTERS:
        delta = after.values.get(name, 0.0) - before.values.get(name, 0.0)
        if name.startswith("bytes"):
            found[f"kbps_{name.removeprefix('bytes_')}"] = round(delta * 8 / seconds / 1000, 1)
        else:
            found[f"pps_{name.removeprefix('packets_')}"] = round(delta / seconds, 1)
    return found


def _rates() -> list[str]:
    return ["pps_in", "kbps_in", "pps_out", "kbps_out"]
