"""Bench results: one record per measured step, the run's JSON file, a Markdown report, plots.

Files go to bench/results/<timestamp>.json, <timestamp>.md, <timestamp>-cpu.png and
<timestamp>-loss.png. Points where the bots were saturated are marked and left out of every
verdict (largest N that held, ratios, targets).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
LOSS_LIMIT_PCT = 1.0
TTFF_LIMIT_MS = 2000.0
# Targets of the bench issue, shown against what was measured.
TARGET_US_PER_PKT_OUT = 10.0
TARGET_RATIO_TO_JANUS = 1.5
TARGET_TTFF_P95_MS = 500.0
TARGET_PUPIL_KBPS = 1500.0
"""Issue 16: what a pupil of a full class receives, at most."""
SERVER_ORDER = {"ours": 0, "district": 1, "janus": 2, "relay": 3}
SCENARIO_NOTES = {
    "lesson": "N pupils: 1 teacher (720p + audio) and N pupils (360p + audio); each pupil sees "
    "the teacher and 3 pupils, the teacher sees everyone.",
    "meeting": "N participants, all publish 360p + audio, all see all.",
    "broadcast": "N viewers of 1 performer (720p + stereo Opus at 256 kbit/s, music mode); "
    "viewers publish nothing. On our server the room is an event: it is also composed and "
    "encoded to live HLS in a child process (counted in its CPU), fetched by 10 HLS clients; "
    "Janus only forwards.",
    "rooms": "N lessons at once, each 1 teacher + 10 pupils as in `lesson`.",
    "weak": "N pupils with mixed downlinks watch a teacher publishing 720p VP8 with three "
    "temporal layers (Chrome's L1T3: 7.5, 15 and 30 frames/s at about 750, 1,100 and 1,500 "
    "kbit/s) + audio; pupils publish nothing and are split round robin into link groups "
    "(`bench/link_groups.py`), each behind a seeded relay on its downlink, and receive "
    "through aiortc's receiver (NACK, REMB, RR) whatever `--feedback` says. Loss and TTFF "
    "in the tables above leave impaired pupils out; per group below.",
    "class": "A class of N: 1 teacher (talking, on a computer: 9 cameras a page) and N − 1 "
    "pupils (silent: their microphones send Opus DTX, a packet per 400 ms, as a browser's "
    "asked for DTX does; on phones: 4 cameras a page, the teacher's one of them), every camera "
    "on and sent as the web client sends it (simulcast 240x135 / 480x270 / 960x540 at about "
    "150 / 500 / 1,200 kbit/s, each L1T3, `bench/simulcast.py`) + audio, all in one room. "
    "Each asks for videos as the lesson page does (`bench/gallery.py`, `set_subscriptions` "
    "with `video`; on Janus, the same streams by feed and mid): the first page of the "
    "class's cameras, and everyone's audio; and for each video the layer covering its tile "
    "(`bench/tile_sizes.py`: a 390x844 phone's 192x160, a 1280x800 computer's 224x128; "
    "ours is told them with `set_video_sizes`, Janus asked the layer with `substream`). "
    "Cameras send only the layers someone's tile needs (ours: `publish_layers`; Janus: the "
    "bench tells its publishers the same from what was asked). Every step runs, whatever "
    "the one before it gave.",
    "weak-simulcast": "As `weak`, but the teacher publishes the web client's camera in three "
    "sizes (simulcast RIDs q / h / f: 240x135, 480x270 and 960x540 at about 150, 500 and "
    "1,200 kbit/s, each L1T3) + audio (`bench/weak_simulcast.py`). Our server picks each "
    "pupil's layer from its downlink; on Janus each pupil's page asks for its link's layer "
    "(`configure` with `substream`: 2 direct, 1 behind 1 Mbit/s, 0 behind 300 kbit/s).",
}
GROUP_NOTES = (
    "fps: complete frames per second (every packet of a frame, first to marker, arrived, "
    "directly or by retransmission; what a frame references is not checked), mean over the "
    "group's pupils (min). fps refs kept: of those, the frames whose references (by "
    "TL0PICIDX and layer, back to a keyframe) were complete too, at any time: what a decoder "
    "waiting as long as it takes could show. The bots ask for a keyframe only until their "
    "first one (and when aiortc's jitter buffer gives up), not when a reference is lost for "
    "good as a browser would within a few seconds: after such a loss this figure stays down "
    "until the clip's next keyframe (every 10 s), through either server. "
    "Freezes: intervals between complete frames of at least "
    "max(3 × mean interval, mean + 150 ms) (Chrome's), all the group's pupils together; "
    "frozen %: their time, in percent of the window. Layers: VP8 frames started per second "
    "in temporal layers 0 / 1 / 2 (which layers the server sent). kbit/s: media received per "
    "pupil. Loss: packets still missing after retransmissions. Link drops: datagrams the "
    "link itself dropped (random loss and full queue). Pictures: the sizes of the complete "
    "frames (each has the size of the keyframe before it); fps ≥ 320x180: complete frames per "
    "second of at least that size (a simulcast camera's layer 1 or 2), mean over the group."
)
TARGET_GROUP_NOTES = {
    "janus": "Janus VideoRoom selects VP8 temporal layers only for simulcast publishers, and "
    "only when a subscriber asks (`configure` with `temporal`); it does not follow a "
    "subscriber's REMB, and aiortc cannot publish simulcast. Every pupil is sent all three "
    "layers: fitting the stream to each downlink does not apply to Janus here, and its "
    "figures show the links overflowing.",
    "weak-simulcast/janus": "Janus forwards the simulcast layer each page asked for "
    "(`substream`, all three temporal layers) whatever the link does: it does not follow a "
    "subscriber's REMB or loss; it only drops to a lower layer when the chosen one stops "
    "arriving. The pages here were given their link's layer.",
}


@dataclass
class StepRecord:
    """What one step of a ramp measured (one scenario, one server, one N)."""

    scenario: str
    server: str
    """"ours", "district", "janus" or "relay"."""
    workers: int | None
    """SFU processes asked of our server (None: its default)."""
    n: int
    """The ramped size: pupils, meeting size, viewers, or lessons (rooms)."""
    rooms: int
    publishers: int
    subscribers: int
    """Participants that receive at least one stream."""
    participants: int
    window_s: float
    pps_in: float | None
    """Packets/s the publishers' senders sent (None: the target cannot tell)."""
    pps_out: float
    """Media packets/s all subscribers received, RTX excluded."""
    cpu_pct: float
    """Server CPU (all its processes) in percent of one core."""
    cpu_pct_by_process: list[float]
    cpu_us_per_pkt_out: float | None
    cpu_us_per_pkt_in: float | None
    rss_mb: float
    """Server RSS (all its processes), mean over the window."""
    rss_peak_mb: float
    rss_idle_mb: float
    """Server RSS before anyone joined."""
    rss_mb_per_participant: float | None
    loss_pct: float
    ttff_ms_p50: float | None
    ttff_ms_p95: float | None
    """None when some video never showed a keyframe (then the step failed on it)."""
    video_streams_expected: int
    video_streams_missing: int
    bots_cpu_pct: float
    loop_lag_p99_ms: float
    bots_saturated: bool
    verdict: str
    """"held", "loss", "ttff", "bots saturated" or "error"."""
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    nodes: int | None = None
    """Nodes of a district (``district``, each a whole server of ours); None: one server."""

    @property
    def held(self) -> bool:
        return self.verdict == "held"

    @property
    def label(self) -> str:
        return label_of(self.server, self.workers, self.nodes)


