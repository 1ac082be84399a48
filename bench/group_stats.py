"""Per link group, what its participants received over a step's window (the `weak` scenario).

For each group: video frames per second (complete frames, `bench.frame_assembly`; and of
those, the ones whose references were complete too, `bench.references`), freezes
(`bench.smoothness`), frames started per VP8 temporal layer (which layers the server sent),
media bit rate received, loss of video and of audio (what stayed missing after
retransmissions), and what the link itself dropped (the relay's loss and full queue: how far
the server's stream overflowed the link).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .frame_assembly import CompleteFrame
from .link_groups import describe
from .references import references_kept
from .relay import UdpRelay
from .smoothness import Smoothness, smoothness
from .target import JoinSpec, Participant


@dataclass
class Traffic:
    """One participant's counters at one instant (all its streams together, per kind)."""

    bytes: int = 0
    expected: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    layer_frames: list[int] = field(default_factory=lambda: [0, 0, 0])
    link_received: int = 0
    link_dropped: int = 0


def traffic(participant: Participant) -> Traffic:
    found = Traffic()
    for stream in participant.streams():
        kind = stream.kind or "?"
        found.bytes += stream.bytes
        found.expected[kind] = found.expected.get(kind, 0) + stream.expected
        found.lost[kind] = found.lost.get(kind, 0) + stream.lost
        if kind == "video":
            found.layer_frames = [
                a + b for a, b in zip(found.layer_frames, stream.layer_frames, strict=True)
            ]
    relay: UdpRelay | None = getattr(participant, "relay", None)
    if relay is not None:
        found.link_received = relay.down.received
        found.link_dropped = relay.down.dropped_loss + relay.down.dropped_queue
    return found


@dataclass
class GroupStats:
    """One link group over one window; rates are per pupil (means), counts are totals."""

    group: str
    link: str
    pupils: int
    fps: float
    """Complete video frames per second, mean over the group's video streams."""
    fps_min: float
    fps_kept: float
    """Of those, the frames whose references were all complete too (`bench.references`):
    what a decoder could show."""
    freezes: int
    """Freezes of all the group's video streams together."""
    frozen_pct: float
    """Time spent frozen, in percent of the window (mean over the streams)."""
    longest_gap_s: float
    layer_fps: list[float]
    """VP8 frames started per second per temporal layer (0, 1, 2), mean per pupil."""
    kbps: float
    """Media received (RTX excluded), kbit/s per pupil."""
    video_loss_pct: float
    audio_loss_pct: float
    link_drop_pct: float | None
    """Datagrams the link dropped (loss model and full queue) in percent of those that
    reached it; None for direct links."""
    fps_sized: float = 0.0
    """Complete frames per second at ``SIZED`` or larger (the size of the keyframe before
    them), mean over the group's video streams: what a simulcast layer change shows."""
    sizes: list[str] = field(default_factory=list)
    """Picture sizes of the complete frames in the window (``960x540``), largest first."""
    delay_ms_p50: float | None = None
    """One-way delay of the packets received in the window, publisher to receiver (through
    the server's sender reports, ``bench.rtp_stats``): median over the group's streams."""
    delay_ms_p95: float | None = None


SIZED = (320, 180)
"""The picture a 1 Mbit/s pupil should at least see (the simulcast issue's target)."""


