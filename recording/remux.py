"""Each participant's camera and microphone in one file, for playback right after the lesson.

VP8 goes into WebM; H.264 (which WebM cannot hold) into an MP4 with its index at the front,
beside Opus, which browsers play from MP4 too.

Browsers cannot play a separate audio and video file together. Remuxing (no decoding, no
encoding) takes seconds for a lesson, so the recording is watchable long before the
composed MP4 is. The two tracks are lined up by the publisher's own clock (its RTCP sender
reports), which is what keeps a speaker's lips and voice together; without reports, by
when each track's first frame reached the server.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
import av.stream

from .sidecar import RecordedTrack, read_sidecar, recorded_tracks
from .written_aside import written_aside

PLAYABLE = ("video/vp8", "video/h264", "audio/opus")
"""What a browser plays untranscoded: the tracks remuxed."""
SUFFIXES = (".webm", ".mp4")


def participant_files(directory: Path) -> dict[str, Path]:
    """Each participant's camera and microphone merged into `<participant>.webm` (or `.mp4`)."""
    content = read_sidecar(directory) or {}
    done = {}
    for participant in sorted({str(t.get("participant")) for t in content.get("tracks", [])}):
        path = merge_participant(directory, content, participant)
        if path is not None:
            done[participant] = path
    return done


def participant_tracks(
    directory: Path, content: dict[str, Any], participant: str
) -> list[RecordedTrack]:
    """What goes into `<participant>.webm`: their camera (else their screen) and their
    microphone, those they have."""

    def theirs(kind: str) -> list[RecordedTrack]:
        return [
            t
            for t in recorded_tracks(directory, kind, content)
            if t.participant == participant
            and str(t.entry.get("mime_type", "")).lower() in PLAYABLE
        ]

    videos = sorted(theirs("video"), key=lambda t: t.source != "camera")
    return videos[:1] + theirs("audio")[:1]


def merge_participant(directory: Path, content: dict[str, Any], participant: str) -> Path | None:
    """`<participant>.webm` (`.mp4` for H.264) with their camera (or screen) and microphone;
    None when they left nothing playable. Its time 0 is `origin(participant_tracks(...))`."""
    chosen = participant_tracks(directory, content, participant)
    if not chosen:
        return None
    origin = min(t.start for t in chosen)
    h264 = any(str(t.entry.get("mime_type")).lower() == "video/h264" for t in chosen)
    target = directory / f"{participant}{SUFFIXES[1] if h264 else SUFFIXES[0]}"
    inputs = [av.open(str(t.path)) for t in chosen]
    try:
        with (
            written_aside(target) as temporary,
            av.open(
                str(temporary),
                "w",
                format="mp4" if h264 else "webm",
                options={"movflags": "+faststart"} if h264 else {},
            ) as output,
        ):
            streams = [output.add_stream_from_template(i.streams[0]) for i in inputs]
            for packet, index in heapq.merge(
                *(_timed(i, n, chosen[n].start - origin) for n, i in enumerate(inputs)),
                key=lambda pair: float(pair[0].pts * pair[0].time_base),  # type: ignore[operator]
            ):
                packet.stream = streams[index]
                output.mux(packet)
    finally:
        for container in inputs:
            container.close()
    return target


def playback_file(directory: Path, participant: str) -> Path | None:
    """The participant's remuxed file, if there is one."""
    for suffix in SUFFIXES:
        path = directory / f"{participant}{suffix}"
        if path.is_file():
            return path
    return None


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