def label_of(server: str, workers: int | None, nodes: int | None = None) -> str:
    """A server as tables name it: ours with its SFU process count when set, a district with
    its node count."""
    if nodes is not None:
        return f"{server} {nodes} node{'' if nodes == 1 else 's'}"
    return server if workers is None else f"{server} ×{workers}"


def verdict_of(
    *, error: str | None, saturated: bool, loss_pct: float, ttff_ms_p95: float | None
) -> str:
    """Whether a step held; saturation comes first because it makes the other figures moot."""
    if error is not None:
        return "error"
    if saturated:
        return "bots saturated"
    if loss_pct > LOSS_LIMIT_PCT:
        return "loss"
    if ttff_ms_p95 is None or ttff_ms_p95 > TTFF_LIMIT_MS:
        return "ttff"
    return "held"


def record_from_dict(data: dict[str, Any]) -> StepRecord:
    return StepRecord(**data)


# JSON.


def run_json(records: Sequence[StepRecord], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "run": meta,
        "records": [asdict(r) for r in records],
        "limits": [asdict(limit) for limit in limits(records)],
    }


def write_json(path: Path, records: Sequence[StepRecord], meta: dict[str, Any]) -> None:
    path.write_text(json.dumps(run_json(records, meta), indent=2) + "\n")


# Verdicts.


@dataclass
class Limit:
    """The largest N a server held in a scenario, and what stopped the ramp."""

    scenario: str
    server: str
    workers: int | None
    held_n: int | None
    stopped_by: str
    """A failed step's verdict with its N (``loss at N=8``), or ``end of steps``."""
    nodes: int | None = None


def limits(records: Iterable[StepRecord]) -> list[Limit]:
    found: list[Limit] = []
    for (scenario, _label), group in _groups(records):
        ordered = sorted(group, key=lambda r: r.n)
        held = [r.n for r in ordered if r.held]
        failed = next((r for r in ordered if not r.held), None)
        stopped = f"{failed.verdict} at N={failed.n}" if failed else "end of steps"
        first = ordered[0]
        found.append(
            Limit(
                scenario,
                first.server,
                first.workers,
                max(held) if held else None,
                stopped,
                first.nodes,
            )
        )
    return found