def group_stats(
    members: Sequence[tuple[JoinSpec, Participant]],
    before: dict[str, Traffic],
    after: dict[str, Traffic],
    start: float,
    end: float,
) -> list[GroupStats]:
    """Per group (in order of first appearance), from each member's traffic before and after
    the window (by ``room/identity``) and its streams' frame times in [``start``, ``end``)."""
    seconds = end - start
    by_group: dict[str, list[tuple[JoinSpec, Participant]]] = {}
    for spec, participant in members:
        if spec.group is not None:
            by_group.setdefault(spec.group, []).append((spec, participant))
    found: list[GroupStats] = []
    for name, group in by_group.items():
        plays: list[Smoothness] = []
        kept: list[int] = []
        total = Traffic(link_received=0)
        layers = [0, 0, 0]
        has_link = False
        sized: list[int] = []
        sizes: set[tuple[int, int]] = set()
        delays: list[float] = []
        for spec, participant in group:
            delays += [
                ms for s in participant.streams() for at, ms in s.delays if start <= at < end
            ]
            assemblies = [
                s.assembly
                for s in participant.streams()
                if s.kind == "video" and s.assembly is not None
            ]
            for assembly in assemblies:
                plays.append(smoothness(assembly.completed_at, start, end))
                kept.append(_kept_in(assembly.frames, start, end))
                large, seen = _sized_in(assembly.frames, start, end)
                sized.append(large)
                sizes.update(seen)
            if not assemblies:  # nothing arrived: as a stream that never showed a frame
                plays.append(smoothness([], start, end))
                kept.append(0)
                sized.append(0)
            key = f"{spec.room}/{spec.identity}"
            delta = _delta(before.get(key, Traffic()), after.get(key, Traffic()))
            total.bytes += delta.bytes
            for kind in ("video", "audio"):
                total.expected[kind] = total.expected.get(kind, 0) + delta.expected.get(kind, 0)
                total.lost[kind] = total.lost.get(kind, 0) + delta.lost.get(kind, 0)
            layers = [a + b for a, b in zip(layers, delta.layer_frames, strict=True)]
            total.link_received += delta.link_received
            total.link_dropped += delta.link_dropped
            has_link = has_link or spec.downlink is not None
        pupils = len(group)
        per_pupil_s = seconds * pupils if seconds > 0 else 1.0
        found.append(
            GroupStats(
                group=name,
                link=describe(group[0][0].downlink),
                pupils=pupils,
                fps=round(sum(p.fps for p in plays) / len(plays), 2),
                fps_min=round(min(p.fps for p in plays), 2),
                fps_kept=round(sum(kept) / len(kept) / seconds, 2) if seconds > 0 else 0.0,
                freezes=sum(p.freezes for p in plays),
                frozen_pct=round(
                    sum(p.frozen_s for p in plays) / (seconds * len(plays)) * 100
                    if seconds > 0
                    else 0.0,
                    1,
                ),
                longest_gap_s=round(max(p.longest_gap_s for p in plays), 3),
                layer_fps=[round(n / per_pupil_s, 2) for n in layers],
                kbps=round(total.bytes * 8 / per_pupil_s / 1000, 1),
                video_loss_pct=_pct(total.lost.get("video", 0), total.expected.get("video", 0)),
                audio_loss_pct=_pct(total.lost.get("audio", 0), total.expected.get("audio", 0)),
                link_drop_pct=_pct(total.link_dropped, total.link_received) if has_link else None,
                fps_sized=round(sum(sized) / len(sized) / seconds, 2) if seconds > 0 else 0.0,
                sizes=[f"{w}x{h}" if w else "unknown" for w, h in sorted(sizes, reverse=True)],
                delay_ms_p50=_percentile(delays, 50),
                delay_ms_p95=_percentile(delays, 95),
            )
        )
    return found


def _kept_in(frames: Sequence[CompleteFrame], start: float, end: float) -> int:
    """Complete frames in [``start``, ``end``) whose references were complete too."""
    kept = references_kept([f.head for f in frames])
    return sum(1 for f, ok in zip(frames, kept, strict=True) if ok and start <= f.at < end)


def _sized_in(
    frames: Sequence[CompleteFrame], start: float, end: float
) -> tuple[int, set[tuple[int, int]]]:
    """Complete frames in [start, end) at ``SIZED`` or larger, and the sizes of those frames
    (each frame has the size of the latest keyframe completed before it; none known: 0x0)."""
    size = (0, 0)
    large = 0
    seen: set[tuple[int, int]] = set()
    for frame in frames:
        head = frame.head
        if head.keyframe and head.width:
            size = (head.width, head.height)
        if start <= frame.at < end:
            seen.add(size)
            if size[0] >= SIZED[0] and size[1] >= SIZED[1]:
                large += 1
    return large, seen


def picture_sizes(
    frames: Sequence[CompleteFrame], start: float, end: float
) -> set[tuple[int, int]]:
    """The sizes of the complete frames in [start, end) (``_sized_in``; 0x0: not known)."""
    return _sized_in(frames, start, end)[1]


def _delta(before: Traffic, after: Traffic) -> Traffic:
    return Traffic(
        bytes=after.bytes - before.bytes,
        expected={k: v - before.expected.get(k, 0) for k, v in after.expected.items()},
        lost={k: max(0, v - before.lost.get(k, 0)) for k, v in after.lost.items()},
        layer_frames=[a - b for a, b in zip(after.layer_frames, before.layer_frames, strict=True)],
        link_received=after.link_received - before.link_received,
        link_dropped=after.link_dropped - before.link_dropped,
    )


def _percentile(values: list[float], pct: float) -> float | None:
    """Nearest rank (as ``bench.loadgen.percentile``), rounded to 0.1; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)], 1)


def _pct(part: int, whole: int) -> float:
    return round(part / whole * 100, 2) if whole > 0 else 0.0
