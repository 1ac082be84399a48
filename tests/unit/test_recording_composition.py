"""The composing job's status file, and which recordings a restart composes again."""

from __future__ import annotations

from pathlib import Path

from recording.composition import (
    COMPOSING,
    DONE,
    FAILED,
    composition_state,
    read_status,
    run,
    uncomposed,
    write_status,
)
from recording.sidecar import write_sidecar
from tests.recording_media import encode_opus, recorded_track


def recording(root: Path, name: str, stopped: float | None) -> Path:
    directory = root / "lesson" / name
    write_sidecar(directory, {"stopped": stopped, "tracks": []})
    return directory


def test_a_recording_with_nothing_to_compose_fails_and_says_why(tmp_path: Path) -> None:
    directory = recording(tmp_path, "empty", stopped=1.0)
    assert run(directory) == 1
    status = read_status(directory)
    assert status is not None and status["state"] == FAILED
    assert "nothing to compose" in status["error"]
    assert not (directory / "composed.mp4").exists()


def test_a_recording_composes_and_its_status_ends_done(tmp_path: Path) -> None:
    directory = tmp_path / "lesson" / "voice"
    directory.mkdir(parents=True)
    track = recorded_track(directory, "anna-microphone", encode_opus(1.0), 1_795_000_000.0)
    write_sidecar(directory, {"stopped": 1.0, "tracks": [track]})
    assert run(directory) == 0
    status = read_status(directory)
    assert status is not None and status["state"] == DONE and status["file"] == "composed.mp4"
    assert (directory / "composed.mp4").stat().st_size > 0


def test_a_composed_video_is_done_even_before_its_job_says_so(tmp_path: Path) -> None:
    directory = recording(tmp_path, "racing", stopped=1.0)
    assert composition_state(directory) is None
    write_status(directory, COMPOSING, progress=1.0)
    assert composition_state(directory)["state"] == COMPOSING  # type: ignore[index]
    (directory / "composed.mp4").write_bytes(b"mp4")  # renamed in; "done" not written yet
    assert composition_state(directory) == {"state": DONE, "file": "composed.mp4"}
    write_status(directory, DONE, file="composed.mp4", seconds=1.5)
    assert composition_state(directory)["seconds"] == 1.5  # type: ignore[index]


def test_a_restart_composes_what_was_interrupted_or_never_begun(tmp_path: Path) -> None:
    never = recording(tmp_path, "a-never", stopped=1.0)
    interrupted = recording(tmp_path, "b-interrupted", stopped=1.0)
    write_status(interrupted, COMPOSING, progress=0.4)
    failed = recording(tmp_path, "c-failed", stopped=1.0)
    write_status(failed, FAILED, error="ValueError: nothing to compose")
    composed = recording(tmp_path, "d-composed", stopped=1.0)
    (composed / "composed.mp4").write_bytes(b"mp4")
    recording(tmp_path, "e-still-recording", stopped=None)
    assert read_status(tmp_path / "nowhere") is None
    assert uncomposed(tmp_path) == [never, interrupted]