def _groups(records: Iterable[StepRecord]) -> list[tuple[tuple[str, str], list[StepRecord]]]:
    grouped: dict[tuple[str, str], list[StepRecord]] = {}
    for r in records:
        grouped.setdefault((r.scenario, r.label), []).append(r)
    return sorted(grouped.items(), key=lambda kv: (kv[0][0], _label_order(kv[0][1])))


def _label_order(label: str) -> tuple[int, str]:
    return (SERVER_ORDER.get(label.split(" ")[0], 9), label)


def labels_of(records: Iterable[StepRecord]) -> list[str]:
    return sorted({r.label for r in records}, key=_label_order)


def ratio(ours: StepRecord | None, janus: StepRecord | None) -> float | None:
    """ours / janus CPU µs per forwarded packet; None if either is missing or saturated."""
    if ours is None or janus is None or ours.bots_saturated or janus.bots_saturated:
        return None
    a, b = ours.cpu_us_per_pkt_out, janus.cpu_us_per_pkt_out
    if a is None or b is None or b == 0:
        return None
    return a / b


# Markdown.


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _mark(record: StepRecord, text: str) -> str:
    """Saturated points carry a star: shown, but not part of any verdict."""
    return text + "*" if record.bots_saturated else text


def side_by_side(records: Sequence[StepRecord]) -> list[str]:
    """One scenario: per N, each server's CPU µs per packet, the ratios, loss, TTFF p95 and
    one-way delay p50."""
    labels = labels_of(records)
    ours = [label for label in labels if label.startswith("ours")]
    janus = "janus" if "janus" in labels else None
    by = {(r.label, r.n): r for r in records}
    header = ["N", "subscribers"]
    header += [f"{label} µs/pkt out" for label in labels]
    header += [f"{label}/janus" for label in ours] if janus else []
    header += [f"{label} loss %" for label in labels]
    header += [f"{label} TTFF p95 ms" for label in labels]
    header += [f"{label} delay p50 ms" for label in labels]
    rows = [_row(header), _row(["---"] * len(header))]
    for n in sorted({r.n for r in records}):
        present = [by[(label, n)] for label in labels if (label, n) in by]
        cells = [str(n), str(max(r.subscribers for r in present))]
        cells += [
            _cell(by.get((label, n)), lambda r: fmt(r.cpu_us_per_pkt_out)) for label in labels
        ]
        if janus:
            cells += [fmt(ratio(by.get((label, n)), by.get((janus, n))), 2) for label in ours]
        cells += [_cell(by.get((label, n)), lambda r: fmt(r.loss_pct, 2)) for label in labels]
        cells += [_cell(by.get((label, n)), lambda r: fmt(r.ttff_ms_p95, 0)) for label in labels]
        cells += [
            _cell(by.get((label, n)), lambda r: fmt(r.extra.get("delay_ms_p50")))
            for label in labels
        ]
        rows.append(_row(cells))
    return rows


DETAIL_HEADER = [
    "server",
    "N",
    "pub",
    "sub",
    "pps in",
    "pps out",
    "CPU %",
    "µs/pkt out",
    "µs/pkt in",
    "RSS MB",
    "MB/participant",
    "loss %",
    "TTFF p50 ms",
    "TTFF p95 ms",
    "delay p50 ms",
    "delay p95 ms",
    "bots CPU %",
    "verdict",
]


def details(records: Sequence[StepRecord]) -> list[str]:
    """Every measured step of one scenario, all figures."""
    rows = [_row(DETAIL_HEADER), _row(["---"] * len(DETAIL_HEADER))]
    for r in sorted(records, key=lambda r: (_label_order(r.label), r.n)):
        verdict = r.verdict if r.error is None else f"error: {r.error}"
        if r.video_streams_missing:
            verdict += f" ({r.video_streams_missing}/{r.video_streams_expected} videos missing)"
        rows.append(
            _row(
                [
                    r.label,
                    str(r.n),
                    str(r.publishers),
                    str(r.subscribers),
                    fmt(r.pps_in, 0),
                    fmt(r.pps_out, 0),
                    fmt(r.cpu_pct),
                    _mark(r, fmt(r.cpu_us_per_pkt_out)),
                    _mark(r, fmt(r.cpu_us_per_pkt_in)),
                    fmt(r.rss_mb, 0),
                    fmt(r.rss_mb_per_participant, 2),
                    fmt(r.loss_pct, 2),
                    fmt(r.ttff_ms_p50, 0),
                    fmt(r.ttff_ms_p95, 0),
                    fmt(r.extra.get("delay_ms_p50")),
                    fmt(r.extra.get("delay_ms_p95")),
                    fmt(r.bots_cpu_pct, 0),
                    verdict.replace("|", "/"),
                ]
            )
        )
    return rows


