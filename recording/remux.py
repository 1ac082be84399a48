"""Each participant's camera and microphone in one WebM, for playback right after the lesson.

Browsers cannot play a separate audio and video file together. Remuxing (no decoding, no
encoding) takes seconds for a lesson, so the recording is watchable long before the
composed MP4 is. The two tracks are lined up by the publisher's own clock (its RTCP sender
reports), which is what keeps a speaker's lips and voice together; without reports, by
when each track's first frame reached the server.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.stream

from .sidecar import read_sidecar

PLAYABLE = ("video/vp8", "audio/opus")
"""What a browser plays from WebM: the tracks remuxed. (H.264 waits for the composer.)"""


def media_start(track: dict[str, Any]) -> float | None:
    """When the track's first frame was captured, in Unix seconds on the publisher's clock
    (from its sender report), or when it reached the server (without one)."""
    first = track.get("first_timestamp")
    clock = track.get("sender_clock")
    rate = track.get("clock_rate")
    if first is not None and clock and rate:
        ticks = (clock["rtp_timestamp"] - first) & 0xFFFFFFFF
        if ticks >= 0x8000_0000:
            ticks -= 0x1_0000_0000  # the report came before the first frame
        return float(clock["wall"]) - ticks / rate
    arrival = track.get("first_arrival")
    return None if arrival is None else float(arrival)


def participant_files(directory: Path) -> dict[str, Path]:
    """Each participant's camera and microphone merged into `<participant>.webm`."""
    content = read_sidecar(directory) or {}
    done = {}
    for participant in sorted({str(t.get("participant")) for t in content.get("tracks", [])}):
        path = merge_participant(directory, content, participant)
        if path is not None:
            done[participant] = path
    return done


def merge_participant(directory: Path, content: dict[str, Any], participant: str) -> Path | None:
    """`<participant>.webm` with their camera (or screen) and microphone; None when they
    left nothing playable."""
    tracks = [
        t
        for t in content.get("tracks", [])
        if t.get("participant") == participant
        and str(t.get("mime_type", "")).lower() in PLAYABLE
        and t.get("frames")
        and (directory / str(t.get("file"))).is_file()
        and media_start(t) is not None
    ]
    videos = sorted(
        (t for t in tracks if t["kind"] == "video"), key=lambda t: t.get("source") != "camera"
    )
    audios = [t for t in tracks if t["kind"] == "audio"]
    chosen = videos[:1] + audios[:1]
    if not chosen:
        return None
    starts = [media_start(t) for t in chosen]
    origin = min(s for s in starts if s is not None)
    target = directory / f"{participant}.webm"
    temporary = target.with_name(target.name + ".tmp")
    inputs = [av.open(str(directory / t["file"])) for t in chosen]
    try:
        with av.open(str(temporary), "w", format="webm") as output:
            streams = [output.add_stream_from_template(i.streams[0]) for i in inputs]
            offsets = [(s or origin) - origin for s in starts]
            for packet, index in heapq.merge(
                *(_timed(i, n, offsets[n]) for n, i in enumerate(inputs)),
                key=lambda pair: float(pair[0].pts * pair[0].time_base),  # type: ignore[operator]
            ):
                packet.stream = streams[index]
                output.mux(packet)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        for container in inputs:
            container.close()
    os.replace(temporary, target)
    return target


def _timed(
    container: av.container.InputContainer, index: int, offset: float
) -> Iterator[tuple[av.Packet, int]]:
    """The container's packets, moved `offset` seconds later on the common timeline."""
    stream = container.streams[0]
    time_base = stream.time_base or Fraction(1, 1000)
    shift = round(offset / time_base)
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue
        packet.pts += shift
        packet.dts = packet.pts
        yield packet, index
