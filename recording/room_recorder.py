"""A room's recording: a file per track in one directory, and a sidecar that explains them."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sfu.sink import RtpSink
from sfu.tap import TapTrack

from .sidecar import FORMAT, write_sidecar
from .track_file import suffix_for
from .track_recorder import TrackRecorder


class RoomRecorder:
    """What the SFU's tap of a room delivers into (`sfu.tap.RoomTap`), for the composer.

    Each track goes to its own file, named after its participant, source and track id, and
    written as it arrives (`TrackRecorder`). The sidecar, `recording.json`, says whose each
    file is and where it sits on the server's clock. It is rewritten whenever a track
    starts or ends, so a crash leaves it describing every file there is: the files
    themselves are then repaired by `recording.recovery`.

    Everything that touches the disk runs on threads: this object's methods are called on
    the SFU's event loop, which must never wait for a disk.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        room: str,
        session: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.room = room
        self.session = dict(session or {})
        self._clock = clock
        self.started = clock()
        self.stopped: float | None = None
        self._tracks: dict[str, _Track] = {}
        self._closing: set[asyncio.Future[Any]] = set()
        # One thread, so sidecar writes land in the order they were made.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"sidecar {room}")
        self._loop = asyncio.get_running_loop()
        self._save()

    @classmethod
    def open(cls, room: str, options: dict[str, Any]) -> RoomRecorder:
        """The `sfu.control.RecorderFactory`: `options` are `directory` and `session`."""
        return cls(Path(options["directory"]), room, options.get("session"))

    def open_track(self, track: TapTrack) -> RtpSink:
        name = f"{track.peer}-{track.source}-{track.id}{suffix_for(track.mime_type)}"
        recorder = TrackRecorder(
            self.directory / name,
            track.mime_type,
            track.payload_type,
            channels=track.channels or 2,
            on_placed=self._save,
        )
        self._tracks[track.id] = _Track(track, recorder, self._clock())
        self._save()
        return recorder

    def close_track(self, track_id: str) -> None:
        entry = self._tracks.get(track_id)
        if entry is None or entry.closed_at is not None:
            return
        entry.closed_at = self._clock()
        future = asyncio.ensure_future(self._finish(entry))
        self._closing.add(future)
        future.add_done_callback(self._closing.discard)

    async def _finish(self, entry: _Track) -> None:
        result = await entry.recorder.close()
        entry.frames = result.frames
        entry.duration = result.duration
        self._save()

    async def close(self) -> dict[str, Any]:
        """Finish every file and the sidecar; the sidecar's content."""
        for track_id in list(self._tracks):
            self.close_track(track_id)
        if self._closing:
            await asyncio.gather(*self._closing)
        if self.stopped is None:
            self.stopped = self._clock()
        content = self.describe()
        await asyncio.wrap_future(self._writer.submit(write_sidecar, self.directory, content))
        self._writer.shutdown(wait=False)
        return content

    def _save(self) -> None:
        self._writer.submit(write_sidecar, self.directory, self.describe())

    def describe(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "room": self.room,
            "session": self.session,
            "started": self.started,
            "stopped": self.stopped,
            "tracks": [entry.describe() for entry in self._tracks.values()],
        }


class _Track:
    """One track of the recording, as the sidecar tells it."""

    def __init__(self, track: TapTrack, recorder: TrackRecorder, opened_at: float) -> None:
        self.track = track
        self.recorder = recorder
        self.opened_at = opened_at
        self.closed_at: float | None = None
        self.frames: int | None = None
        self.duration: float | None = None

    def describe(self) -> dict[str, Any]:
        track, recorder = self.track, self.recorder
        clock = recorder.sender_clock
        return {
            "id": track.id,
            "participant": track.peer,
            "kind": track.kind,
            "source": track.source,
            "mime_type": track.mime_type,
            "clock_rate": track.clock_rate,
            "channels": track.channels,
            "file": recorder.path.name,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "first_arrival": recorder.first_arrival,
            "first_timestamp": recorder.first_timestamp,
            "sender_clock": None
            if clock is None
            else {"wall": clock.wall, "rtp_timestamp": clock.rtp_timestamp},
            "frames": self.frames,
            "duration": self.duration,
        }
