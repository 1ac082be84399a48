"""What a recorded room's stage showed besides people at a moment: the material's page at its
zoom, or the blank board, with the board's strokes on it, replayed from `timeline.jsonl`.

The composer (`recording.compose`) and the playback page (web_client/stage-replay.js) follow
the same rules, applied to the timeline's events in order up to the moment `t`:

- `material`: the material shown from then on (`{id, pages, page, zoom, ...}`), null: none;
- `board`: the whole board as it was when the recording began (`{shown, pages: {key:
  [stroke...]}}`), replacing what was known;
- `board_stroke`: one stroke added (its `seq`); `board_removed`: the strokes of `seqs` gone
  (an undo, an eraser, a clear);
- `board_settings`: the blank board opened or closed (`shown`);
- `board_unrecorded`: the recording took no more of the board from then on (its budget,
  recording/timeline.py): no strokes and no blank board after it, rather than a wrong one.

At `t` the stage shows the material's page when one is shown, with the strokes whose `page`
is `"<material id>:<page>"`; else the blank board when it is open, with the strokes of
`"blank"`; else nothing (the usual picture of people). A later moment is reached by going on
(`Replay.advance`); an earlier one by starting again (`stage_at`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

BLANK = "blank"


@dataclass(frozen=True)
class Stage:
    """The stage at a moment: a material's page (`material` set) or the blank board."""

    material: dict[str, Any] | None
    """As the timeline's `material` message carries it; None on the blank board."""
    page: int
    zoom: float
    strokes: tuple[dict[str, Any], ...]
    """The strokes on this page, in the server's order (`seq`)."""

    @property
    def key(self) -> str:
        """The board's page: "blank" or "<material id>:<page>" (classroom.board.page_key)."""
        return f"{self.material['id']}:{self.page}" if self.material else BLANK


class Replay:
    """The stage's state as a recording's events are applied in order, forward only."""

    def __init__(self, events: Iterable[dict[str, Any]]) -> None:
        timed = [e for e in events if isinstance(e.get("at"), int | float)]
        self._events = sorted(timed, key=lambda e: float(e["at"]))  # stable: same-time order
        self._next = 0
        self.material: dict[str, Any] | None = None
        self.shown = False
        self.strokes: dict[int, dict[str, Any]] = {}
        self.changes = 0
        """Counts the events that changed the stage: equal counts, the same stage."""

    def advance(self, t: float) -> Stage | None:
        """The stage at `t` (not before the last `t` asked: the events are gone past)."""
        while self._next < len(self._events) and float(self._events[self._next]["at"]) <= t:
            self._apply(self._events[self._next])
            self._next += 1
        return self.stage()

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "material":
            material = event.get("material")
            self.material = material if isinstance(material, dict) and material.get("id") else None
        elif kind == "board":
            board = event.get("board") or {}
            self.shown = bool(board.get("shown"))
            self.strokes = {}
            for strokes in (board.get("pages") or {}).values():
                for stroke in strokes:
                    self._add(stroke)
        elif kind == "board_stroke":
            self._add(event.get("stroke"))
        elif kind == "board_removed":
            for seq in event.get("seqs") or []:
                self.strokes.pop(seq, None)
        elif kind == "board_settings":
            self.shown = bool(event.get("shown"))
        elif kind == "board_unrecorded":
            self.shown = False
            self.strokes = {}
        else:
            return
        self.changes += 1

    def _add(self, stroke: Any) -> None:
        if isinstance(stroke, dict) and isinstance(stroke.get("seq"), int):
            self.strokes[stroke["seq"]] = stroke

    def stage(self) -> Stage | None:
        if self.material is not None:
            material = self.material
            page = int(material.get("page") or 1)
            zoom = float(material.get("zoom") or 1.0)
            key = f"{material['id']}:{page}"
        elif self.shown:
            material, page, zoom, key = None, 1, 1.0, BLANK
        else:
            return None
        strokes = self.strokes
        on_page = tuple(strokes[s] for s in sorted(strokes) if strokes[s].get("page") == key)
        return Stage(material, page, zoom, on_page)


def stage_at(events: Iterable[dict[str, Any]], t: float) -> Stage | None:
    """The stage at `t` seconds (the server's clock, as the events' `at`)."""
    return Replay(events).advance(t)


def material_ids(events: Iterable[dict[str, Any]]) -> list[str]:
    """The materials a recording showed, in the order first shown."""
    found: list[str] = []
    for event in events:
        material = event.get("material") if event.get("type") == "material" else None
        if isinstance(material, dict) and isinstance(material.get("id"), str):
            if material["id"] not in found:
                found.append(material["id"])
    return found


def material_file(material_id: str) -> str:
    """The name a shown material's PDF is kept by in the recording's directory: the recording
    keeps what was shown, even if the class's material is deleted later."""
    return f"material-{material_id}.pdf"
