"""The live broadcast's own logic, on a real socket and a real HLS muxer in a temporary
directory: its schedule, catching up when it fell behind, and what it makes of datagrams."""

from __future__ import annotations

import json
import time
from pathlib import Path

from recording.broadcast import DELAY, FPS, MAX_LAG, PLAYLIST, Broadcast, open_socket
from recording.hls import Playlist
from recording.live import description
from sfu.forwarder import CLOSED, TRACK

OPUS = {
    "id": "t_mic",
    "peer": "p_1",
    "kind": "audio",
    "source": "microphone",
    "mime_type": "audio/opus",
    "clock_rate": 48000,
    "payload_type": 111,
    "channels": 2,
}


def test_a_broadcast_that_fell_behind_skips_pictures_not_sound(tmp_path: Path) -> None:
    sock = open_socket()
    broadcast = Broadcast(tmp_path, sock)
    try:
        broadcast.started = time.monotonic() - (DELAY + MAX_LAG + 1.5)
        broadcast.render_due()
        assert broadcast.skipped > (MAX_LAG + 1.0) * FPS
        assert broadcast.frames >= broadcast.skipped + 1
        # The sound was mixed up to the last picture (and the director's second ahead).
        assert broadcast.composer._heard > broadcast.skipped / FPS * 48000
        waiting = broadcast.render_due()
        assert 0 <= waiting <= 1 / FPS + 0.01  # on schedule again: the next picture is near
    finally:
        broadcast.finish()
        sock.close()
    assert Playlist.parse((tmp_path / PLAYLIST).read_text()).ended


def test_tracks_come_and_go_with_their_descriptions(tmp_path: Path) -> None:
    sock = open_socket()
    broadcast = Broadcast(tmp_path, sock)
    try:
        told = TRACK + b"\x03" + json.dumps(OPUS).encode()
        broadcast.take(told, 0.0)
        broadcast.take(told, 1.0)  # told again with a sender report: still one track
        assert list(broadcast.tracks) == [3]
        assert len(broadcast.composer.voices) == 1
        assert broadcast.composer.voices[0][1].channels == 2
        broadcast.take(TRACK + b"\x04" + b"{not json", 1.0)
        broadcast.take(
            TRACK + b"\x05" + json.dumps({**OPUS, "mime_type": "audio/G722"}).encode(), 1.0
        )
        broadcast.take(b"R", 1.0)  # too short to say anything
        assert list(broadcast.tracks) == [3]
        broadcast.take(CLOSED + b"\x03", 2.0)
        assert broadcast.tracks == {} and broadcast.composer.voices == []
    finally:
        broadcast.finish()
        sock.close()


def test_only_a_track_we_can_decode_is_described() -> None:
    assert description(json.dumps(OPUS).encode()) == OPUS
    assert description(json.dumps({**OPUS, "mime_type": "video/AV1"}).encode()) is None
    assert description(b"[1, 2]") is None
    assert description(b"\xff") is None
