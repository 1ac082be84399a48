"""The audience's playlists made from the broadcast's one, and the keys that open them."""

from __future__ import annotations

import time

import pytest

from classroom.errors import ClassroomError
from recording.hls import Playlist, live_window, on_demand
from signaling.stream_keys import StreamKeys


def broadcast_playlist(segments: int, ended: bool) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for n in range(segments):
        lines += [
            f"#EXTINF:{2.0 if n < segments - 1 else 1.6:.6f},",
            f"#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:00:{2 * n:02d}.000+0000",
            f"segment{n:05d}.ts",
        ]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def test_the_live_playlist_is_the_last_six_segments_numbered_from_the_first_kept() -> None:
    window = Playlist.parse(live_window(broadcast_playlist(10, ended=False)))
    assert [s.uri for s in window.segments] == [f"segment{n:05d}.ts" for n in range(4, 10)]
    assert window.first_sequence == 4
    assert not window.ended
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" not in window.header  # a sliding window is no EVENT
    assert window.segments[0].lines[1] == "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:00:08.000+0000"
    assert [s.duration for s in window.segments] == [2.0] * 5 + [1.6]


def test_a_short_broadcast_is_listed_whole_and_its_end_is_kept() -> None:
    window = Playlist.parse(live_window(broadcast_playlist(3, ended=True)))
    assert (len(window.segments), window.first_sequence, window.ended) == (3, 0, True)


def test_the_whole_playlist_becomes_on_demand_once_ended() -> None:
    growing = broadcast_playlist(4, ended=False)
    assert on_demand(growing) == growing
    ended = on_demand(broadcast_playlist(4, ended=True))
    parsed = Playlist.parse(ended)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in parsed.header and parsed.ended
    assert len(parsed.segments) == 4


def test_a_stream_key_opens_its_event_until_it_expires() -> None:
    keys = StreamKeys("k" * 32)
    key = keys.key("ev1", 60)
    assert keys.session_of(key) == "ev1"
    assert keys.path("ev1", 60).startswith("/hls/ev1.")
    for forged in (
        key[:-1] + ("0" if key[-1] != "0" else "1"),
        key.replace("ev1", "ev2"),
        StreamKeys("x" * 32).key("ev1", 60),
        "ev1",
        "ev1.notanumber.abc",
    ):
        with pytest.raises(ClassroomError) as refused:
            keys.session_of(forged)
        assert refused.value.code == "not_found", forged
    with pytest.raises(ClassroomError) as expired:
        keys.session_of(keys.key("ev1", 60, now=time.time() - 120))
    assert expired.value.code == "forbidden"
