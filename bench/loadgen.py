"""The load generator: run a scenario's steps against a target and measure each one.

A step starts a fresh server, joins the plan's participants (a few at a time, in plan order),
lets media settle for ``warmup`` seconds, measures a ``window`` (server CPU and RSS from /proc,
packets sent and received, loss), reads time to first frame, then tears everything down. A
ramp runs steps of growing N until one fails (loss > 1 %, TTFF p95 > 2 s, saturated bots or an
error).

Definitions (the same for every target, since every target's participants report the same
`StreamStats`):
- ``pps_out``: media packets per second received by all subscribers together (RTX excluded).
- ``pps_in``: packets per second the publishers' senders sent (aiortc's ``packetsSent``), read
  through a participant's optional ``packets_sent()``; None if a target's participants lack it.
- ``loss_pct``: packets missing (not late, not recovered by RTX) / packets expected from
  sequence numbers, over the window, all streams together.
- per server process (``extra["processes"]``): its CPU, and the packets/s received through
  it: a participant's packets are its receiving connection's, and that connection belongs to
  the process holding the server's end of it (its UDP port, from the offer's candidates,
  found among the process's sockets in /proc). With several SFU workers this pairs each
  worker with the rooms it holds.
- time to first frame, per video stream a subscriber should receive: when the first keyframe
  to be complete became so (``StreamStats.first_keyframe_end_at``: its end recovered by RTX
  or reordered counts) − max(subscriber's join start, publisher's join start). Participants with an
  optional ``source_of(stream) -> identity`` give each stream its publisher; for others only
  subscribers who joined after all their publishers are counted, from their own join start.
  A stream that never showed a keyframe counts as infinitely late.
- a participant that follows a lesson page (``JoinSpec.page``) should receive the videos its
  page shows at the end of the window (``shown_videos()``) and everyone's audio: its other
  video streams (those of its first offer, before it asked for its page) are left out of time
  to first frame and of the video counts;
- video pauses (``extra["video_pauses"]``, our server): ``video_quality`` "paused" events
  the participants received before and in the window (the server found a downlink too
  narrow), and how many participants got one in the window;
- joins (``extra["joins"]``): how long the whole joining phase took, and each join
  (signalling, and publishing for a publisher) p50 / p95 / max;
- per role (``extra["received"]``, every step): what each participant received over the
  window, kbit/s of RTP (header + payload) in all, of video and of audio, and on the wire
  (+ ``WIRE_OVERHEAD_BYTES`` a packet), and how many video and audio streams brought packets;
- participants behind an impaired link (``JoinSpec.downlink``: the ``weak`` scenario) are
  left out of ``loss_pct`` and time to first frame, and so of the verdict (which is about the
  server); their loss is the scenario's measurement, reported per link group
  (``extra["groups"]``, ``bench.group_stats``), and ``extra["loss_pct_all"]`` counts them in.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from .accounting import ProcSampler, Usage, settled_rss, udp_ports
from .group_stats import GroupStats, Traffic, group_stats, picture_sizes, traffic
from .progress import Progress
from .report import StepRecord, label_of, verdict_of
from .rtp_stats import StreamStats
from .scenarios import Plan, key, sources
from .target import JoinSpec, Participant, Target

MB = 1024 * 1024
WIRE_OVERHEAD_BYTES = 20 + 8 + 10
"""What a packet weighs on the wire beyond its RTP bytes: IPv4 and UDP headers and SRTP's
80-bit authentication tag (no TURN, no TCP)."""


@dataclass
class Timing:
    warmup: float = 4.0
    """Seconds between the last join and the measurement window."""
    window: float = 10.0
    join_concurrency: int = 4
    """Participants joining at once (in plan order)."""


@dataclass
class _Joined:
    spec: JoinSpec
    participant: Participant
    started_at: float
    took: float = 0.0
    """Seconds its join took (signalling, and publishing if it publishes)."""


Counts = dict[tuple[str, int], tuple[int, int, int]]
"""(participant key, SSRC) → (packets, expected, lost)."""
Volumes = dict[tuple[str, int], tuple[str, str | None, int, int]]
"""(participant key, SSRC) → (kind, publisher's key or None, packets, bytes)."""


async def run_ramp(
    make_target: Callable[[], Target],
    plans: Sequence[Plan],
    timing: Timing,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    into: list[StepRecord] | None = None,
) -> list[StepRecord]:
    """Run ``plans`` (growing N) until a step does not hold; return every step's record.

    Each record is also appended to ``into`` as soon as it exists (kept if the run is cut).
    """
    records: list[StepRecord] = []
    for index, plan in enumerate(plans):
        target = make_target()
        if progress is not None:
            name = label_of(target.name, workers, getattr(target, "nodes", None))
            progress.step(f"{plan.scenario} {name} N={plan.n}")
        record = await run_step(target, plan, timing, workers=workers, progress=progress)
        records.append(record)
        if into is not None:
            into.append(record)
        if progress is not None:
            progress.finish_step(summary(record))
        if not record.held and not plan.every_step:
            if progress is not None:
                progress.skip(len(plans) - index - 1)
            break
    return records


def summary(record: StepRecord) -> str:
    if record.error is not None:
        return f"ERROR {record.error}"
    us = "—" if record.cpu_us_per_pkt_out is None else f"{record.cpu_us_per_pkt_out:.1f}"
    p95 = "—" if record.ttff_ms_p95 is None else f"{record.ttff_ms_p95:.0f}"
    return (
        f"{record.verdict}: {record.pps_out:.0f} pkt/s out, CPU {record.cpu_pct:.1f} %, "
        f"{us} µs/pkt, loss {record.loss_pct:.2f} %, TTFF p95 {p95} ms, "
        f"bots {record.bots_cpu_pct:.0f} %"
    )


async def run_step(
    target: Target,
    plan: Plan,
    timing: Timing,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> StepRecord:
    """Start ``target``, run ``plan`` on it, measure, stop it; errors become the record's."""

    def show(text: str, fraction: float | None = None) -> None:
        if progress is not None:
            progress.phase(text, fraction)

    joined: list[_Joined] = []
    nodes: int | None = getattr(target, "nodes", None)
    """A district's node count (``bench.district_target``); None: one server."""
    show("starting server", 0.0)
    try:
        await target.start()
        show("server idle", 0.0)
        idle_rss = await settled_rss(target.server_pids)
        joins_began = time.monotonic()
        await _join_all(target, plan, timing.join_concurrency, joined, show)
        joining_s = time.monotonic() - joins_began
        await _countdown(max(timing.warmup, plan.min_warmup), "warm-up", 0.4, 0.3, show)
        await _regroup(target, joined)
        opening = getattr(target, "window_opens", None)
        if opening is not None:  # a district reads its nodes' own counters
            await opening()
        sampler = ProcSampler(target.server_pids)
        sent_before = await _sent(joined)
        # Counting and sampling start with no await between them: the same window for both.
        before = _counts(joined)
        volumes_before = _volumes(joined)
        pauses_before = _pauses(joined)
        traffic_before = _traffic(joined)
        window_start = time.monotonic()
        sampler.start()
        await _countdown(timing.window, "measuring", 0.7, 0.3, show)
        usage = await sampler.stop()
        after = _counts(joined)
        volumes_after = _volumes(joined)
        pauses_after = _pauses(joined)
        traffic_after = _traffic(joined)
        window_end = time.monotonic()
        sent_after = await _sent(joined)
        process_of = _process_of(joined, usage)
        groups = group_stats(
            [(j.spec, j.participant) for j in joined],
            traffic_before,
            traffic_after,
            window_start,
            window_end,
        )
        record = _record(
            target.name,
            plan,
            workers,
            usage,
            idle_rss,
            before,
            after,
            sent_before,
            sent_after,
            joined,
            process_of,
            groups,
            nodes,
        )
        roles = {key(j.spec): j.spec.role for j in joined}
        record.extra["received"] = received_by_role(
            roles, volumes_before, volumes_after, usage.seconds
        )
        for role, pictures in pictures_by_role(joined, window_start, window_end).items():
            if role in record.extra["received"]:
                record.extra["received"][role]["pictures_from"] = pictures
        record.extra["loop_lag_max_ms"] = round(usage.loop_lag_max_s * 1000, 1)
        if pauses_after:
            paused = {k: n - pauses_before.get(k, 0) for k, n in pauses_after.items()}
            record.extra["video_pauses"] = {
                "before_window": sum(pauses_before.values()),
                "in_window": sum(paused.values()),
                "participants_in_window": sum(1 for n in paused.values() if n > 0),
            }
        took = [j.took * 1000 for j in joined]
        record.extra["joins"] = {
            "seconds": round(joining_s, 1),
            "ms_p50": _round(percentile(took, 50), 0),
            "ms_p95": _round(percentile(took, 95), 0),
            "ms_max": _round(max(took, default=None), 0),
        }
        # What only some targets measure (our events' HLS clients; a district's placement,
        # read from its Redis, hence perhaps awaited).
        extra = getattr(target, "extra_stats", None)
        if extra is not None:
            found = extra()
            record.extra.update(await found if inspect.isawaitable(found) else found)
        return record
    except Exception as exc:
        return _error_record(target.name, plan, workers, exc, nodes)
    finally:
        show("tearing down", 1.0)
        await asyncio.gather(*(j.participant.close() for j in joined), return_exceptions=True)
        try:
            await target.stop()
        except Exception:
            traceback.print_exc()


async def _join_all(
    target: Target,
    plan: Plan,
    concurrency: int,
    joined: list[_Joined],
    show: Callable[[str, float | None], None],
) -> None:
    total = len(plan.joins)
    for start in range(0, total, concurrency):
        show(f"joining {start}/{total}", 0.4 * start / total)
        wave = plan.joins[start : start + concurrency]
        results = await asyncio.gather(*(_join(target, s) for s in wave), return_exceptions=True)
        for result in results:
            if isinstance(result, _Joined):
                joined.append(result)
        for result in results:
            if isinstance(result, BaseException):
                raise result


async def _join(target: Target, spec: JoinSpec) -> _Joined:
    started = time.monotonic()
    participant = await target.join(spec)
    return _Joined(
        spec, participant, participant.join_started_at or started, time.monotonic() - started
    )


async def _regroup(target: Target, joined: list[_Joined]) -> None:
    """Groups a target gives its participants once media flows (a district: the node each
    event viewer's media comes from, which the plan cannot know), for ``group_stats``."""
    regroup = getattr(target, "groups", None)
    if regroup is None:
        return
    found = regroup([(j.spec, j.participant) for j in joined])
    groups: dict[str, str] = await found if inspect.isawaitable(found) else found
    for j in joined:
        group = groups.get(key(j.spec))
        if group is not None:
            j.spec = replace(j.spec, group=group)


async def _countdown(
    seconds: float,
    text: str,
    offset: float,
    share: float,
    show: Callable[[str, float | None], None],
) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        show(f"{text} {left:.0f} s", offset + share * (1 - left / seconds))
        await asyncio.sleep(min(1.0, left))


def _traffic(joined: list[_Joined]) -> dict[str, Traffic]:
    """The counters of the participants in a link group (``JoinSpec.group``), by key."""
    return {key(j.spec): traffic(j.participant) for j in joined if j.spec.group is not None}


def _counts(joined: list[_Joined]) -> Counts:
    return {
        (key(j.spec), s.ssrc): (s.packets, s.expected, s.lost)
        for j in joined
        for s in j.participant.streams()
    }


def _pauses(joined: list[_Joined]) -> dict[str, int]:
    """Videos the server paused to each participant so far (targets that tell)."""
    found: dict[str, int] = {}
    for j in joined:
        read: Callable[[], int] | None = getattr(j.participant, "video_pauses", None)
        if read is not None:
            found[key(j.spec)] = read()
    return found


def _volumes(joined: list[_Joined]) -> Volumes:
    found: Volumes = {}
    for j in joined:
        source_of: Callable[[StreamStats], str | None] | None = getattr(
            j.participant, "source_of", None
        )
        for s in j.participant.streams():
            source = source_of(s) if source_of is not None else None
            publisher = f"{j.spec.room}/{source}" if source is not None else None
            found[(key(j.spec), s.ssrc)] = (s.kind or "?", publisher, s.packets, s.bytes)
    return found


def received_by_role(
    roles: dict[str, str], before: Volumes, after: Volumes, seconds: float
) -> dict[str, dict[str, Any]]:
    """Per role, what its participants received between two snapshots: kbit/s (mean, min,
    max; in all, on the wire, of audio, of video and of video by its publisher's role) and
    the streams of each kind that brought packets (min, max). Participants that received
    nothing are left out; ``roles`` gives each participant's (and publisher's) role by key."""
    per: dict[str, dict[str, int]] = {}
    for (participant, ssrc), (kind, source, p1, b1) in after.items():
        _, _, p0, b0 = before.get((participant, ssrc), (kind, source, 0, 0))
        if p1 <= p0:
            continue
        counts = per.setdefault(participant, {})
        names = [f"{kind}_packets", f"{kind}_bytes", f"{kind}_streams"]
        values = [p1 - p0, b1 - b0, 1]
        if kind == "video":
            names.append(f"video_bytes_from_{roles.get(source or '', '?')}")
            values.append(b1 - b0)
        for name, value in zip(names, values, strict=True):
            counts[name] = counts.get(name, 0) + value
    if not seconds:
        return {}

    def kbps(byte_count: float) -> float:
        return round(byte_count * 8 / seconds / 1000, 1)

    found: dict[str, dict[str, Any]] = {}
    for role in sorted({roles.get(p, "?") for p in per}):
        people = [c for p, c in per.items() if roles.get(p, "?") == role]
        count = len(people)
        rtp = [c.get("video_bytes", 0) + c.get("audio_bytes", 0) for c in people]
        wire = [
            b + WIRE_OVERHEAD_BYTES * (c.get("video_packets", 0) + c.get("audio_packets", 0))
            for b, c in zip(rtp, people, strict=True)
        ]
        sources = sorted(
            {
                n.removeprefix("video_bytes_from_")
                for c in people
                for n in c
                if n.startswith("video_bytes_from_")
            }
        )
        found[role] = {
            "participants": count,
            "kbps_mean": kbps(sum(rtp) / count),
            "kbps_min": kbps(min(rtp)),
            "kbps_max": kbps(max(rtp)),
            "wire_kbps_mean": kbps(sum(wire) / count),
            "wire_kbps_max": kbps(max(wire)),
            "video_kbps_mean": kbps(sum(c.get("video_bytes", 0) for c in people) / count),
            "audio_kbps_mean": kbps(sum(c.get("audio_bytes", 0) for c in people) / count),
            "video_kbps_mean_from": {
                source: kbps(sum(c.get(f"video_bytes_from_{source}", 0) for c in people) / count)
                for source in sources
            },
            "video_streams_min": min(c.get("video_streams", 0) for c in people),
            "video_streams_max": max(c.get("video_streams", 0) for c in people),
            "audio_streams_min": min(c.get("audio_streams", 0) for c in people),
            "audio_streams_max": max(c.get("audio_streams", 0) for c in people),
        }
    return found


def pictures_by_role(
    joined: list[_Joined], start: float, end: float
) -> dict[str, dict[str, list[str]]]:
    """Per role, the picture sizes of the complete frames its participants received in
    [``start``, ``end``) by their publisher's role (``"960x540"``, largest first; "unknown"
    before a keyframe told the size), over the videos each should receive
    (``video_streams``): which simulcast layers the pages got."""
    role_of = {j.spec.identity: j.spec.role for j in joined}
    found: dict[str, dict[str, set[tuple[int, int]]]] = {}
    for j in joined:
        source_of: Callable[[StreamStats], str | None] | None = getattr(
            j.participant, "source_of", None
        )
        for stream in video_streams(j.participant):
            if stream.assembly is None:
                continue
            source = source_of(stream) if source_of is not None else None
            seen = found.setdefault(j.spec.role, {}).setdefault(
                role_of.get(source or "", "?"), set()
            )
            seen.update(picture_sizes(stream.assembly.frames, start, end))
    return {
        role: {
            source: [f"{w}x{h}" if w else "unknown" for w, h in sorted(sizes, reverse=True)]
            for source, sizes in sorted(by_source.items())
        }
        for role, by_source in found.items()
    }


def video_streams(participant: Participant) -> list[StreamStats]:
    """The video streams ``participant`` should be receiving: every one it got, or for one
    following a page (``shown_videos()`` a list), the newest stream on each m-line that now
    carries a video its page shows."""
    videos = [s for s in participant.streams() if s.kind == "video"]
    shown: Callable[[], list[str] | None] | None = getattr(participant, "shown_videos", None)
    source_of: Callable[[StreamStats], str | None] | None = getattr(participant, "source_of", None)
    wanted = shown() if shown is not None else None
    if wanted is None or source_of is None:
        return videos
    newest: dict[str | None, StreamStats] = {}
    for stream in videos:
        if source_of(stream) not in wanted:
            continue
        held = newest.get(stream.mid)
        if held is None or (stream.first_packet_at or 0.0) > (held.first_packet_at or 0.0):
            newest[stream.mid] = stream
    return list(newest.values())


def _video_publishers(j: _Joined, wanted: list[JoinSpec]) -> list[str]:
    """Identities whose video ``j`` should receive: its sources', those on its page."""
    names = [s.identity for s in wanted if s.publish and (s.publish.video or s.publish.simulcast)]
    shown: Callable[[], list[str] | None] | None = getattr(j.participant, "shown_videos", None)
    page = shown() if shown is not None else None
    return names if page is None else [n for n in names if n in page]


async def _sent(joined: list[_Joined]) -> int | None:
    """Packets all publishers have sent so far; None if a participant cannot tell."""
    total = 0
    for j in joined:
        if j.spec.publish is None:
            continue
        read = getattr(j.participant, "packets_sent", None)
        if read is None:
            return None
        total += int(await read())
    return total


def _process_of(joined: list[_Joined], usage: Usage) -> dict[str, int]:
    """The server process each participant receives through (participant key → PID)."""
    owner = {port: pid for pid in usage.cpu_by_pid for port in udp_ports(pid)}
    found: dict[str, int] = {}
    for j in joined:
        ports: Callable[[], set[int]] | None = getattr(j.participant, "server_ports", None)
        pids = {owner[p] for p in ports() if p in owner} if ports is not None else set()
        if len(pids) == 1:
            found[key(j.spec)] = pids.pop()
    return found


def process_table(
    usage: Usage, before: Counts, after: Counts, process_of: dict[str, int]
) -> list[dict[str, Any]]:
    """Per server process: its role, CPU, mean RSS, the packets/s received through it, the
    rooms whose subscribers it serves, and its CPU µs per such packet."""
    seconds = usage.seconds
    packets: dict[int, int] = {}
    rooms: dict[int, set[str]] = {}
    for (participant, ssrc), (p1, _, _) in after.items():
        pid = process_of.get(participant)
        if pid is None:
            continue
        packets[pid] = packets.get(pid, 0) + p1 - before.get((participant, ssrc), (0, 0, 0))[0]
        rooms.setdefault(pid, set()).add(participant.rsplit("/", 1)[0])
    table: list[dict[str, Any]] = []
    for pid, cpu in usage.cpu_by_pid.items():
        count = packets.get(pid, 0)
        table.append(
            {
                "pid": pid,
                "role": usage.role_by_pid.get(pid, "?"),
                "cpu_pct": round(cpu / seconds * 100, 2) if seconds else 0.0,
                "rss_mb": round(usage.rss_by_pid.get(pid, 0.0) / MB, 1),
                "pps_out": round(count / seconds, 1) if seconds else 0.0,
                "cpu_us_per_pkt_out": round(cpu * 1e6 / count, 2) if count else None,
                "rooms": sorted(rooms.get(pid, ())),
            }
        )
    return table


def window_traffic(before: Counts, after: Counts) -> tuple[int, int, int]:
    """Packets received, expected and lost between two snapshots (new streams from zero)."""
    packets = expected = lost = 0
    for stream, (p1, e1, l1) in after.items():
        p0, e0, l0 = before.get(stream, (0, 0, 0))
        packets += p1 - p0
        expected += e1 - e0
        lost += l1 - l0
    return packets, expected, max(0, lost)


def pps_by_room(before: Counts, after: Counts, seconds: float) -> dict[str, float]:
    """Packets/s received per room over the window."""
    rooms: dict[str, int] = {}
    for stream, (p1, _, _) in after.items():
        room = stream[0].rsplit("/", 1)[0]
        rooms[room] = rooms.get(room, 0) + p1 - before.get(stream, (0, 0, 0))[0]
    return {room: round(n / seconds, 1) if seconds else 0.0 for room, n in sorted(rooms.items())}


def ttff_samples(
    subscribers: list[tuple[str, Participant, float, list[str]]],
    joined_at: dict[str, float],
) -> list[float]:
    """Seconds to first frame of every video stream each subscriber should receive.

    ``subscribers``: (room, participant, join start, identities of its video publishers);
    ``joined_at``: join start by ``room/identity``. A missing stream is ``math.inf``.
    """
    samples: list[float] = []
    for room, participant, started, publishers in subscribers:
        videos = video_streams(participant)
        source_of: Callable[[StreamStats], str | None] | None = getattr(
            participant, "source_of", None
        )
        if source_of is None:
            # Unattributed streams: only a subscriber that came after all its publishers can
            # be timed from its own join.
            if any(joined_at.get(f"{room}/{p}", math.inf) > started for p in publishers):
                continue
        for stream in videos:
            reference = started
            if source_of is not None:
                source = source_of(stream)
                if source is not None:
                    reference = max(started, joined_at.get(f"{room}/{source}", started))
            end = stream.first_keyframe_end_at
            samples.append(math.inf if end is None else max(0.0, end - reference))
        samples += [math.inf] * max(0, len(publishers) - len(videos))
    return samples


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None or math.isinf(seconds) else seconds * 1000


def window_delays(participants: list[Participant], seconds: float) -> list[float]:
    """One-way delays (ms) of the packets received in the last `seconds` of each stream."""
    found: list[float] = []
    for participant in participants:
        for stream in participant.streams():
            if stream.delays:
                since = stream.delays[-1][0] - seconds
                found += [delay for at, delay in stream.delays if at >= since]
    return found


def _record(
    server: str,
    plan: Plan,
    workers: int | None,
    usage: Usage,
    idle_rss: int,
    before: Counts,
    after: Counts,
    sent_before: int | None,
    sent_after: int | None,
    joined: list[_Joined],
    process_of: dict[str, int] | None = None,
    groups: list[GroupStats] | None = None,
    nodes: int | None = None,
) -> StepRecord:
    wanted = sources(plan)
    joined_at = {key(j.spec): j.started_at for j in joined}
    video_publishers = {key(j.spec): _video_publishers(j, wanted[key(j.spec)]) for j in joined}
    subscribers = [
        (j.spec.room, j.participant, j.started_at, video_publishers[key(j.spec)])
        for j in joined
        if wanted[key(j.spec)]
    ]
    # Impaired links are the weak scenario's measurement, not the server's capacity.
    impaired = {key(j.spec) for j in joined if j.spec.downlink is not None}
    timed = [
        (j.spec.room, j.participant, j.started_at, video_publishers[key(j.spec)])
        for j in joined
        if wanted[key(j.spec)] and key(j.spec) not in impaired
    ]
    samples = ttff_samples(timed, joined_at)
    videos = [video_streams(participant) for _, participant, _, _ in subscribers]
    delays = window_delays([p for _, p, _, _ in subscribers], usage.seconds)
    # Why video is missing: never offered / no packets, or packets but no complete keyframe.
    absent = sum(max(0, len(sub[3]) - len(v)) for sub, v in zip(subscribers, videos, strict=True))
    no_keyframe = sum(1 for v in videos for s in v if s.first_keyframe_end_at is None)
    packets, expected_all, lost_all = window_traffic(before, after)
    _, expected, lost = window_traffic(
        {k: v for k, v in before.items() if k[0] not in impaired},
        {k: v for k, v in after.items() if k[0] not in impaired},
    )
    seconds = usage.seconds
    pps_out = packets / seconds if seconds else 0.0
    pps_in = (
        (sent_after - sent_before) / seconds
        if sent_before is not None and sent_after is not None and seconds
        else None
    )
    cpu_us = usage.server_cpu_seconds * 1e6
    loss_pct = lost / expected * 100 if expected else 0.0
    p95 = _ms(percentile(samples, 95))
    saturated = usage.bots_saturated
    participants = len(plan.joins)
    rss_mb = usage.rss_mean_bytes / MB
    return StepRecord(
        scenario=plan.scenario,
        server=server,
        workers=workers,
        n=plan.n,
        rooms=plan.rooms,
        publishers=sum(1 for j in plan.joins if j.publish is not None),
        subscribers=len(subscribers),
        participants=participants,
        window_s=round(seconds, 3),
        pps_in=_round(pps_in),
        pps_out=round(pps_out, 1),
        cpu_pct=round(usage.cpu_pct, 2),
        cpu_pct_by_process=[
            round(cpu / seconds * 100, 2) if seconds else 0.0 for cpu in usage.cpu_by_pid.values()
        ],
        cpu_us_per_pkt_out=_round(cpu_us / packets if packets else None, 2),
        cpu_us_per_pkt_in=_round(cpu_us / (pps_in * seconds) if pps_in and seconds else None, 2),
        rss_mb=round(rss_mb, 1),
        rss_peak_mb=round(usage.rss_peak_bytes / MB, 1),
        rss_idle_mb=round(idle_rss / MB, 1),
        rss_mb_per_participant=_round((rss_mb - idle_rss / MB) / participants, 3),
        loss_pct=round(loss_pct, 3),
        ttff_ms_p50=_round(_ms(percentile(samples, 50)), 0),
        ttff_ms_p95=_round(p95, 0),
        video_streams_expected=sum(len(s[3]) for s in timed),
        video_streams_missing=sum(1 for s in samples if math.isinf(s)),
        bots_cpu_pct=round(usage.bots_cpu_pct, 1),
        loop_lag_p99_ms=round(usage.loop_lag_p99_s * 1000, 1),
        bots_saturated=saturated,
        verdict=verdict_of(error=None, saturated=saturated, loss_pct=loss_pct, ttff_ms_p95=p95),
        extra={
            "packets_out": packets,
            "expected": expected,
            "lost": lost,
            "loss_pct_all": round(lost_all / expected_all * 100 if expected_all else 0.0, 3),
            "video_streams_absent": absent,
            "delay_ms_p50": _round(percentile(delays, 50), 1),
            "delay_ms_p95": _round(percentile(delays, 95), 1),
            "video_streams_without_keyframe": no_keyframe,
            # With several SFU processes each room lives in one: pairs with cpu_pct_by_process.
            "pps_out_by_room": pps_by_room(before, after, seconds),
            "processes": process_table(usage, before, after, process_of or {}),
            # The bots' own cost (saturation): their CPU µs per packet subscribers received.
            "bots_us_per_pkt_out": _round(
                usage.bots_cpu_seconds * 1e6 / packets if packets else None, 1
            ),
            **({"groups": [asdict(g) for g in groups]} if groups else {}),
        },
        nodes=nodes,
    )


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _error_record(
    server: str, plan: Plan, workers: int | None, exc: Exception, nodes: int | None = None
) -> StepRecord:
    text = f"{type(exc).__name__}: {str(exc) or type(exc).__name__}"
    extra: dict[str, Any] = {"traceback": traceback.format_exception(exc)[-3:]}
    return StepRecord(
        scenario=plan.scenario,
        server=server,
        workers=workers,
        n=plan.n,
        rooms=plan.rooms,
        publishers=sum(1 for j in plan.joins if j.publish is not None),
        subscribers=0,
        participants=len(plan.joins),
        window_s=0.0,
        pps_in=None,
        pps_out=0.0,
        cpu_pct=0.0,
        cpu_pct_by_process=[],
        cpu_us_per_pkt_out=None,
        cpu_us_per_pkt_in=None,
        rss_mb=0.0,
        rss_peak_mb=0.0,
        rss_idle_mb=0.0,
        rss_mb_per_participant=None,
        loss_pct=0.0,
        ttff_ms_p50=None,
        ttff_ms_p95=None,
        video_streams_expected=0,
        video_streams_missing=0,
        bots_cpu_pct=0.0,
        loop_lag_p99_ms=0.0,
        bots_saturated=False,
        verdict="error",
        error=text,
        extra=extra,
        nodes=nodes,
    )
