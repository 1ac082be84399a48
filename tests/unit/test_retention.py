"""Retention: which recordings are past their school's keeping at a given time (a fake clock),
and a sweep that deletes exactly those from disk, leaves the rest, and logs ids, not names."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from classroom.errors import InvalidInput
from classroom.models import School, Session, SessionKind, SessionState, User
from classroom.retention import DAY, Recorded, broadcast_expired, expired, kept_days
from classroom.roles import Role
from classroom.sqlite_store import SqliteStore
from recording.sidecar import session_folder, write_sidecar
from signaling.broadcasts import Broadcasts
from signaling.compositions import Compositions
from signaling.retention import Retention

NOW = 1_800_000_000.0


def test_the_setting_is_0_to_3650_days_0_meaning_keep() -> None:
    assert [kept_days(v) for v in (0, 1, 30, 3650)] == [None, 1, 30, 3650]
    for bad in (-1, 3651, True):
        with pytest.raises(InvalidInput) as caught:
            kept_days(bad)
        assert caught.value.field == "recordings_kept_days"


def test_a_recording_is_past_keeping_only_once_older_than_the_setting() -> None:
    recordings = [
        Recorded("s", "just-over", NOW - 30 * DAY - 1),
        Recorded("s", "exactly", NOW - 30 * DAY),
        Recorded("s", "young", NOW - 29 * DAY),
        Recorded("s", "being-written", None),
        Recorded("s", "ancient", NOW - 4000 * DAY),
    ]
    assert [r.recording_id for r in expired(recordings, 30, NOW)] == ["just-over", "ancient"]
    assert expired(recordings, None, NOW) == []  # kept until deleted by hand
    later = NOW + DAY
    assert [r.recording_id for r in expired(recordings, 30, later)] == [
        "just-over",
        "exactly",
        "ancient",
    ]


def _event(
    state: SessionState, ended_at: float | None, kind: SessionKind = SessionKind.EVENT
) -> Session:
    return Session("e", "s1", kind, "Концерт", "a1", 0.0, state=state, ended_at=ended_at)


def test_an_events_broadcast_ages_from_the_events_end() -> None:
    old = NOW - 8 * DAY
    assert broadcast_expired(_event(SessionState.ENDED, old), 7, NOW)
    assert not broadcast_expired(_event(SessionState.ENDED, NOW - 6 * DAY), 7, NOW)
    assert not broadcast_expired(_event(SessionState.LIVE, None), 7, NOW)
    assert not broadcast_expired(_event(SessionState.ENDED, old), None, NOW)
    assert not broadcast_expired(_event(SessionState.ENDED, old, SessionKind.LESSON), 7, NOW)


# --- the sweep over real folders --------------------------------------------------------------


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(":memory:")
    yield opened
    await opened.close()


def _recording(root: Path, session_id: str, recording_id: str, stopped: float | None) -> Path:
    directory = session_folder(root, session_id) / recording_id
    write_sidecar(directory, {"format": 1, "started": 0.0, "stopped": stopped, "tracks": []})
    (directory / "a-camera.webm").write_bytes(b"frames")
    return directory


async def _schools(store: SqliteStore) -> None:
    """School k keeps 7 days, school f forever; each has a lesson and an ended event."""
    for school_id, kept in (("k", 7), ("f", None)):
        await store.add_school(School(school_id, school_id, recordings_kept_days=kept))
        await store.add_user(User(f"{school_id}-t", school_id, Role.TEACHER, "T"))
        for kind, session_id in ((SessionKind.LESSON, "lesson"), (SessionKind.EVENT, "event")):
            await store.add_session(
                Session(
                    f"{school_id}-{session_id}",
                    school_id,
                    kind,
                    "x",
                    f"{school_id}-t",
                    0.0,
                    state=SessionState.ENDED,
                    ended_at=NOW - 10 * DAY,
                )
            )


async def test_a_sweep_deletes_exactly_the_recordings_past_keeping(
    store: SqliteStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _schools(store)
    root, hls = tmp_path / "recordings", tmp_path / "broadcasts"
    old = _recording(root, "k-lesson", "20270101-old", NOW - 8 * DAY)
    young = _recording(root, "k-lesson", "20270109-young", NOW - 6 * DAY)
    writing = _recording(root, "k-lesson", "20270101-writing", None)
    forever = _recording(root, "f-lesson", "20270101-forever", NOW - 900 * DAY)
    no_session = _recording(root, "demo", "20270101-demo", NOW - 900 * DAY)
    for school_id in ("k", "f"):
        (hls / f"{school_id}-event").mkdir(parents=True)
        (hls / f"{school_id}-event" / "index.m3u8").write_text("#EXTM3U\n")
    compositions = Compositions(0)
    retention = Retention(store, root, Broadcasts(hls), compositions, clock=lambda: NOW)

    with caplog.at_level(logging.INFO, logger="signaling.retention"):
        swept = await retention.sweep()

    assert swept.recordings == [("k-lesson", "20270101-old")]
    assert swept.broadcasts == ["k-event"]
    assert not old.exists()
    assert all(d.is_dir() for d in (young, writing, forever, no_session))
    assert sorted(p.name for p in hls.iterdir()) == ["f-event"]
    assert [r.getMessage() for r in caplog.records] == [
        "retention: deleted recording 20270101-old of session k-lesson (kept 7 days)",
        "retention: deleted the HLS broadcast of event k-event (kept 7 days)",
    ]
    assert (await retention.sweep()).recordings == []  # nothing more to do


async def test_a_recording_being_composed_waits_for_a_later_sweep(
    store: SqliteStore, tmp_path: Path
) -> None:
    await _schools(store)
    root = tmp_path / "recordings"
    old = _recording(root, "k-lesson", "20270101-old", NOW - 8 * DAY)
    compositions = Compositions(1)
    compositions.submit(old)  # a real child composing it (an empty recording: it fails soon)
    retention = Retention(store, root, Broadcasts(tmp_path / "hls"), compositions, lambda: NOW)
    try:
        assert compositions.busy(old)
        assert (await retention.sweep()).recordings == []
        assert old.is_dir()
    finally:
        await compositions.close()
    assert (await retention.sweep()).recordings == [("k-lesson", "20270101-old")]
    assert not old.exists()