GROUP_HEADER = [
    "group",
    "link",
    "pupils",
    "fps (min)",
    "fps refs kept",
    "freezes",
    "frozen %",
    "longest gap s",
    "layers fps",
    "kbit/s",
    "video loss %",
    "audio loss %",
    "link drops %",
]
SIZED_HEADER = ["pictures", "fps ≥ 320x180"]
"""Shown when a step's groups say which picture sizes they got (bench.group_stats)."""


def group_table(record: StepRecord) -> list[str]:
    """One step's link groups (``extra["groups"]``, bench.group_stats), a row each."""
    groups = record.extra.get("groups") or []
    sized = any(g.get("sizes") for g in groups)
    header = GROUP_HEADER + SIZED_HEADER if sized else GROUP_HEADER
    rows = [_row(header), _row(["---"] * len(header))]
    for g in groups:
        sizes = [", ".join(g.get("sizes") or []) or "—", fmt(g.get("fps_sized"))]
        rows.append(
            _row(
                [
                    str(g["group"]),
                    str(g["link"]),
                    str(g["pupils"]),
                    f"{fmt(g['fps'])} ({fmt(g['fps_min'])})",
                    fmt(g.get("fps_kept")),
                    str(g["freezes"]),
                    fmt(g["frozen_pct"]),
                    fmt(g["longest_gap_s"], 2),
                    " / ".join(fmt(f) for f in g["layer_fps"]),
                    fmt(g["kbps"], 0),
                    fmt(g["video_loss_pct"], 2),
                    fmt(g["audio_loss_pct"], 2),
                    fmt(g["link_drop_pct"], 2),
                    *(sizes if sized else []),
                ]
            )
        )
    return rows


def group_tables(records: Sequence[StepRecord]) -> list[str]:
    """Per N, each server's link groups: a small table per server, with what does not apply
    to it said in words."""
    lines: list[str] = []
    # A district's groups are its event's viewers by node: its own section shows them.
    chosen = [r for r in records if r.extra.get("groups") and r.server != "district"]
    for r in sorted(chosen, key=lambda r: (r.n, _label_order(r.label))):
        lines += [f"{r.label}, N={r.n} ({r.window_s:g} s measured):", "", *group_table(r), ""]
        note = TARGET_GROUP_NOTES.get(f"{r.scenario}/{r.server}", TARGET_GROUP_NOTES.get(r.server))
        if note:
            lines += [note, ""]
    if lines:
        lines += [GROUP_NOTES, ""]
    return lines


