"""A recording composed into one MP4: whoever speaks on the stage, the others in a strip,
everyone's sound mixed; real VP8 and Opus in, real H.264 and AAC out."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from recording.compose import FPS, compose, main
from recording.layout import HEIGHT, WIDTH
from recording.sidecar import write_sidecar
from recording.timeline import TIMELINE
from tests.recording_media import encode_opus, encode_vp8, recorded_track, solid

WALL = 1_795_000_000.0
TONE_RMS = 8000 / 32768 / np.sqrt(2)


def camera(directory: Path, name: str, luma: int, start: float, seconds: float) -> dict:
    return recorded_track(
        directory, f"{name}-camera", encode_vp8(round(seconds * 30), pictures=solid(luma)), start
    )


def frames_at(path: Path, times: list[float]) -> list[np.ndarray]:
    """The Y plane of the first frame at or after each of `times`."""
    out = []
    with av.open(str(path)) as container:
        pending = list(times)
        for frame in container.decode(video=0):
            while pending and frame.time is not None and frame.time >= pending[0] - 1e-6:
                out.append(frame.to_ndarray()[:HEIGHT])  # Y of yuv420p, video range
                pending.pop(0)
    assert len(out) == len(times)
    return out


def middle(y: np.ndarray, x: int, top: int, width: int, height: int) -> float:
    """Mean brightness of the middle half of a rectangle (its edges blur in H.264)."""
    return float(
        y[top + height // 4 : top + 3 * height // 4, x + width // 4 : x + 3 * width // 4].mean()
    )


def test_the_teacher_on_the_stage_until_a_pupil_speaks_then_the_pupil(tmp_path: Path) -> None:
    # Teacher Anna (bright) speaks for 2 s, then pupil Boris (dark), whose camera starts a
    # second after hers by his clock, speaks from 3 s to 4.5 s.
    tracks = [
        camera(tmp_path, "anna", 200, WALL, 5.0),
        camera(tmp_path, "boris", 60, WALL + 1.0, 4.0),
        recorded_track(tmp_path, "anna-microphone", encode_opus(2.0), WALL),
        recorded_track(tmp_path, "boris-microphone", encode_opus(1.5), WALL + 3.0),
    ]
    write_sidecar(tmp_path, {"tracks": tracks})
    present = {"type": "present", "participants": [{"id": "anna", "host": True}], "at": WALL}
    (tmp_path / TIMELINE).write_text(json.dumps(present) + "\n")
    seen: list[float] = []

    path = compose(tmp_path, seen.append)

    assert path == tmp_path / "composed.mp4"
    assert not (tmp_path / "composed.mp4.tmp").exists()
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the index is at the front
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", WIDTH, HEIGHT)
        # Every microphone is mono: so is the mix (the same in both ears, half the bitrate).
        assert (audio.codec_context.name, audio.sample_rate, audio.channels) == ("aac", 48000, 1)
        assert sum(1 for _ in container.decode(video=0)) == 5 * FPS
    alone, together, switched = frames_at(path, [0.5, 1.5, 4.0])
    # Alone: Anna's 4:3 camera fills the frame's height (960x720, centred).
    assert middle(alone, 160, 0, 960, 720) == pytest.approx(200, abs=4)
    assert middle(alone, 0, 0, 150, 720) == pytest.approx(16, abs=3)  # black beside it
    # Boris joins: Anna (the teacher) on the 1280x540 stage (720x540), Boris in the strip.
    assert middle(together, 280, 0, 720, 540) == pytest.approx(200, abs=4)
    assert middle(together, 520, 540, 240, 180) == pytest.approx(60, abs=4)
    # Boris speaks: he takes the stage, Anna goes to the strip.
    assert middle(switched, 280, 0, 720, 540) == pytest.approx(60, abs=4)
    assert middle(switched, 520, 540, 240, 180) == pytest.approx(200, abs=4)
    with av.open(str(path)) as container:
        sound = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    assert sound.shape[1] / 48000 == pytest.approx(5.0, abs=0.05)

    def rms(start: float, end: float) -> float:
        window = sound[:, round(start * 48000) : round(end * 48000)].astype(np.float64)
        return float(np.sqrt(np.mean(window**2)))

    assert rms(0.2, 1.8) == pytest.approx(TONE_RMS, rel=0.15)
    assert rms(2.2, 2.8) < 0.01
    assert rms(3.2, 4.3) == pytest.approx(TONE_RMS, rel=0.15)


def test_a_shared_screen_takes_the_stage(tmp_path: Path) -> None:
    tracks = [
        camera(tmp_path, "anna", 200, WALL, 2.0),
        recorded_track(tmp_path, "anna-screen", encode_vp8(60, pictures=solid(120)), WALL + 1.0),
        recorded_track(tmp_path, "anna-microphone", encode_opus(3.0), WALL),
    ]
    write_sidecar(tmp_path, {"tracks": tracks})
    before, sharing = frames_at(compose(tmp_path), [0.5, 1.5])
    assert middle(before, 160, 0, 960, 720) == pytest.approx(200, abs=4)
    assert middle(sharing, 280, 0, 720, 540) == pytest.approx(120, abs=4)
    assert middle(sharing, 520, 540, 240, 180) == pytest.approx(200, abs=4)


def test_the_command_line_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_sidecar(tmp_path, {"tracks": []})
    assert main([str(tmp_path)]) == 1
    assert "nothing to compose" in capsys.readouterr().err
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert not (tmp_path / "composed.mp4").exists()
