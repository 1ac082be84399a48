"""The bench suite: `python -m bench [--quick] [--scenarios …] [--servers …] [--steps …]`.

Runs each scenario's ramp against each server in turn (ours, then a district of our nodes if
asked, then Janus, then aiortc's decoding relay for the lesson), servers pinned to CPU 0 and
the bots to CPU 1 on a machine with two cores or more, and writes
bench/results/<timestamp>.json, .md and .png files.
``--loop uvloop`` runs the bots on uvloop (the server's loop): in a class of 20 the bots spent
19-20 µs of CPU per received packet on it against 23 µs on asyncio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import uvloop

from .district_target import DistrictTarget
from .loadgen import Timing, run_ramp
from .ours_target import OursTarget, can_pin
from .progress import Progress
from .relay_target import RelayTarget
from .report import RESULTS, StepRecord, write_run
from .scenarios import (
    CLASS_WARMUP,
    DEFAULT_STEPS,
    LAYERED_SCENARIOS,
    QUICK_STEPS,
    RELAY_QUICK_STEPS,
    RELAY_STEPS,
    SCENARIOS,
    WEAK_FEEDBACK,
    WEAK_WARMUP,
    Media,
)
from .subscription import FEEDBACK_MODES, Feedback
from .target import Target

SERVERS = ("ours", "district", "janus", "relay")
DEFAULT_SERVERS = ("ours", "janus", "relay")
"""What runs unless ``--servers`` says: a district (several nodes and a Redis) only when asked."""
DEFAULT_NODES = [1, 2, 3]
"""A district's node counts (``--nodes``)."""
FEEDBACK_NOTES: dict[str, str] = {
    "cheap": "counted from headers, with the RRs, NACKs and PLIs a browser sends (generated "
    "by the bench)",
    "aiortc": "through aiortc's receiver (its NACKs, RRs, REMB) with the bench's PLIs",
    "none": "count only (PLI when no keyframe, no NACK or RR)",
}
SERVER_CPU = 0
BOTS_CPU = 1
LOOPS = ("asyncio", "uvloop")
"""The bots' event loop (``--loop``)."""


def parse_steps(values: list[str], scenarios: list[str]) -> dict[str, list[int]]:
    """``--steps 2,4,8`` (every scenario) or ``--steps lesson:2,4`` (one), repeatable."""
    chosen: dict[str, list[int]] = {}
    for value in values:
        name, _, numbers = value.rpartition(":")
        steps = sorted({int(n) for n in numbers.split(",") if n.strip()})
        if not steps or min(steps) < 1:
            raise SystemExit(f"--steps {value}: give positive sizes, e.g. 2,4,8")
        for scenario in [name] if name else scenarios:
            if scenario not in SCENARIOS:
                raise SystemExit(f"--steps {value}: unknown scenario {scenario}")
            chosen[scenario] = steps
    return chosen


def janus_factory(cpu: int | None, feedback: Feedback = "cheap") -> Callable[[], Target] | str:
    """A maker of JanusTarget, or why Janus is skipped."""
    try:
        module = importlib.import_module("bench.janus.target")
    except ImportError as exc:
        return f"bench.janus.target is not available yet ({exc})"
    if shutil.which("janus") is None:
        return "the janus executable is not installed (`make janus`)"
    janus_class: Any = module.JanusTarget
    parameters = inspect.signature(janus_class).parameters
    options: dict[str, Any] = {}
    if "cpu" in parameters:
        options["cpu"] = cpu
    if "feedback" in parameters:
        options["feedback"] = feedback

    def make() -> Target:
        target: Target = janus_class(**options)
        return target

    return make


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "aiortc": version("aiortc"),
        "commit": commit,
    }


