"""Who takes the stage of a composed video: whoever speaks, held for a while; the teacher
while no one has."""

from __future__ import annotations

from recording.director import HOLD, Director

STEP = 0.04
"""The composer's slices: one per output frame at 25 frames per second."""


def heard(director: Director, start: float, end: float, levels: dict[str, float]) -> None:
    at = start
    while at < end - 1e-9:
        director.hear(at, levels)
        at += STEP


def stages(director: Director, start: float, end: float, present: list[str]) -> list[str | None]:
    out = []
    at = start
    while at < end - 1e-9:
        out.append(director.on_stage(at, present))
        at += STEP
    return out


def test_the_teacher_until_someone_speaks_then_the_speaker_as_they_begin() -> None:
    director = Director(default="teacher")
    heard(director, 0.0, 3.0, {"teacher": 0.0, "pupil": 0.0})
    heard(director, 3.0, 6.0, {"teacher": 0.0, "pupil": 0.2})
    shown = stages(director, 0.0, 5.0, ["pupil", "teacher"])
    # The stage turns as the pupil begins (the second ahead confirms they go on).
    turn = shown.index("pupil") * STEP
    assert 2.8 <= turn <= 3.0
    assert set(shown[: shown.index("pupil")]) == {"teacher"}
    assert set(shown[shown.index("pupil") :]) == {"pupil"}


def test_a_short_word_does_not_take_the_stage_back_within_the_hold() -> None:
    director = Director(default="teacher")
    heard(director, 0.0, 2.0, {"teacher": 0.1})
    heard(director, 2.0, 4.0, {"pupil": 0.1})
    heard(director, 4.0, 4.2, {"teacher": 0.3})  # "Yes." from the teacher
    heard(director, 4.2, 8.0, {"pupil": 0.1})
    shown = stages(director, 0.0, 7.0, ["teacher", "pupil"])
    first_pupil = shown.index("pupil")
    assert 1.8 <= first_pupil * STEP <= 2.0
    # The teacher's word, 2 s later (the hold is over), is too short to take the stage.
    assert set(shown[first_pupil:]) == {"pupil"}


def test_a_new_speaker_waits_for_the_hold_to_end() -> None:
    director = Director(default="teacher")
    heard(director, 0.0, 1.0, {"teacher": 0.1})
    heard(director, 1.0, 1.5, {"pupil": 0.1})
    heard(director, 1.5, 8.0, {"vera": 0.1})
    shown = stages(director, 0.0, 5.0, ["teacher", "pupil", "vera"])
    pupil = shown.index("pupil")
    # Vera begins 0.5 s after the pupil took the stage: she gets it when the hold ends.
    assert set(shown[pupil : pupil + round(HOLD / STEP)]) == {"pupil"}
    assert set(shown[pupil + round(HOLD / STEP) :]) == {"vera"}


def test_quiet_keeps_the_last_speaker_and_someone_who_leaves_gives_the_stage_up() -> None:
    director = Director(default=None)
    heard(director, 0.0, 1.0, {"anna": 0.1})
    heard(director, 1.0, 5.0, {})
    assert stages(director, 0.0, 4.0, ["boris", "anna"]) == ["anna"] * 100
    # Anna's camera goes: the stage goes to the first of those left, at once.
    assert director.on_stage(4.0, ["boris"]) == "boris"
    assert director.on_stage(4.04, []) is None
    # Someone speaking without a picture never takes the stage.
    heard(director, 5.0, 7.0, {"vera": 0.5})
    assert director.on_stage(5.0, ["boris"]) == "boris"
