"""The report's district section: per step, where the lessons went, what each node cost, and
joins through a door against direct, beside our single server at the same N; for an event
(``broadcast``), its audience by node: from which node each viewer watched, what the viewers
received there, and the stage crossing to each edge node once (the nodes' own counters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .report import StepRecord, _label, _mark, _row, fmt, limits


def note(cores: int, pinned: bool, scenario: str = "rooms") -> str:
    """What a district run of ``scenario`` on this machine can show, and what it cannot."""
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
    if scenario == "broadcast":
        return (
            "A district of n nodes: each a whole server of ours (`python -m signaling` and its "
            "SFU worker), all on one redis-server of the bench's own, with one school "
            "database. The bots join through the nodes in turn, as a load balancer in front "
            f"would. Here {where}. What it shows: an event's audience split over the nodes "
            "(from which node each viewer watches), what the viewers receive from an edge "
            "node against those at the origin, that the stage crosses to each edge once, and "
            f"what each node costs. {cannot}"
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
    lessons = all(r.scenario == "rooms" for r in records)
    header = [
        "N",
        "server",
        "lessons per node" if lessons else "rooms per node",
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


HLS_ENCODER = "recording.broadcast"
"""The process role (``bench.accounting.process_role``) of an event's live HLS encoder,
which runs on the node holding the room."""
EVENT_HEADER = [
    "N",
    "server",
    "node",
    "holds the room",
    "viewers through its door",
    "watching from it",
    "fps (min)",
    "freezes",
    "frozen %",
    "kbit/s",
    "video / audio loss %",
    "delay p50 / p95 ms",
    "stage in pkt/s (kbit/s)",
    "pipes out / in",
    "SFU pkt/s out",
    "CPU % (live HLS of it)",
]


def event_nodes(record: StepRecord) -> list[dict[str, Any]]:
    """Each node of an event's district step: ``node_rows``'s figures, with its viewers and
    its own counters (``bench.node_metrics``) as the target read them."""
    nodes = {n["id"]: n for n in (record.extra.get("district") or {}).get("nodes") or []}
    encoders = {
        p["pid"]: p["cpu_pct"]
        for p in record.extra.get("processes") or []
        if p.get("role") == HLS_ENCODER
    }
    return [
        {
            **row,
            "cpu_hls_pct": sum(encoders.get(pid, 0.0) for pid in nodes[row["node"]]["pids"]),
            "metrics": nodes[row["node"]].get("metrics") or {},
            "viewers_through": nodes[row["node"]].get("viewers_through"),
            "viewers_watching": nodes[row["node"]].get("viewers_watching"),
        }
        for row in node_rows(record)
        if row["node"] in nodes
    ]


def event_table(records: Sequence[StepRecord]) -> list[str]:
    """Per district step of an event, a row per node: its viewers and what they received
    (``extra["groups"]``, by the node their media came from), the stage arriving at it and
    the pipes (its own ``/metrics``), and its processes' CPU."""
    rows = [_row(EVENT_HEADER), _row(["---"] * len(EVENT_HEADER))]
    for r in sorted(records, key=lambda r: (r.n, r.label)):
        groups = {str(g["group"]).split(" ")[0]: g for g in r.extra.get("groups") or []}
        for node in event_nodes(r):
            m = node["metrics"]
            g = groups.get(node["node"])
            received = (
                [
                    f"{fmt(g['fps'])} ({fmt(g['fps_min'])})",
                    str(g["freezes"]),
                    fmt(g["frozen_pct"]),
                    fmt(g["kbps"], 0),
                    f"{fmt(g['video_loss_pct'], 2)} / {fmt(g['audio_loss_pct'], 2)}",
                    f"{fmt(g.get('delay_ms_p50'))} / {fmt(g.get('delay_ms_p95'))}",
                ]
                if g is not None
                else ["—"] * 6
            )
            rows.append(
                _row(
                    [
                        str(r.n),
                        r.label,
                        node["node"],
                        "yes" if node["rooms"] else "no",
                        _count(node["viewers_through"]),
                        _count(node["viewers_watching"]),
                        *received,
                        f"{fmt(m.get('pps_in'), 0)} ({fmt(m.get('kbps_in'), 0)})",
                        f"{_count(m.get('pipes_out'))} / {_count(m.get('pipes_in'))}",
                        fmt(m.get("pps_out"), 0),
                        f"{fmt(node['cpu_pct'])} ({fmt(node['cpu_hls_pct'])})",
                    ]
                )
            )
    return rows


