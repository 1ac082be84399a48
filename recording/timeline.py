"""`timeline.jsonl`: what happened in the room while it was recorded, for the player's side panel.

One JSON object per line, each the room event as everyone received it (a chat message, a
join or a leave with the person's name, hands, polls, pins, mutes) with `at`, the server's
wall clock in Unix seconds: the clock `recording.json` places the tracks on. Lines are
appended, so a crash loses at most the line being written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

TIMELINE = "timeline.jsonl"
BOARD_CHARS = 16 * 1024 * 1024
"""What one recording's timeline takes of the whiteboard (its `board…` lines). The room's
board is bounded (5,000 strokes, 200,000 points: ~3 MB) but a board cleared and drawn again
and again is not: past this (five full boards), one `board_unrecorded` line says the board's
lines stop there, and the playback shows no board from then on rather than a wrong one."""


class Timeline:
    """Appends a recording's room events to its `timeline.jsonl`, on a thread of its own."""

    def __init__(
        self,
        directory: Path,
        clock: Callable[[], float] = time.time,
        board_budget: int = BOARD_CHARS,
    ) -> None:
        self.path = directory / TIMELINE
        self._clock = clock
        # One thread: lines land in the order they were added, and the loop never waits.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="timeline")
        self._last: Future[None] | None = None
        self.closed = False
        self._board_budget = board_budget
        self.board_chars = 0
        """Characters of the board's lines so far (past the budget: no more lines)."""

    def add(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        line = json.dumps({"at": self._clock(), **event}, ensure_ascii=False) + "\n"
        if str(event.get("type", "")).startswith("board"):
            if self.board_chars > self._board_budget:
                return  # past the bound, and said so
            self.board_chars += len(line)
            if self.board_chars > self._board_budget:
                line = json.dumps({"at": self._clock(), "type": "board_unrecorded"}) + "\n"
        self._last = self._writer.submit(self._append, line)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line)

    def close(self) -> Future[None] | None:
        """No more lines; the last one's write (to wait for, if one must)."""
        self.closed = True
        self._writer.shutdown(wait=False)
        return self._last


def read_timeline(directory: Path) -> list[dict[str, Any]]:
    """The events of a recording, oldest first (a torn last line is left out)."""
    try:
        text = (directory / TIMELINE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def hosts(events: list[dict[str, Any]]) -> list[str]:
    """The participants who hosted the recorded room (its teachers), in the order they
    were seen: those present when recording began, then those who joined."""
    found: list[str] = []
    for event in events:
        if event.get("type") == "present":
            people = event.get("participants") or []
        elif event.get("type") == "participant_joined":
            people = [event.get("participant") or {}]
        else:
            continue
        for person in people:
            if isinstance(person, dict) and person.get("host") and person.get("id") not in found:
                found.append(str(person.get("id")))
    return found


def names(events: list[dict[str, Any]]) -> dict[str, str]:
    """Each participant's name by id, as the timeline tells them (present, then joined)."""
    found: dict[str, str] = {}
    for event in events:
        if event.get("type") == "present":
            people = event.get("participants") or []
        elif event.get("type") == "participant_joined":
            people = [event.get("participant") or {}]
        else:
            continue
        for person in people:
            if isinstance(person, dict) and person.get("id") and person.get("name"):
                found[str(person["id"])] = str(person["name"])
    return found