async def main(args: argparse.Namespace) -> int:
    scenarios = [s for s in args.scenarios.split(",") if s]
    servers = [s for s in args.servers.split(",") if s]
    for name in scenarios:
        if name not in SCENARIOS:
            raise SystemExit(f"unknown scenario {name}; choose from {', '.join(SCENARIOS)}")
    for name in servers:
        if name not in SERVERS:
            raise SystemExit(f"unknown server {name}; choose from {', '.join(SERVERS)}")
    steps = {**(QUICK_STEPS if args.quick else DEFAULT_STEPS), **parse_steps(args.steps, scenarios)}
    relay_steps = RELAY_QUICK_STEPS if args.quick else RELAY_STEPS
    if args.relay_steps:
        relay_steps = {"lesson": parse_steps([args.relay_steps], ["lesson"])["lesson"]}
    timing = Timing(
        warmup=args.warmup if args.warmup is not None else (2.0 if args.quick else 4.0),
        window=args.window if args.window is not None else (3.0 if args.quick else 10.0),
        join_concurrency=args.join_concurrency,
    )
    chosen_workers = [int(w) for w in args.workers.split(",")] if args.workers else None
    node_counts = parse_nodes(args.nodes)
    cores = os.cpu_count() or 1

    feedback: Feedback = "none" if args.no_feedback else args.feedback
    pinned = can_pin()
    server_cpu = SERVER_CPU if pinned else None
    bots_cpu = bots_core(cores)
    if pinned:
        os.sched_setaffinity(0, {bots_cpu})  # the servers get their cores through taskset
    makers: dict[str, list[tuple[int | None, Callable[[], Target]]]] = {}
    if "janus" in servers:
        janus = janus_factory(server_cpu, feedback)
        if isinstance(janus, str):
            print(f"janus: skipped: {janus}", file=sys.stderr, flush=True)
        else:
            makers["janus"] = [(None, janus)]
    if "relay" in servers:
        makers["relay"] = [(None, lambda: RelayTarget(cpu=server_cpu))]

    runs: list[tuple[str, str, int | None, Callable[[], Target], list[int]]] = []
    for scenario in scenarios:
        if "ours" in servers:
            makers["ours"] = [
                (w, _ours_maker(server_cores(w, cores) if pinned else None, w, feedback))
                for w in workers_for(scenario, chosen_workers, cores)
            ]
        if "district" in servers:
            makers["district"] = [
                (None, _district_maker(n, server_cores(n, cores) if pinned else None, feedback))
                for n in node_counts
            ]
        for server, variants in sorted(makers.items(), key=lambda kv: SERVERS.index(kv[0])):
            sizes = relay_steps.get(scenario) if server == "relay" else steps[scenario]
            if not sizes:
                continue  # the relay only runs the lesson
            runs += [(scenario, server, w, make, sizes) for w, make in variants]
    if not runs:
        print("nothing to run", file=sys.stderr)
        return 2

    print("loading media (first use encodes the clips)…", file=sys.stderr, flush=True)
    layered = any(r[0] in LAYERED_SCENARIOS for r in runs)
    media = await asyncio.to_thread(lambda: Media.load(layered=layered))
    progress = Progress(sum(len(r[4]) for r in runs))
    records: list[StepRecord] = []
    interrupted = False
    try:
        for scenario, _server, workers, make, sizes in runs:
            plans = [SCENARIOS[scenario](n, media) for n in sizes]
            if args.every_step:
                plans = [replace(plan, every_step=True) for plan in plans]
            await run_ramp(make, plans, timing, workers=workers, progress=progress, into=records)
    except asyncio.CancelledError:  # Ctrl-C: the step in flight has cleaned up after itself
        interrupted = True
        progress.note("interrupted: writing the steps measured so far")
    if not records:
        return 130 if interrupted else 1

    description = (
        f"{'Quick smoke' if args.quick else 'Full suite'} on {os.cpu_count()} cores; "
        + (
            f"servers pinned to CPU {SERVER_CPU} (ours with n SFU processes, or a district "
            f"of n nodes and its Redis, on a machine of 4 cores or more: CPUs 0 to n-1), bots "
            f"to CPU {bots_cpu}"
            if pinned
            else "nothing pinned (fewer than 2 cores or no taskset)"
        )
        + f"; per step {timing.warmup:g} s warm-up"
        + "".join(
            f" ({floor:g} s at least in {name})"
            for name, floor in (("weak", WEAK_WARMUP), ("class", CLASS_WARMUP))
            if any(s.startswith(name) for s in scenarios) and floor > timing.warmup
        )
        + f", {timing.window:g} s measured; "
        + f"subscribers: {FEEDBACK_NOTES[feedback]}"
        + f"; the bots' event loop: {args.loop}"
        + (
            f" (weak's pupils: {FEEDBACK_NOTES[WEAK_FEEDBACK]})"
            if any(s.startswith("weak") for s in scenarios)
            else ""
        )
        + "."
    )
    meta = {
        "argv": sys.argv[1:],
        "quick": args.quick,
        "interrupted": interrupted,
        "description": description,
        "machine": machine(),
        "timing": vars(timing),
        "pinned": pinned,
        "loop": args.loop,
    }
    json_path, md_path = write_run(records, meta, Path(args.out))
    print(md_path.read_text())
    print(f"results: {json_path} and {md_path}", file=sys.stderr)
    return 130 if interrupted else 0


