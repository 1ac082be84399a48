"""The room's sound: microphones decoded with PyAV as the mix advances, each placed by its
clock and each of its frames by its timestamp, added and clipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recording.mix import CHANNELS, RATE, Voice, level, mix
from tests.recording_media import Encoded, encode_opus, recorded_track

TONE = 8000 / 32768
"""The test tone's amplitude (`encode_opus`), full scale 1."""
SINE = TONE / np.sqrt(2)
"""Its RMS."""


def constant(value: float, seconds: float) -> np.ndarray:
    return np.full((CHANNELS, round(seconds * RATE)), value, dtype=np.float32)


def test_slices_are_added_and_clipped_not_divided() -> None:
    out = mix([constant(0.25, 0.1), constant(0.5, 0.1)], round(0.1 * RATE))
    assert out.dtype == np.float32 and np.all(out == 0.75)  # each as loud as it was
    loud = mix([constant(0.75, 0.1), constant(0.5, 0.1)], round(0.1 * RATE))
    assert np.all(loud == 1.0)
    assert np.all(mix([], 480) == 0.0) and mix([], 480).shape == (CHANNELS, 480)
    assert level(constant(0.5, 0.1)) == pytest.approx(0.5)
    assert level(constant(0.0, 0.0)) == 0.0


def read_all(voice: Voice, seconds: float, step: int = 1920) -> np.ndarray:
    """The voice read slice by slice as the composer does, None slices as silence."""
    out = []
    for start in range(0, round(seconds * RATE), step):
        part = voice.read(start, step)
        out.append(np.zeros((CHANNELS, step), np.float32) if part is None else part)
    return np.concatenate(out, axis=1)


def rms(samples: np.ndarray, start: float, end: float) -> float:
    return level(samples[:, round(start * RATE) : round(end * RATE)])


def test_a_mono_voice_starts_at_its_offset_in_both_ears_at_full_level(tmp_path: Path) -> None:
    entry = recorded_track(tmp_path, "anna-microphone", encode_opus(1.0), start=0.0)
    voice = Voice.of_file(tmp_path / entry["file"], offset=0.5)

    assert voice.read(0, 1920) is None  # not begun
    sound = read_all(voice, 2.0)
    voice.close()

    assert rms(sound, 0.0, 0.49) == 0.0
    assert rms(sound, 0.55, 1.45) == pytest.approx(SINE, rel=0.1)
    assert np.array_equal(sound[0], sound[1])
    assert rms(sound, 1.52, 2.0) == 0.0  # over (Opus's padding aside)
    # Where it begins: the tone's first loud sample, within Opus's lookahead of 0.5 s.
    onset = int(np.argmax(np.abs(sound[0]) > TONE / 4)) / RATE
    assert onset == pytest.approx(0.5, abs=0.01)


def test_a_gap_in_a_track_stays_silent_and_what_follows_keeps_its_time(tmp_path: Path) -> None:
    # 0.5 s of tone, then 0.5 s with no packets (a muted microphone, a lost stretch), then
    # 0.5 s of tone: what follows the gap plays at 1.0 s, not at 0.5 s.
    tone = encode_opus(0.5)
    gap = [Encoded(b"", True)] * 25
    entry = recorded_track(tmp_path, "anna-microphone", tone + gap + tone, start=0.0)
    sound = read_all(Voice.of_file(tmp_path / entry["file"], offset=0.0), 1.6)
    assert rms(sound, 0.05, 0.45) == pytest.approx(SINE, rel=0.1)
    assert rms(sound, 0.55, 0.95) < 0.01
    assert rms(sound, 1.05, 1.45) == pytest.approx(SINE, rel=0.1)


def test_a_track_that_cannot_be_read_past_a_torn_tail_keeps_what_came_before(
    tmp_path: Path,
) -> None:
    entry = recorded_track(tmp_path, "anna-microphone", encode_opus(1.0), start=0.0)
    path = tmp_path / entry["file"]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3] + b"\xff" * 200)
    sound = read_all(Voice.of_file(path, offset=0.0), 1.2)
    assert rms(sound, 0.05, 0.5) == pytest.approx(SINE, rel=0.1)
