"""How fast a recorded lesson is composed into its MP4, in times real time on one core.

A synthetic recording is written the way the recorder writes one: the teacher's camera and
three pupils' (the bench's moving pattern, VP8, 640x360 as the lesson page sends, or a 720p
teacher), and four microphones (its beeping tone, Opus), each a file with its sidecar
entry. `recording.compose` then runs
in a child process pinned to one core, and the report gives its wall and CPU time against
the lesson's length.

    python -m bench.compose_speed [--seconds 60] [--pupils 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import av

from recording.depacketize import Frame
from recording.sidecar import write_sidecar
from recording.track_file import TrackFile

from .media import EncodedFrame, default_video_spec, load_audio, load_video_spec

ROOT = Path(__file__).resolve().parent.parent
WALL = 1_795_000_000.0


def write_track(
    directory: Path, name: str, clip: list[EncodedFrame], seconds: float, start: float
) -> dict[str, object]:
    """`clip` looped for `seconds` into `<name>.webm`, and its sidecar entry."""
    participant, source = name.split("-")
    audio = source == "microphone"
    mime, rate = ("audio/opus", 48000) if audio else ("video/VP8", 90000)
    period = clip[-1].pts + clip[-1].duration
    writer = TrackFile(directory / f"{name}.webm", mime, channels=1)
    count = 0
    loop = 0
    while True:
        for frame in clip:
            timestamp = loop * period + frame.pts
            if timestamp >= seconds * rate:
                break
            writer.write(Frame(frame.data, timestamp, frame.keyframe))
            count += 1
            if count % 200 == 0:
                time.sleep(0.01)  # the writer's queue is bounded: let it drain
        else:
            loop += 1
            continue
        break
    writer.close()
    return {
        "participant": participant,
        "kind": "audio" if audio else "video",
        "source": source,
        "mime_type": mime,
        "clock_rate": rate,
        "file": f"{name}.webm",
        "frames": writer.join(60).frames,
        "duration": seconds,
        "first_timestamp": 0,
        "sender_clock": {"wall": start, "rtp_timestamp": 0},
        "first_arrival": start,
    }


def lesson(
    directory: Path, seconds: float, pupils: int, still: bool, teacher_size: tuple[int, int]
) -> None:
    """The teacher's camera at `teacher_size` and `pupils` 360p ones, everyone with a
    microphone."""
    teacher = load_video_spec(replace(default_video_spec(*teacher_size), still=still))
    pupil = load_video_spec(replace(default_video_spec(640, 360), still=still))
    voice = load_audio()
    tracks = [
        write_track(directory, "teacher-camera", teacher, seconds, WALL),
        write_track(directory, "teacher-microphone", voice, seconds, WALL),
    ]
    for n in range(pupils):
        start = WALL + 0.5 * (n + 1)  # they join a moment after the teacher
        tracks.append(write_track(directory, f"pupil{n}-camera", pupil, seconds - 1, start))
        tracks.append(write_track(directory, f"pupil{n}-microphone", voice, seconds - 1, start))
    write_sidecar(directory, {"session": "bench", "tracks": tracks})
    present = {"type": "present", "at": WALL, "participants": [{"id": "teacher", "host": True}]}
    (directory / "timeline.jsonl").write_text(json.dumps(present) + "\n")


def compose_pinned(directory: Path, core: int) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m recording.compose` on core `core` alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        ["taskset", "-c", str(core), sys.executable, "-m", "recording.compose", str(directory)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pupils", type=int, default=3)
    parser.add_argument("--core", type=int, default=(os.cpu_count() or 1) - 1)
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    lines = [
        f"# Composition speed, {stamp} UTC",
        "",
        f"A lesson: the teacher and {args.pupils} pupils (VP8 at 30 fps, the bench's rates), "
        f"{args.pupils + 1} microphones (Opus), composed to 1280x720 25 fps H.264 + AAC by "
        f"`python -m recording.compose` pinned to one core (core {args.core}).",
        "",
        "| cameras | they show | lesson | wall | CPU | × real time (wall) | × per CPU second |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    cases = (
        ((640, 360), True, "all 640x360 (as the lesson page sends)", "a still room, a moving box"),
        ((1280, 720), True, "a 720p teacher, 640x360 pupils", "a still room, a moving box"),
        ((1280, 720), False, "a 720p teacher, 640x360 pupils", "scrolling noise"),
    )
    for teacher_size, still, cameras, label in cases:
        with tempfile.TemporaryDirectory(prefix="compose-bench-") as folder:
            directory = Path(folder)
            lesson(directory, args.seconds, args.pupils, still, teacher_size)
            wall, cpu = compose_pinned(directory, args.core)
            with av.open(str(directory / "composed.mp4")) as container:
                length = float(container.duration or 0) / av.time_base
        lines.append(
            f"| {cameras} | {label} | {length:.0f} s | {wall:.1f} s | {cpu:.1f} s "
            f"| {length / wall:.2f} | {length / cpu:.2f} |"
        )
    lines += [
        "",
        "Scrolling noise is the worst case: every pixel moves every frame. A camera in a",
        "classroom is closer to the still room.",
        "",
    ]
    report = ROOT / "docs" / "bench" / f"{stamp}-compose.md"
    report.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"written to {report.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
