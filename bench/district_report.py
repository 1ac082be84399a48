"""The report's district section: per step, where the lessons went, what each node cost, and
joins through a door against direct, beside our single server at the same N."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .report import StepRecord, _label, _mark, _row, fmt, limits


def note(cores: int, pinned: bool) -> str:
    """What a district run on this machine can show, and what it cannot."""
    if not pinned:
        where = "nothing is pinned: the nodes, their Redis and the bots share every core"
        cannot = (
            "What it cannot show is capacity growing with nodes: that needs a machine per node."
        )
    elif cores >= 4:
        where = (
            "the n nodes and their Redis share CPUs 0 to n-1, the bots the last core: each "
            "node has about a core, so capacity may grow with nodes here, within what one "
            "machine's memory, kernel and loopback carry"
        )
        cannot = "What one machine cannot show is nodes on machines of their own (the network)."
    else:
        where = (
            f"on this machine of {cores} cores every node and the Redis share the servers' "
            "core (the bots have the other)"
        )
        cannot = (
            "What it cannot show is capacity growing with nodes: that needs a machine (at "
            "least a core) per node; here n nodes split one core, so the largest N held can "
            "only stay or fall, and each node's own event loops, SFU worker and heartbeats "
            "are a cost on top."
        )
    return (
        "A district of n nodes: each a whole server of ours (`python -m signaling` and its SFU "
        "worker), all on one redis-server of the bench's own, with one school database. The "
        "bots join through the nodes in turn, as a load balancer in front would, so about "
        "(n-1)/n of the joins reach a node that does not hold their lesson and are relayed "
        "by it, as a door, to the one that does (signalling only: the media goes straight to "
        f"the lesson's node). Here {where}. What it shows: that placement spreads the lessons "
        "evenly over the nodes (rooms per node, read from the directory in Redis after the "
        "window), what a door costs (join time through a door against direct, in the same "
        "step), and that nothing breaks with 3 nodes (loss, time to first frame, every video "
        f"received). {cannot}"
    )


def node_rows(record: StepRecord) -> list[dict[str, Any]]:
    """Each node's rooms and people (the directory's), and its processes' CPU, RSS and the
    packets/s forwarded through them; the Redis last, as a node of its own."""
    district = record.extra.get("district") or {}
    measured = {p["pid"]: p for p in record.extra.get("processes") or []}
    parts = [(n["id"], n["pids"], n["rooms"]) for n in district.get("nodes") or []]
    if district.get("redis_pids"):
        parts.append(("redis", district["redis_pids"], None))
    rows = []
    for name, pids, rooms in parts:
        found = [measured[pid] for pid in pids if pid in measured]
        cpu = sum(p["cpu_pct"] for p in found)
        pps = sum(p["pps_out"] for p in found)
        rows.append(
            {
                "node": name,
                "rooms": None if rooms is None else sorted(rooms),
                "people": None if rooms is None else sum(rooms.values()),
                "cpu_pct": cpu,
                "rss_mb": sum(p.get("rss_mb", 0.0) for p in found),
                "pps_out": pps,
                "cpu_us_per_pkt_out": cpu * 1e4 / pps if pps else None,
            }
        )
    return rows


def placement(record: StepRecord) -> str:
    """Lessons per node, in node order (``2 / 1 / 1``)."""
    rows = [r for r in node_rows(record) if r["rooms"] is not None]
    return " / ".join(str(len(r["rooms"])) for r in rows) or "—"


def _joins(record: StepRecord, kind: str, what: str) -> str:
    """``p50 / p95 (count)`` ms of a district's direct or door joins; our single server's
    joins are all direct (its ``joins`` figures: to publishing done)."""
    if record.server != "district":
        joins = record.extra.get("joins") or {}
        if kind == "door" or what == "join" or not joins:
            return "—"
        return f"{fmt(joins.get('ms_p50'), 0)} / {fmt(joins.get('ms_p95'), 0)}"
    found = ((record.extra.get("district") or {}).get("joins") or {}).get(kind) or {}
    if not found.get("joins"):
        return "—"
    return (
        f"{fmt(found[f'{what}_ms_p50'], 0)} / {fmt(found[f'{what}_ms_p95'], 0)} ({found['joins']})"
    )


def steps_table(records: Sequence[StepRecord]) -> list[str]:
    """Per N, every district and our single server side by side."""
    header = [
        "N",
        "server",
        "lessons per node",
        "pkt/s out",
        "server CPU %",
        "µs/pkt out",
        "RSS MB",
        "loss %",
        "TTFF p95 ms",
        "joined ms p50 / p95, direct (joins)",
        "through a door",
        "published ms p50 / p95, direct",
        "through a door",
        "verdict",
    ]
    rows = [_row(header), _row(["---"] * len(header))]
    for r in sorted(records, key=lambda r: (r.n, r.server != "ours", r.label)):
        rows.append(
            _row(
                [
                    str(r.n),
                    r.label,
                    placement(r) if r.server == "district" else "—",
                    fmt(r.pps_out, 0),
                    fmt(r.cpu_pct),
                    _mark(r, fmt(r.cpu_us_per_pkt_out)),
                    fmt(r.rss_mb, 0),
                    fmt(r.loss_pct, 2),
                    fmt(r.ttff_ms_p95, 0),
                    _joins(r, "direct", "join"),
                    _joins(r, "door", "join"),
                    _joins(r, "direct", "ready"),
                    _joins(r, "door", "ready"),
                    r.verdict if r.error is None else f"error: {r.error}".replace("|", "/"),
                ]
            )
        )
    return rows


def nodes_table(records: Sequence[StepRecord]) -> list[str]:
    """Each node of each district step, and its Redis."""
    header = ["N", "server", "node", "rooms", "people", "CPU %", "RSS MB", "pkt/s out", "µs/pkt"]
    rows = [_row(header), _row(["---"] * len(header))]
    for r in sorted(records, key=lambda r: (r.n, r.label)):
        for node in node_rows(r):
            rooms = node["rooms"]
            rows.append(
                _row(
                    [
                        str(r.n),
                        r.label,
                        node["node"],
                        "" if rooms is None else ", ".join(rooms) or "none",
                        "" if node["people"] is None else str(node["people"]),
                        fmt(node["cpu_pct"]),
                        fmt(node["rss_mb"], 0),
                        fmt(node["pps_out"], 0) if rooms is not None else "",
                        _mark(r, fmt(node["cpu_us_per_pkt_out"])) if rooms is not None else "",
                    ]
                )
            )
    return rows


def against_ours(records: Sequence[StepRecord]) -> list[str]:
    """Per N, each district's server CPU and µs per forwarded packet over our single server's
    (the first of ours at that N)."""
    ours: dict[int, StepRecord] = {}
    for r in sorted(records, key=lambda r: r.label):
        if r.server == "ours" and r.error is None:
            ours.setdefault(r.n, r)
    lines = []
    for n in sorted(ours):
        base = ours[n]
        found = [r for r in records if r.server == "district" and r.n == n and r.error is None]
        if not found or not base.cpu_us_per_pkt_out or not base.cpu_pct:
            continue
        shown = "; ".join(
            f"{r.label} ×{r.cpu_us_per_pkt_out / base.cpu_us_per_pkt_out:.2f} per packet, "
            f"×{r.cpu_pct / base.cpu_pct:.2f} CPU, ×{r.rss_mb / base.rss_mb:.2f} RSS"
            for r in sorted(found, key=lambda r: r.label)
            if r.cpu_us_per_pkt_out and base.rss_mb
        )
        lines.append(f"- N={n}, over {base.label}: {shown}.")
    return lines


def held_lines(records: Sequence[StepRecord]) -> list[str]:
    """The most lessons each server held (in `rooms` each 1 teacher + 10 pupils)."""
    return [
        f"- {_label(lim)}: {'none' if lim.held_n is None else lim.held_n} ({lim.stopped_by})"
        for lim in limits(records)
    ]


def district_section(records: Sequence[StepRecord], cores: int, pinned: bool) -> list[str]:
    """The whole section, for every scenario a district ran; [] when none did."""
    out: list[str] = []
    for scenario in sorted({r.scenario for r in records if r.server == "district"}):
        group = [r for r in records if r.scenario == scenario and r.server in ("ours", "district")]
        out += [
            f"## District: {scenario}",
            "",
            note(cores, pinned),
            "",
            "Largest N held:",
            "",
            *held_lines(group),
            "",
            *steps_table(group),
            "",
            *against_ours(group),
            "",
            "Each node (its processes: signalling and SFU worker), and the Redis:",
            "",
            *nodes_table([r for r in group if r.server == "district" and r.error is None]),
            "",
        ]
    return out