def hls_table(records: Sequence[StepRecord]) -> list[str]:
    """What the HLS clients of our events got, per N (over the step's whole life)."""
    chosen = [r for r in records if isinstance(r.extra.get("hls"), dict)]
    if not chosen:
        return []
    lines = [
        "HLS clients of the event (from their first segment to the step's end):",
        "",
        "| server | N | clients | segments fetched | failed | skipped | MB | fetch p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(chosen, key=lambda r: (r.n, _label_order(r.label))):
        h = r.extra["hls"]
        lines.append(
            f"| {r.label} | {r.n} | {h['clients']} | {h['segments_fetched']} | "
            f"{h['segments_failed']} | {h['segments_skipped']} | {h['mbytes']} | "
            f"{fmt(h['fetch_ms_p95'], 0)} |"
        )
    return [*lines, ""]


def limits_table(records: Sequence[StepRecord]) -> list[str]:
    labels = labels_of(records)
    table = {(lim.scenario, _label(lim)): lim for lim in limits(records)}
    rows = [_row(["scenario", *labels]), _row(["---"] * (len(labels) + 1))]
    for scenario in _scenarios(records):
        cells = [scenario]
        for label in labels:
            lim = table.get((scenario, label))
            if lim is None:
                cells.append("—")
                continue
            held = "none" if lim.held_n is None else str(lim.held_n)
            cells.append(f"{held} ({lim.stopped_by})")
        rows.append(_row(cells))
    return rows


def targets(records: Sequence[StepRecord]) -> list[str]:
    """The issue's targets against the unsaturated, error-free points of our server."""
    lines: list[str] = []
    valid = [r for r in records if not r.bots_saturated and r.error is None]
    for scenario in _scenarios(records):
        ours = [r for r in valid if r.scenario == scenario and r.server == "ours"]
        if not ours:
            continue
        costs = [r.cpu_us_per_pkt_out for r in ours if r.cpu_us_per_pkt_out is not None]
        parts = []
        if costs:
            worst = max(costs)
            parts.append(
                f"CPU per forwarded packet {fmt(min(costs))}–{fmt(worst)} µs "
                f"(target ≤ {TARGET_US_PER_PKT_OUT:.0f}: {_against(worst, TARGET_US_PER_PKT_OUT)})"
            )
        janus = {r.n: r for r in valid if r.scenario == scenario and r.server == "janus"}
        ratios = [q for r in ours if (q := ratio(r, janus.get(r.n))) is not None]
        if ratios:
            verdict = _against(max(ratios), TARGET_RATIO_TO_JANUS)
            parts.append(
                f"ours/janus {fmt(min(ratios), 2)}–{fmt(max(ratios), 2)} "
                f"(target ≤ {TARGET_RATIO_TO_JANUS}: {verdict})"
            )
        ttffs = [r.ttff_ms_p95 for r in ours if r.held and r.ttff_ms_p95 is not None]
        if ttffs:
            parts.append(
                f"TTFF p95 {fmt(min(ttffs), 0)}–{fmt(max(ttffs), 0)} ms over held steps "
                f"(target ≤ {TARGET_TTFF_P95_MS:.0f} at moderate load: "
                f"{_against(min(ttffs), TARGET_TTFF_P95_MS)} at the lightest)"
            )
        if parts:
            lines.append(f"- {scenario}: " + "; ".join(parts) + ".")
    return lines


# The class scenario: what each pupil and the teacher received, and the server's cost.

RECEIVED_SCENARIOS = {"class"}
"""Scenarios whose report shows what each role received (every record measures it)."""


def _received(record: StepRecord, role: str) -> dict[str, Any] | None:
    found = (record.extra.get("received") or {}).get(role)
    return found if isinstance(found, dict) else None


def _raw_ratio(ours: StepRecord | None, janus: StepRecord | None) -> float | None:
    """ours / janus CPU µs per forwarded packet, saturated or not (marked by the caller)."""
    if ours is None or janus is None:
        return None
    a, b = ours.cpu_us_per_pkt_out, janus.cpu_us_per_pkt_out
    return None if a is None or not b else a / b


def _pair(ours: StepRecord | None, janus: StepRecord | None, show: Any) -> str:
    """One figure of ours and of Janus in one cell: ``ours / janus``."""
    return " / ".join(_cell(r, show) or "—" for r in (ours, janus))


def class_received(records: Sequence[StepRecord]) -> list[str]:
    """Per N and server: each pupil's kbit/s (mean, max; of video and of audio; on the
    wire) and streams, and the teacher's."""
    chosen = [r for r in records if r.error is None and _received(r, "pupil")]
    if not chosen:
        return []
    header = [
        "N",
        "server",
        "pupil kbit/s mean (max)",
        "of which teacher's video + classmates' video + audio",
        "pupil on the wire mean (max)",
        "pupil streams video / audio",
        "pupil's pictures, teacher's / classmates'",
        "teacher kbit/s",
        "of which pupils' video + audio",
        "teacher streams video / audio",
        "teacher's pictures of pupils",
    ]
    rows = [_row(header), _row(["---"] * len(header))]
    for r in sorted(chosen, key=lambda r: (r.n, _label_order(r.label))):
        pupil = _received(r, "pupil") or {}
        teacher = _received(r, "teacher") or {}

        def streams(found: dict[str, Any], kind: str) -> str:
            low, high = found.get(f"{kind}_streams_min"), found.get(f"{kind}_streams_max")
            return "—" if low is None else str(low) if low == high else f"{low}–{high}"

        def pictures(found: dict[str, Any], source: str) -> str:
            sizes = (found.get("pictures_from") or {}).get(source)
            return ", ".join(sizes) if sizes else "—"

        def split(found: dict[str, Any], sources: tuple[str, ...]) -> str:
            if not found:
                return "—"
            video = found.get("video_kbps_mean_from") or {}
            parts = [video.get(source, 0.0) for source in sources]
            parts.append(found["audio_kbps_mean"])
            return " + ".join(fmt(part, 0) for part in parts)

        rows.append(
            _row(
                [
                    str(r.n),
                    r.label,
                    _mark(r, f"{fmt(pupil['kbps_mean'], 0)} ({fmt(pupil['kbps_max'], 0)})"),
                    split(pupil, ("teacher", "pupil")),
                    f"{fmt(pupil['wire_kbps_mean'], 0)} ({fmt(pupil['wire_kbps_max'], 0)})",
                    f"{streams(pupil, 'video')} / {streams(pupil, 'audio')}",
                    f"{pictures(pupil, 'teacher')} / {pictures(pupil, 'pupil')}",
                    _mark(r, fmt(teacher.get("kbps_mean"), 0)),
                    split(teacher, ("pupil",)),
                    f"{streams(teacher, 'video')} / {streams(teacher, 'audio')}"
                    if teacher
                    else "—",
                    pictures(teacher, "pupil"),
                ]
            )
        )
    return rows


def class_cost(records: Sequence[StepRecord]) -> list[str]:
    """Per N: the server's CPU µs per forwarded packet, ours and Janus and their ratio, and
    each run's bots (CPU, event-loop lag), loss and time to first frame."""
    by = {(r.label, r.n): r for r in records if r.error is None}
    if not by:
        return []
    header = [
        "N",
        "ours µs/pkt out",
        "janus µs/pkt out",
        "ours/janus",
        "server CPU % ours / janus",
        "pkt/s out ours / janus",
        "loss % ours / janus",
        "TTFF p95 ms ours / janus",
        "joining s (join p95 ms) ours / janus",
        "bots CPU % ours / janus",
        "bots loop lag p99 (max) ms ours / janus",
        "verdict ours / janus",
    ]
    rows = [_row(header), _row(["---"] * len(header))]
    for n in sorted({n for _, n in by}):
        ours, janus = by.get(("ours", n)), by.get(("janus", n))
        q = _raw_ratio(ours, janus)
        saturated = any(r is not None and r.bots_saturated for r in (ours, janus))
        rows.append(
            _row(
                [
                    str(n),
                    _cell(ours, lambda r: fmt(r.cpu_us_per_pkt_out)) or "—",
                    _cell(janus, lambda r: fmt(r.cpu_us_per_pkt_out)) or "—",
                    fmt(q, 2) + ("*" if saturated and q is not None else ""),
                    _pair(ours, janus, lambda r: fmt(r.cpu_pct)),
                    _pair(ours, janus, lambda r: fmt(r.pps_out, 0)),
                    _pair(ours, janus, lambda r: fmt(r.loss_pct, 2)),
                    _pair(ours, janus, lambda r: fmt(r.ttff_ms_p95, 0)),
                    _pair(ours, janus, _joins),
                    _pair(ours, janus, lambda r: fmt(r.bots_cpu_pct, 0)),
                    _pair(
                        ours,
                        janus,
                        lambda r: (
                            f"{fmt(r.loop_lag_p99_ms)} ({fmt(r.extra.get('loop_lag_max_ms'))})"
                        ),
                    ),
                    " / ".join(r.verdict if r is not None else "—" for r in (ours, janus)),
                ]
            )
        )
    return rows


def _joins(record: StepRecord) -> str:
    joins = record.extra.get("joins") or {}
    if not joins:
        return "—"
    return f"{fmt(joins.get('seconds'))} ({fmt(joins.get('ms_p95'), 0)})"


def class_target(records: Sequence[StepRecord]) -> list[str]:
    """Each server's pupils against the issue's per-pupil target, at every N."""
    lines = []
    for label in labels_of(records):
        points = [
            (r, p)
            for r in sorted(records, key=lambda r: r.n)
            if r.label == label and r.error is None and (p := _received(r, "pupil"))
        ]
        if not points:
            continue
        worst = max(p["kbps_max"] for _, p in points)
        shown = ", ".join(
            f"N={r.n} {_mark(r, fmt(p['kbps_mean'], 0))} (max {fmt(p['kbps_max'], 0)})"
            for r, p in points
        )
        lines.append(
            f"- {label}: pupils received {shown} kbit/s "
            f"(target ≤ {TARGET_PUPIL_KBPS:.0f}: {_against(worst, TARGET_PUPIL_KBPS)})."
        )
    return lines


def class_pauses(records: Sequence[StepRecord]) -> list[str]:
    """Our server's pauses of video to participants (``video_quality``), per N."""
    found = [(r, p) for r in records if isinstance(p := r.extra.get("video_pauses"), dict)]
    if not found:
        return []
    shown = "; ".join(
        f"N={r.n} {p['in_window']} in the window to {p['participants_in_window']} "
        f"participants ({p['before_window']} before it)"
        for r, p in sorted(found, key=lambda rp: (rp[0].n, _label_order(rp[0].label)))
    )
    return [
        '- Videos our server paused (`video_quality` "paused": a downlink it found too '
        f"narrow): {shown}."
    ]


def class_tables(records: Sequence[StepRecord]) -> list[str]:
    received = class_received(records)
    if not received:
        return []
    return [
        "What each participant received over the window: kbit/s of RTP (header and "
        "payload; RTX and RTCP not counted), on the wire with IPv4, UDP and SRTP's tag "
        "(38 bytes a packet more), the streams that brought packets, and the picture sizes "
        "of the complete frames of the videos on its page (each frame the size of the "
        "keyframe before it: the simulcast layers received):",
        "",
        *received,
        "",
        *class_target(records),
        *class_pauses(records),
        "",
        "The server's CPU per packet forwarded (received by all subscribers), side by side; "
        "a ratio marked `*` compares a step whose bots were saturated:",
        "",
        *class_cost(records),
        "",
    ]


# Process scaling (our server with several SFU worker processes).

WORKER_ROLE = "sfu.worker"
MAIN_ROLE = "signaling"


def _worker_rows(record: StepRecord) -> list[dict[str, Any]]:
    processes = record.extra.get("processes") or []
    workers = [p for p in processes if p.get("role") == WORKER_ROLE]
    return sorted(workers, key=lambda p: (p.get("rooms") or ["~"], p.get("pid", 0)))


def process_scaling(records: Sequence[StepRecord]) -> list[str]:
    """Our server's processes, one row each, for the steps run with a worker count: which
    rooms each SFU worker held, the packets/s forwarded to their subscribers, its CPU and
    CPU µs per such packet; the main (signalling) process's CPU on its own row."""
    chosen = [
        r
        for r in records
        if r.server == "ours" and r.workers is not None and r.error is None and _worker_rows(r)
    ]
    if not chosen:
        return []
    header = ["server", "N", "process", "rooms", "pps out", "CPU %", "µs/pkt out"]
    rows = [_row(header), _row(["---"] * len(header))]
    for r in sorted(chosen, key=lambda r: (r.n, r.workers or 0)):
        processes = r.extra.get("processes") or []
        for index, worker in enumerate(_worker_rows(r), start=1):
            rows.append(
                _row(
                    [
                        r.label,
                        str(r.n),
                        f"worker {index}",
                        ", ".join(worker.get("rooms") or []) or "—",
                        fmt(worker.get("pps_out"), 0),
                        fmt(worker.get("cpu_pct")),
                        _mark(r, fmt(worker.get("cpu_us_per_pkt_out"))),
                    ]
                )
            )
        main = sum(p.get("cpu_pct", 0.0) for p in processes if p.get("role") == MAIN_ROLE)
        rows.append(_row([r.label, str(r.n), "main (signalling)", "", "", fmt(main), ""]))
    return rows


def process_scaling_summary(records: Sequence[StepRecord]) -> list[str]:
    """Per N: a worker's CPU µs per forwarded packet with every room on it (×1), against each
    worker's with the rooms split (×2, …)."""
    by = {
        (r.n, r.workers): r
        for r in records
        if r.server == "ours" and r.workers and r.error is None and not r.bots_saturated
    }
    lines: list[str] = []
    for n in sorted({n for n, _ in by}):
        alone = _worker_rows(by[(n, 1)]) if (n, 1) in by else []
        base = alone[0].get("cpu_us_per_pkt_out") if alone else None
        for workers in sorted(w for m, w in by if m == n and w and w > 1):
            costs = [
                c
                for p in _worker_rows(by[(n, workers)])
                if (c := p.get("cpu_us_per_pkt_out")) is not None
            ]
            if base is None or not costs:
                continue
            shown = " / ".join(fmt(c) for c in costs)
            lines.append(
                f"- N={n}: one worker holding every room {fmt(base)} µs/pkt; split over "
                f"{workers} workers {shown} µs/pkt (×{max(costs) / base:.2f} at worst)."
            )
    return lines


def scaling_curve(records: Sequence[StepRecord]) -> list[str]:
    """Our server's ``rooms`` capacity against its SFU process count: per count, the largest
    N held, the packets/s forwarded there and the server's CPU."""
    rooms = [r for r in records if r.scenario == "rooms" and r.server == "ours" and r.workers]
    counts = sorted({r.workers for r in rooms if r.workers})
    if len(counts) < 2:
        return []
    header = ["SFU processes", "largest N held", "pps out there", "server CPU %", "stopped by"]
    rows = [_row(header), _row(["---"] * len(header))]
    for lim in limits(rooms):
        group = [r for r in rooms if r.workers == lim.workers]
        best = next((r for r in group if r.n == lim.held_n), None)
        rows.append(
            _row(
                [
                    str(lim.workers),
                    "none" if lim.held_n is None else str(lim.held_n),
                    fmt(best.pps_out, 0) if best else "—",
                    fmt(best.cpu_pct) if best else "—",
                    lim.stopped_by,
                ]
            )
        )
    return rows


def _against(value: float, target: float) -> str:
    return "met" if value <= target else f"missed by ×{value / target:.2f}"


def markdown(records: Sequence[StepRecord], meta: dict[str, Any], plots: Sequence[str]) -> str:
    out = [f"# Bench run {meta.get('stamp', '')}", ""]
    if meta.get("description"):
        out += [str(meta["description"]), ""]
    out += [
        f"Largest N that held (loss ≤ {LOSS_LIMIT_PCT:.0f} %, time to first frame p95 ≤ "
        f"{TTFF_LIMIT_MS / 1000:.0f} s, bots not saturated), and what stopped the ramp:",
        "",
        *limits_table(records),
        "",
    ]
    target_lines = targets(records)
    if target_lines:
        out += ["Targets (our server, unsaturated points):", "", *target_lines, ""]
    for scenario in _scenarios(records):
        group = [r for r in records if r.scenario == scenario]
        out += [f"## {scenario}", ""]
        if scenario in SCENARIO_NOTES:
            out += [SCENARIO_NOTES[scenario], ""]
        out += [*side_by_side(group), "", *details(group), ""]
        out += group_tables(group)
        out += hls_table(group)
        if scenario in RECEIVED_SCENARIOS:
            out += class_tables(group)
    scaling = process_scaling(records)
    if scaling:
        out += [
            "## Process scaling",
            "",
            "Our server with several SFU worker processes: each worker's rooms, the packets/s "
            "forwarded to their subscribers and its CPU µs per such packet (paired through "
            "the server's UDP ports), and the main (signalling) process apart.",
            "",
            *scaling,
            "",
            *process_scaling_summary(records),
            "",
        ]
    cores = (meta.get("machine") or {}).get("cores") or 0
    curve = scaling_curve(records)
    if curve and cores >= 4:
        out += [f"Scaling curve ({cores} cores), `rooms`:", "", *curve, ""]
    # Imported here: that module builds on this one's tables and helpers.
    from .district_report import district_section

    out += district_section(records, cores, bool(meta.get("pinned")))
    out += [
        "`*`: the bots were saturated (their CPU ≥ 90 % of their core or their event loop "
        "lagging): shown, left out of every verdict. µs/pkt = server CPU µs per packet "
        "received by all subscribers (out) or sent by all publishers (in). TTFF = first "
        "complete keyframe − max(subscriber's join start, publisher's join start).",
        "",
    ]
    for plot in plots:
        out += [f"![{plot}]({plot})", ""]
    return "\n".join(out)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(record: StepRecord | None, show: Any) -> str:
    return "" if record is None else _mark(record, show(record))


def _label(lim: Limit) -> str:
    return label_of(lim.server, lim.workers, lim.nodes)


def _scenarios(records: Iterable[StepRecord]) -> list[str]:
    order = list(SCENARIO_NOTES)
    found = {r.scenario for r in records}
    return sorted(found, key=lambda s: (order.index(s) if s in order else 99, s))


# Plots.


def plot(records: Sequence[StepRecord], directory: Path, stamp: str) -> list[str]:
    """CPU µs per packet against subscribers, and loss against load; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    scenarios = _scenarios(records)
    if not scenarios:
        return []
    names = []
    for kind, x_name, y_name, x_label, y_label, log in (
        (
            "cpu",
            "subscribers",
            "cpu_us_per_pkt_out",
            "subscribers",
            "server CPU µs per packet out",
            True,  # the decoding relay costs 100× more: only a log axis shows both
        ),
        ("loss", "pps_out", "loss_pct", "packets/s out (load)", "loss %", False),
    ):
        columns = min(2, len(scenarios))
        rows = math.ceil(len(scenarios) / columns)
        figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4 * rows), squeeze=False)
        flat = [axis for row in axes for axis in row]
        for axis in flat[len(scenarios) :]:
            axis.set_visible(False)
        for axis, scenario in zip(flat, scenarios, strict=False):
            group = [r for r in records if r.scenario == scenario and r.error is None]
            for label in labels_of(group):
                points = sorted(
                    (r for r in group if r.label == label), key=lambda r: getattr(r, x_name)
                )
                points = [r for r in points if getattr(r, y_name) is not None]
                if not points:
                    continue
                xs = [getattr(r, x_name) for r in points]
                ys = [getattr(r, y_name) for r in points]
                (line,) = axis.plot(xs, ys, marker="o", label=label)
                bad = [(x, y) for x, y, r in zip(xs, ys, points, strict=True) if r.bots_saturated]
                if bad:
                    axis.scatter(
                        [x for x, _ in bad],
                        [y for _, y in bad],
                        marker="x",
                        s=80,
                        color=line.get_color(),
                        label=f"{label}: bots saturated",
                    )
            if log:
                axis.set_yscale("log")
            else:
                axis.axhline(LOSS_LIMIT_PCT, color="grey", linestyle="--", linewidth=1)
                axis.set_ylim(bottom=0, top=max(LOSS_LIMIT_PCT * 1.5, axis.get_ylim()[1]))
            axis.set_title(scenario)
            axis.set_xlabel(x_label)
            axis.set_ylabel(y_label)
            axis.grid(alpha=0.3)
            axis.legend(fontsize="small")
        figure.tight_layout()
        name = f"{stamp}-{kind}.png"
        figure.savefig(directory / name, dpi=100)
        plt.close(figure)
        names.append(name)
    return names


def write_run(
    records: Sequence[StepRecord],
    meta: dict[str, Any],
    directory: Path = RESULTS,
    stamp: str | None = None,
) -> tuple[Path, Path]:
    """Write <stamp>.json, the plots and <stamp>.md; return the JSON and Markdown paths."""
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    meta = {**meta, "stamp": stamp}
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stamp}.json"
    write_json(json_path, records, meta)
    plots = plot(records, directory, stamp)
    md_path = directory / f"{stamp}.md"
    md_path.write_text(markdown(records, meta, plots))
    return json_path, md_path
