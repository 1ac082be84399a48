"""A participant's camera and microphone files remuxed into one WebM, lined up by their clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import pytest

from recording.depacketize import Frame
from recording.remux import participant_files
from recording.sidecar import media_start, write_sidecar
from recording.track_file import TrackFile
from tests.recording_media import OPUS_TICKS, VIDEO_TICKS, encode_h264, encode_opus, encode_vp8

WALL = 1_795_000_000.0


def written(path: Path, mime_type: str, frames: list[Frame], channels: int = 1) -> int:
    track = TrackFile(path, mime_type, channels=channels)
    for frame in frames:
        track.write(frame)
    track.close()
    return track.join(30).frames


def test_the_start_comes_from_the_sender_report_and_else_from_the_arrival() -> None:
    reported = {
        "clock_rate": 90000,
        "first_timestamp": 4_294_967_000,  # the report's RTP time wrapped past zero since
        "sender_clock": {"wall": WALL + 2.0, "rtp_timestamp": 90000 - 296},
        "first_arrival": WALL + 5.0,
    }
    assert media_start(reported) == pytest.approx(WALL + 1.0)
    assert media_start({**reported, "sender_clock": None}) == WALL + 5.0
    assert media_start({"first_arrival": None, "sender_clock": None}) is None


def test_camera_and_microphone_play_as_one_file_half_a_second_apart(tmp_path: Path) -> None:
    vp8, opus = encode_vp8(60), encode_opus(1.5)
    video = [Frame(e.data, 1000 + i * VIDEO_TICKS, e.keyframe) for i, e in enumerate(vp8)]
    audio = [Frame(e.data, 500 + i * OPUS_TICKS, True) for i, e in enumerate(opus)]
    frames = {
        "p_anna-camera-t_1.webm": written(tmp_path / "p_anna-camera-t_1.webm", "video/VP8", video),
        "p_anna-microphone-t_2.webm": written(
            tmp_path / "p_anna-microphone-t_2.webm", "audio/opus", audio
        ),
    }
    # Anna's microphone started half a second after her camera, by her own clock.
    tracks: list[dict[str, Any]] = [
        {
            "participant": "p_anna",
            "kind": "video",
            "source": "camera",
            "mime_type": "video/VP8",
            "clock_rate": 90000,
            "file": "p_anna-camera-t_1.webm",
            "frames": frames["p_anna-camera-t_1.webm"],
            "first_timestamp": 1000,
            "sender_clock": {"wall": WALL + 1.0, "rtp_timestamp": 1000 + 90000},
            "first_arrival": WALL + 0.3,
        },
        {
            "participant": "p_anna",
            "kind": "audio",
            "source": "microphone",
            "mime_type": "audio/opus",
            "clock_rate": 48000,
            "file": "p_anna-microphone-t_2.webm",
            "frames": frames["p_anna-microphone-t_2.webm"],
            "first_timestamp": 500,
            "sender_clock": {"wall": WALL + 1.5, "rtp_timestamp": 500 + 48000},
            "first_arrival": WALL + 0.6,
        },
        {"participant": "p_boris", "kind": "audio", "file": "missing.webm", "frames": 0},
    ]
    write_sidecar(tmp_path, {"tracks": tracks})

    assert participant_files(tmp_path) == {"p_anna": tmp_path / "p_anna.webm"}

    with av.open(str(tmp_path / "p_anna.webm")) as container:
        kinds = sorted(s.type for s in container.streams)
        starts: dict[str, float] = {}
        counts = {"video": 0, "audio": 0}
        for packet in container.demux():
            if packet.pts is None or packet.size == 0:
                continue
            kind = packet.stream.type
            counts[kind] += 1
            starts.setdefault(kind, float(packet.pts * packet.time_base))
    assert kinds == ["audio", "video"]
    assert counts == {"video": len(video), "audio": len(audio)} == {"video": 60, "audio": len(opus)}
    assert starts["video"] == pytest.approx(0.0, abs=0.002)
    assert starts["audio"] == pytest.approx(0.5, abs=0.002)
    with av.open(str(tmp_path / "p_anna.webm")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 60


def test_an_h264_camera_plays_from_an_mp4_with_its_microphone(tmp_path: Path) -> None:
    h264, opus = encode_h264(60), encode_opus(2.0)
    video = [Frame(e.data, i * VIDEO_TICKS, e.keyframe) for i, e in enumerate(h264)]
    audio = [Frame(e.data, i * OPUS_TICKS, True) for i, e in enumerate(opus)]
    names = {"video": "p_vera-camera-t_1.mkv", "audio": "p_vera-microphone-t_2.webm"}
    counts = {
        "video": written(tmp_path / names["video"], "video/H264", video),
        "audio": written(tmp_path / names["audio"], "audio/opus", audio),
    }
    tracks = [
        {
            "participant": "p_vera",
            "kind": kind,
            "source": "camera" if kind == "video" else "microphone",
            "mime_type": "video/H264" if kind == "video" else "audio/opus",
            "clock_rate": 90000 if kind == "video" else 48000,
            "file": names[kind],
            "frames": counts[kind],
            "first_timestamp": 0,
            "sender_clock": {"wall": WALL, "rtp_timestamp": 0},
            "first_arrival": WALL,
        }
        for kind in ("video", "audio")
    ]
    write_sidecar(tmp_path, {"tracks": tracks})

    assert participant_files(tmp_path) == {"p_vera": tmp_path / "p_vera.mp4"}

    data = (tmp_path / "p_vera.mp4").read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # a browser plays it before it has it all
    with av.open(str(tmp_path / "p_vera.mp4")) as container:
        codecs = sorted(s.codec_context.name for s in container.streams)
        assert codecs == ["h264", "opus"]
        assert sum(1 for _ in container.decode(video=0)) == 60
