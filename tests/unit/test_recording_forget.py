"""Taking one person out of a recording on disk: their track files, their remuxed file and the
composed MP4 go, the sidecar lists only the others, the timeline names them nowhere, and a
recording that held only them is deleted whole. Real files: tracks written by `TrackFile`,
remuxed by `recording.remux`."""

from __future__ import annotations

import json
from pathlib import Path

from recording.forget import forget, mentions
from recording.remux import participant_files
from recording.sidecar import read_sidecar, write_sidecar
from recording.timeline import TIMELINE, read_timeline
from tests.recording_media import encode_opus, encode_vp8, recorded_track

START = 1_700_000_000.0


def _recording(directory: Path, *participants: str) -> None:
    tracks = []
    for participant in participants:
        tracks.append(recorded_track(directory, f"{participant}-camera", encode_vp8(15), START))
        tracks.append(
            recorded_track(directory, f"{participant}-microphone", encode_opus(0.5), START)
        )
    write_sidecar(
        directory,
        {
            "format": 1,
            "session": {"title": "Дроби", "started_by": "olga-id"},
            "started": START,
            "stopped": START + 1,
            "tracks": tracks,
        },
    )
    participant_files(directory)
    (directory / "composed.mp4").write_bytes(b"everyone")
    people = {"pa": ("petya-id", "Петя"), "pb": ("masha-id", "Маша"), "pt": ("olga-id", "Ольга")}
    events = [
        {
            "at": START,
            "type": "present",
            "participants": [
                {"id": p, "identity": people[p][0], "name": people[p][1], "host": p == "pt"}
                for p in participants
            ],
        },
        {"at": START + 0.2, "type": "chat", "from": {"id": "pa", "name": "Петя"}, "text": "я тут"},
        {"at": START + 0.3, "type": "chat", "from": {"id": "pb", "name": "Маша"}, "text": "привет"},
        {
            "at": START + 0.4,
            "type": "hand",
            "participant": {"id": "pa", "name": "Петя"},
            "up": True,
        },
        {"at": START + 0.5, "type": "participant_left", "id": "pa"},
    ]
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    (directory / TIMELINE).write_text(text, encoding="utf-8")


def test_a_person_is_taken_out_of_a_recording_with_others(tmp_path: Path) -> None:
    directory = tmp_path / "lesson" / "20270101-a"
    _recording(directory, "pa", "pb")
    assert sorted(p.name for p in directory.iterdir()) == [
        "composed.mp4",
        "pa-camera.webm",
        "pa-microphone.webm",
        "pa.webm",
        "pb-camera.webm",
        "pb-microphone.webm",
        "pb.webm",
        "recording.json",
        TIMELINE,
    ]
    (mention,) = mentions(tmp_path / "lesson", "petya-id")
    assert (mention.directory, mention.participants, mention.in_progress) == (
        directory,
        frozenset({"pa"}),
        False,
    )

    done = forget(mention, "petya-id", "—", "erased")

    assert (done.files, done.deleted) == (4, False)
    assert sorted(p.name for p in directory.iterdir()) == [
        "pb-camera.webm",
        "pb-microphone.webm",
        "pb.webm",
        "recording.json",
        TIMELINE,
    ]
    content = read_sidecar(directory) or {}
    assert [t["participant"] for t in content["tracks"]] == ["pb", "pb"]
    assert content["session"] == {"title": "Дроби", "started_by": "olga-id"}
    timeline = read_timeline(directory)
    assert timeline[0]["participants"] == [
        {"id": "pa", "identity": "erased", "name": "—", "host": False},
        {"id": "pb", "identity": "masha-id", "name": "Маша", "host": False},
    ]
    assert timeline[1]["from"] == {"id": "pa", "name": "—"} and timeline[1]["text"] == "—"
    assert timeline[2]["from"] == {"id": "pb", "name": "Маша"} and timeline[2]["text"] == "привет"
    assert timeline[3]["participant"] == {"id": "pa", "name": "—"}
    assert timeline[4] == {"at": START + 0.5, "type": "participant_left", "id": "pa"}
    assert "Петя" not in (directory / TIMELINE).read_text(encoding="utf-8")
    assert "petya-id" not in (directory / TIMELINE).read_text(encoding="utf-8")
    assert mentions(tmp_path / "lesson", "petya-id") == []


def test_a_recording_of_only_that_person_is_deleted_whole(tmp_path: Path) -> None:
    directory = tmp_path / "lesson" / "20270101-a"
    _recording(directory, "pa")
    (mention,) = mentions(tmp_path / "lesson", "petya-id")
    done = forget(mention, "petya-id", "—", "erased")
    assert (done.files, done.deleted) == (4, True)
    assert not directory.exists()


def test_who_started_the_recording_is_anonymised_too(tmp_path: Path) -> None:
    directory = tmp_path / "lesson" / "20270101-a"
    _recording(directory, "pt", "pb")
    (mention,) = mentions(tmp_path / "lesson", "olga-id")
    forget(mention, "olga-id", "—", "erased")
    assert (read_sidecar(directory) or {})["session"]["started_by"] == "erased"
    assert "olga-id" not in (directory / TIMELINE).read_text(encoding="utf-8")


def test_a_recording_still_being_written_is_reported_as_such(tmp_path: Path) -> None:
    directory = tmp_path / "lesson" / "20270101-a"
    _recording(directory, "pa", "pb")
    content = read_sidecar(directory) or {}
    write_sidecar(directory, {**content, "stopped": None})
    (mention,) = mentions(tmp_path / "lesson", "petya-id")
    assert mention.in_progress
    assert mentions(tmp_path / "lesson", "nobody-id") == []
    assert mentions(tmp_path / "no-such-session", "petya-id") == []
