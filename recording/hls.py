"""The playlists an audience fetches, made from the one the broadcast writes.

`recording.broadcast` keeps every segment in `index.m3u8` (an EVENT playlist: it only
grows, and gets `#EXT-X-ENDLIST` when the event ends). Players of a live stream want a
window at its live edge: `live_window` cuts one (the last `WINDOW` segments, with the media
sequence number of the first), which is what HLS's own live playlists are. After the event
the whole list is the on-demand playlist (`on_demand`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WINDOW = 6
"""Segments in the live playlist: 12 s at 2 s each; hls.js starts 3 segments from its end."""
SEGMENT_NAME = re.compile(r"^segment\d{5}\.ts$")
ENDLIST = "#EXT-X-ENDLIST"


@dataclass(frozen=True)
class Segment:
    lines: tuple[str, ...]
    """Its tags (`#EXTINF`, `#EXT-X-PROGRAM-DATE-TIME`, …) and, last, its URI."""

    @property
    def uri(self) -> str:
        return self.lines[-1]

    @property
    def duration(self) -> float:
        for line in self.lines:
            if line.startswith("#EXTINF:"):
                return float(line[len("#EXTINF:") :].split(",")[0])
        return 0.0


@dataclass(frozen=True)
class Playlist:
    header: tuple[str, ...]
    segments: tuple[Segment, ...]
    ended: bool

    @classmethod
    def parse(cls, text: str) -> Playlist:
        header: list[str] = []
        segments: list[Segment] = []
        pending: list[str] = []
        ended = False
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            if line == ENDLIST:
                ended = True
            elif not line.startswith("#"):
                segments.append(Segment((*pending, line)))
                pending = []
            elif segments or pending or line.startswith(("#EXTINF", "#EXT-X-PROGRAM-DATE-TIME")):
                pending.append(line)
            else:
                header.append(line)
        return cls(tuple(header), tuple(segments), ended)

    @property
    def first_sequence(self) -> int:
        for line in self.header:
            if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                return int(line.split(":", 1)[1])
        return 0


def live_window(text: str, window: int = WINDOW) -> str:
    """The live playlist: the last `window` segments of the broadcast's playlist."""
    playlist = Playlist.parse(text)
    kept = playlist.segments[-window:]
    dropped = len(playlist.segments) - len(kept)
    header = [
        line
        for line in playlist.header
        if not line.startswith(("#EXT-X-MEDIA-SEQUENCE", "#EXT-X-PLAYLIST-TYPE"))
    ]
    lines = [*header, f"#EXT-X-MEDIA-SEQUENCE:{playlist.first_sequence + dropped}"]
    for segment in kept:
        lines.extend(segment.lines)
    if playlist.ended:
        lines.append(ENDLIST)
    return "\n".join(lines) + "\n"


def on_demand(text: str) -> str:
    """The whole playlist, marked VOD once the broadcast has ended (a player may then seek
    anywhere and shows the whole length)."""
    playlist = Playlist.parse(text)
    if not playlist.ended:
        return text
    return text.replace("#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD")
