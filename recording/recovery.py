"""After a crash: every ".part" track file left behind remuxed into a finished, playable one.

A ".part" cut off by a crash has every cluster written before it, but no index, no duration
and possibly half a cluster at its end. Its packets are read up to the first one that cannot
be, and written again, untranscoded, to a file with its header and index complete.

A ".part" with not one readable packet is renamed ".broken" rather than deleted: nothing
is lost to this code's mistakes, and the file is there to look at.

This is blocking work for when no recorder writes to the directory: at startup, before the
event loop, or in an executor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import av.stream

from .sidecar import FORMAT, read_sidecar, write_sidecar
from .track_file import PART_SUFFIX

logger = logging.getLogger(__name__)

BROKEN_SUFFIX = ".broken"
_TEMPORARY_SUFFIX = ".recovering"
_FORMAT_BY_SUFFIX = {".webm": "webm", ".mkv": "matroska"}


@dataclass(frozen=True)
class RecoveredFile:
    """What became of one ".part" file."""

    path: Path
    """The playable file, or the ".broken" one."""
    packets: int
    duration: float
    """Seconds of media recovered (0 when broken)."""

    @property
    def broken(self) -> bool:
        return self.packets == 0


def recover_recordings(
    root: str | os.PathLike[str], ours: Callable[[Path], bool] | None = None
) -> list[Path]:
    """After a crash: every recording under `root` (`<room>/<recording>/`) left unfinished
    made whole (of those `ours` accepts: on storage shared by a district's nodes, not one
    that another live node is writing). The directories done."""
    done = []
    for directory in unfinished(root):
        if ours is None or ours(directory):
            recover_recording(directory)
            done.append(directory)
    return done


def unfinished(root: str | os.PathLike[str]) -> list[Path]:
    """The recordings under `root` with ".part" files, or a sidecar never told it stopped:
    being written, or cut off by a crash."""
    found = []
    for directory in sorted(Path(root).glob("*/*/")):
        content = read_sidecar(directory)
        parts = list(directory.glob("*" + PART_SUFFIX))
        if parts or (content is not None and content.get("stopped") is None):
            found.append(directory)
    return found


def writer(directory: Path) -> str | None:
    """The district node that wrote the recording (its sidecar's `session.node`); None when
    a server alone wrote it."""
    content = read_sidecar(directory) or {}
    session = content.get("session")
    node = session.get("node") if isinstance(session, dict) else None
    return str(node) if node else None


def recover_recording(directory: Path) -> dict[str, object]:
    """One recording's files recovered, and its sidecar told what they now hold.

    A track the sidecar never heard of (the crash came between its file's first cluster
    and the sidecar's next write) is described from its file name, `<participant>-<source>-
    <track>`. The recording is taken to have stopped when its longest track ends."""
    content = read_sidecar(directory) or {
        "format": FORMAT,
        "room": directory.parent.name,
        "session": {},
        "started": None,
        "stopped": None,
        "tracks": [],
    }
    tracks = {t["file"]: t for t in content["tracks"] if isinstance(t, dict) and "file" in t}
    for result in recover_directory(directory):
        name = result.path.name.removesuffix(BROKEN_SUFFIX)
        track = tracks.get(name)
        if track is None:
            track = tracks[name] = _track_from_name(name)
            content["tracks"].append(track)
        if result.broken:
            track["file"] = result.path.name
        track.update(frames=result.packets, duration=result.duration, recovered=True)
    ends = [
        t["first_arrival"] + t["duration"]
        for t in tracks.values()
        if t.get("first_arrival") is not None and t.get("duration")
    ]
    if content.get("stopped") is None:
        content["stopped"] = max(ends) if ends else content.get("started")
    content["recovered"] = True
    write_sidecar(directory, content)
    return content


def _track_from_name(name: str) -> dict[str, object]:
    participant, _, rest = name.partition("-")
    source, _, rest = rest.partition("-")
    return {
        "id": rest.split(".")[0],
        "participant": participant,
        "kind": "audio" if source == "microphone" else "video",
        "source": source,
        "file": name,
        "first_arrival": None,
        "sender_clock": None,
    }


def recover_directory(directory: str | os.PathLike[str]) -> list[RecoveredFile]:
    """Recover every ".part" file in `directory` (not its subdirectories), by name."""
    return [recover(part) for part in sorted(Path(directory).glob("*" + PART_SUFFIX))]


def recover(part: str | os.PathLike[str]) -> RecoveredFile:
    """Turn one ".part" file into the file it was to become (its name less ".part").

    Failing to write the new file (a full disk, say) raises, and leaves the ".part" as it
    was for another try."""
    part = Path(part)
    if part.suffix != PART_SUFFIX:
        raise ValueError(f"{part} is not a {PART_SUFFIX} file")
    final = part.with_suffix("")
    broken = final.with_name(final.name + BROKEN_SUFFIX)
    try:
        reader = av.open(str(part))
    except av.FFmpegError as exc:  # not even a whole header
        logger.warning("%s has nothing readable: %s", part, exc)
        os.replace(part, broken)
        return RecoveredFile(broken, 0, 0.0)
    # Written aside and renamed: a crash during recovery leaves the ".part" to start again.
    temporary = final.with_name(final.name + _TEMPORARY_SUFFIX)
    try:
        with reader:
            format_name = _FORMAT_BY_SUFFIX.get(final.suffix, "matroska")
            packets, duration = _remux(reader, temporary, format_name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if packets == 0:
        temporary.unlink(missing_ok=True)
        logger.warning("%s has no readable packet", part)
        os.replace(part, broken)
        return RecoveredFile(broken, 0, 0.0)
    os.replace(temporary, final)
    part.unlink()
    logger.info("recovered %s: %d packets, %.1f s", final, packets, duration)
    return RecoveredFile(final, packets, duration)


def _remux(
    reader: av.container.InputContainer, target: Path, format_name: str
) -> tuple[int, float]:
    """Copy every readable packet to a new file `target`; (packets, seconds)."""
    inputs = [s for s in reader.streams if s.type in ("audio", "video")]
    if not inputs:
        return 0, 0.0
    with av.open(str(target), "w", format=format_name) as writer:
        outputs = {s.index: writer.add_stream_from_template(s) for s in inputs}
        copier = _Copier(writer, outputs)
        packets = reader.demux(inputs)
        while True:
            # Only reading may fail quietly (the end cut short): a write that fails raises.
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as exc:
                logger.debug("%s readable up to packet %d: %s", reader.name, copier.packets, exc)
                break
            copier.copy(packet)
        copier.finish()
    return copier.packets, copier.duration


class _Copier:
    """Packets to the new file, each stream's held until the next tells its duration.

    Matroska stores no duration for most blocks; without one, the last frame before the
    crash would count for nothing in the new file's duration.
    """

    def __init__(
        self, writer: av.container.OutputContainer, outputs: dict[int, av.stream.Stream]
    ) -> None:
        self._writer = writer
        self._outputs = outputs
        self._held: dict[int, av.Packet] = {}
        self._last_duration: dict[int, int] = {}
        self._start: float | None = None
        self._end = 0.0
        self.packets = 0

    @property
    def duration(self) -> float:
        return 0.0 if self._start is None else self._end - self._start

    def copy(self, packet: av.Packet) -> None:
        if packet.size == 0:
            return  # the demuxer's end-of-stream marker
        if packet.pts is None:
            packet.pts = packet.dts
        if packet.pts is None:
            return  # no time to put it at
        # Matroska stores presentation times only. Cut short, the file may not let the
        # demuxer see enough to know there are no B-frames, and it leaves dts unset; the
        # real-time encoders recorded here send none.
        packet.dts = packet.pts
        index = packet.stream_index
        held = self._held.get(index)
        if held is not None:
            assert held.pts is not None
            if not held.duration and packet.pts > held.pts:
                held.duration = packet.pts - held.pts
            self._mux(index, held)
        self._held[index] = packet

    def finish(self) -> None:
        for index, held in self._held.items():
            if not held.duration:
                held.duration = self._last_duration.get(index, 0)
            self._mux(index, held)
        self._held = {}

    def _mux(self, index: int, packet: av.Packet) -> None:
        assert packet.pts is not None
        time_base = packet.time_base
        start = float(packet.pts * time_base)
        end = start + float((packet.duration or 0) * time_base)
        self._start = start if self._start is None else min(self._start, start)
        self._end = max(self._end, end)
        self._last_duration[index] = packet.duration or 0
        packet.stream = self._outputs[index]
        self._writer.mux(packet)
        self.packets += 1