def workers_for(scenario: str, chosen: list[int] | None, cores: int) -> list[int | None]:
    """Our server's SFU process counts to run ``scenario`` with: those asked for; else, for
    ``rooms``, 1 and 2 (per-process cost with the rooms split or not) or, on 4 cores or more,
    1 to cores - 1 (the scaling curve); else the server's default."""
    if chosen:
        return list(chosen)
    if scenario == "rooms":
        return list(range(1, cores)) if cores >= 4 else [1, 2]
    return [None]


def parse_nodes(value: str) -> list[int]:
    """``--nodes 1,2,3``: a district's node counts, one run of it each."""
    counts = sorted({int(n) for n in value.split(",") if n.strip()})
    if not counts or min(counts) < 1:
        raise SystemExit(f"--nodes {value}: give node counts of 1 or more, e.g. 1,2,3")
    return counts


def bots_core(cores: int) -> int:
    """The bots' core: the last one on 4 cores or more (the SFU processes get the others)."""
    return cores - 1 if cores >= 4 else BOTS_CPU


def server_cores(workers: int | None, cores: int) -> int | str:
    """Where our server runs: CPU 0, or CPUs 0 to n-1 for n SFU processes on a machine of 4
    cores or more (one core each; the bots keep the last)."""
    if workers is None or workers < 2 or cores < 4:
        return SERVER_CPU
    return f"{SERVER_CPU}-{min(workers, cores - 1) - 1}"


def _ours_maker(
    cpu: int | str | None, workers: int | None, feedback: Feedback
) -> Callable[[], Target]:
    return lambda: OursTarget(cpu=cpu, workers=workers, feedback=feedback)


def _district_maker(nodes: int, cpu: int | str | None, feedback: Feedback) -> Callable[[], Target]:
    return lambda: DistrictTarget(nodes, cpu, feedback=feedback)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N, short windows (≤ 3 min)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"servers to run, of {', '.join(SERVERS)} (default {','.join(DEFAULT_SERVERS)}); "
        "district: our server as n nodes of a district with their own redis-server, joined "
        "through every node in turn (--nodes)",
    )
    parser.add_argument(
        "--steps",
        action="append",
        default=[],
        help="sizes to ramp through: 2,4,8 for every scenario or lesson:2,4 for one (repeat)",
    )
    parser.add_argument("--relay-steps", help="lesson sizes for the decoding relay (1,2,3)")
    parser.add_argument("--warmup", type=float, help="seconds after the last join (2 / 4)")
    parser.add_argument("--window", type=float, help="seconds measured per step (3 / 10)")
    parser.add_argument(
        "--join-concurrency", type=int, default=4, help="participants joining at once (4)"
    )
    parser.add_argument(
        "--workers",
        help="our server's SFU process counts to compare, e.g. 1,2 (SFU_WORKERS), for every "
        "scenario; default: rooms with 1 and 2 (1 to cores-1 on 4 cores or more), the others "
        "with the server's default",
    )
    parser.add_argument(
        "--every-step",
        action="store_true",
        help="run every step of a ramp even after one did not hold (to compare servers at "
        "the same sizes on a busy machine)",
    )
    parser.add_argument(
        "--nodes",
        default=",".join(str(n) for n in DEFAULT_NODES),
        help="the district's node counts to compare, e.g. 1,2,3 (default), a run of every "
        "scenario each; on 2 cores all the nodes share the servers' core",
    )
    parser.add_argument(
        "--feedback",
        choices=FEEDBACK_MODES,
        default="cheap",
        help="how subscribers receive, for every server: cheap (default: counted from headers, "
        "RR/NACK/PLI generated by the bench), aiortc (aiortc's receiver: ~4x the bot CPU per "
        "packet), none (count only)",
    )
    parser.add_argument("--no-feedback", action="store_true", help="same as --feedback none")
    parser.add_argument(
        "--loop",
        choices=LOOPS,
        default="asyncio",
        help="the bots' event loop: asyncio (default) or uvloop (~15 %% less bot CPU per "
        "received packet in a class of 20; a class of 30 receives ~50k packets/s)",
    )
    parser.add_argument("--out", default=str(RESULTS), help="results folder")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """``main`` on the event loop ``args.loop`` names."""
    if args.loop == "uvloop":
        return uvloop.run(main(args))
    return asyncio.run(main(args))


if __name__ == "__main__":
    try:
        sys.exit(run(parse_args()))
    except KeyboardInterrupt:
        sys.exit(130)