def stage_crossings(records: Sequence[StepRecord]) -> list[str]:
    """Per district step of an event: the stage's packets/s arriving at each edge through its
    pipe over those arriving at the origin from the performer (1.00: the stage crossed once
    to that edge, whatever its audience there), and viewers whose node was not found."""
    lines = []
    for r in sorted(records, key=lambda r: (r.n, r.label)):
        nodes = event_nodes(r)
        origin = next((n for n in nodes if n["rooms"]), None)
        if origin is None or not origin["metrics"].get("pps_in"):
            continue
        edges = [n for n in nodes if n["metrics"].get("pipes_in")]
        delays = {
            str(g["group"]).split(" ")[0]: g.get("delay_ms_p50")
            for g in r.extra.get("groups") or []
        }
        shown = "; ".join(
            f"{n['node']} ({_count(n['viewers_watching'])} watching) "
            f"×{n['metrics']['pps_in'] / origin['metrics']['pps_in']:.2f}"
            + _later(delays.get(n["node"]), delays.get(origin["node"]))
            for n in edges
            if n["metrics"].get("pps_in") is not None
        )
        unplaced = ((r.extra.get("district") or {}).get("viewers_unplaced")) or 0
        lines.append(
            f"- N={r.n}, {r.label}: the room on {origin['node']}, "
            f"{_count(origin['metrics'].get('pipes_out'))} pipe(s) out of it; "
            + (f"stage in at each edge over the origin's: {shown}" if shown else "no edge")
            + (f"; {unplaced} viewer(s) on no node found" if unplaced else "")
            + "."
        )
    return lines


EVENT_NOTE = (
    "The event (`broadcast`: 1 performer, N viewers) is made in the district's shared school "
    "database; its performer joins first, through node0, and the room is placed on the "
    "least loaded node (node0 in an idle district, ties going by id); the viewers come in "
    "through the nodes in turn after it. A viewer relayed by a door watches from that "
    "door's node: a peer in its SFU, the stage piped there once from the node holding "
    "the room. Per node: the viewers whose door it was, and those whose media came from "
    "it (by the server's UDP ports their connections use, among each node's processes'); "
    "what those received over the window (complete frames/s, freezes as Chrome counts "
    "them, kbit/s, loss after retransmissions, one-way delay from the performer through "
    "the server's sender reports); from the node's own `/metrics`: the stage's packets "
    "arriving at its SFU (at the origin from the performer, at an edge through the pipe), "
    "its pipes out / in, and the packets its SFU sent (at the origin the pipe's and the "
    "live HLS's hidden consumers included); CPU of its processes (signalling and SFU "
    "worker; in brackets the origin's live HLS encoder, which decodes and encodes the stage "
    "and dominates it)."
)


def _later(edge: float | None, origin: float | None) -> str:
    """How much later an edge's viewers got the stage than the origin's (one-way delay p50)."""
    if edge is None or origin is None:
        return ""
    return f", its viewers' delay p50 {edge - origin:+.1f} ms against the origin's"


def _count(value: float | None) -> str:
    return "—" if value is None else str(int(value))


def district_section(records: Sequence[StepRecord], cores: int, pinned: bool) -> list[str]:
    """The whole section, for every scenario a district ran; [] when none did."""
    out: list[str] = []
    for scenario in sorted({r.scenario for r in records if r.server == "district"}):
        group = [r for r in records if r.scenario == scenario and r.server in ("ours", "district")]
        out += [
            f"## District: {scenario}",
            "",
            note(cores, pinned, scenario),
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
        events = [
            r for r in group if r.server == "district" and r.error is None and r.extra.get("groups")
        ]
        if events:
            out += [
                "The event's audience by node:",
                "",
                EVENT_NOTE,
                "",
                *event_table(events),
                "",
                *stage_crossings(events),
                "",
            ]
    return out
