"""A live room's whiteboard: strokes drawn over a blank page or a material's page, who may
draw, undo and clear (issue 18). Pure state and rules, like `moderation` and `showing`;
signalling checks the sender, tells the room, and gives the whole board to a joiner.

Every accepted stroke gets the room's next sequence number, so every page draws the strokes
in the server's order whatever order they were sent in. The board is bounded (MAX_STROKES,
MAX_POINTS) so a room cannot be made to hold, and send to every joiner, an unbounded board.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

TOOLS = ("pen", "highlighter", "line", "rect", "ellipse", "text", "eraser")
"""`eraser` strokes are drawn as the board's background over what is under them; removing a
whole stroke is `erase` (the client's eraser that removes the stroke it touches)."""
PALETTE = ("#000000", "#e53935", "#1e88e5", "#43a047", "#fdd835", "#8e24aa", "#ffffff")
"""The only colours a stroke may have: a fixed palette keeps a page's input small and sure."""
MIN_WIDTH, MAX_WIDTH = 1, 64
"""A stroke's width in board units (the board is BOARD_WIDTH × BOARD_HEIGHT)."""
BOARD_WIDTH, BOARD_HEIGHT = 1600, 900
"""Coordinates are in this fixed frame (16:9), so pages of every size draw alike."""
MAX_STROKE_POINTS = 2000
"""Numbers (x, y, x, y...) one stroke may carry: 1000 points, ~12 KB of JSON, well inside a
64 KiB frame; a longer freehand line is sent as several strokes."""
MAX_TEXT = 500
MAX_STROKES = 5000
MAX_POINTS = 200_000
"""Bounds of one room's board (all its pages): numbers of points in all strokes, strokes."""
BLANK = "blank"
MAX_PAGE = 1_000_000
PART_BYTES = 64_000
"""Bytes of strokes (as JSON) one message gives a joining page: a full board is 2-3 MB, sent
in parts this size (`joined`, then `board_strokes`), never as one message. One stroke is at
most ~15 KB (2,000 numbers), so every part holds at least one."""

# Stable error codes (docs/protocol.md, "Whiteboard").
NOT_ALLOWED = "board_not_allowed"
STROKE_INVALID = "board_stroke_invalid"
FULL = "board_full"
NOTHING_TO_UNDO = "board_nothing_to_undo"


class BoardError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def page_key(page: Any) -> str:
    """ "blank", or "<materialId>:<page>": the page a stroke belongs to."""
    if page == BLANK:
        return BLANK
    if isinstance(page, dict):
        material, number = page.get("materialId"), page.get("page")
        if (
            isinstance(material, str)
            and 1 <= len(material) <= 64
            and ":" not in material
            and isinstance(number, int)
            and not isinstance(number, bool)
            and 1 <= number <= MAX_PAGE
        ):
            return f"{material}:{number}"
    raise BoardError(
        STROKE_INVALID, "'page' must be \"blank\" or {materialId, page} (a page number)"
    )


def _invalid(message: str) -> BoardError:
    return BoardError(STROKE_INVALID, message)


@dataclass
class Stroke:
    seq: int
    by: str
    page: str
    tool: str
    color: str
    width: int
    points: list[float]
    text: str | None = None
    size: int = 0
    """Bytes of its JSON, to cut a joiner's board into parts (set when it is kept)."""

    def to_dict(self) -> dict[str, Any]:
        stroke: dict[str, Any] = {
            "seq": self.seq,
            "by": self.by,
            "page": self.page,
            "tool": self.tool,
            "color": self.color,
            "width": self.width,
            "points": self.points,
        }
        if self.text is not None:
            stroke["text"] = self.text
        return stroke


def parse_stroke(body: dict[str, Any]) -> tuple[str, str, str, int, list[float], str | None]:
    """The stroke a `board_stroke` carries (page, tool, colour, width, points, text), or
    BoardError(STROKE_INVALID) saying what is wrong."""
    page = page_key(body.get("page"))
    tool = body.get("tool")
    if tool not in TOOLS:
        raise _invalid(f"'tool' must be one of {', '.join(TOOLS)}")
    color = body.get("color")
    if color not in PALETTE:
        raise _invalid(f"'color' must be one of {', '.join(PALETTE)}")
    width = body.get("width")
    if not isinstance(width, int) or isinstance(width, bool) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise _invalid(f"'width' must be a whole number from {MIN_WIDTH} to {MAX_WIDTH}")
    points = body.get("points")
    if not isinstance(points, list) or len(points) % 2 or not 2 <= len(points) <= MAX_STROKE_POINTS:
        raise _invalid(
            f"'points' must be a flat list [x, y, ...] of 2 to {MAX_STROKE_POINTS} numbers"
        )
    for value in points:
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or not -BOARD_WIDTH <= value <= 2 * BOARD_WIDTH
        ):
            raise _invalid("'points' must be finite numbers near the board")
    # Rounded to a tenth of a unit: finer says nothing on a screen, and costs every joiner.
    kept = [round(float(v), 1) for v in points]
    if tool in ("line", "rect", "ellipse") and len(kept) != 4:
        raise _invalid(f"a {tool} has two points: [x1, y1, x2, y2]")
    text = body.get("text")
    if tool == "text":
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise _invalid(f"a text stroke has 'text' of 1 to {MAX_TEXT} characters")
        if len(kept) != 2:
            raise _invalid("a text stroke has one point: where it starts [x, y]")
    elif text is not None:
        raise _invalid("only a text stroke has 'text'")
    return page, str(tool), str(color), width, kept, text


@dataclass
class Board:
    strokes: dict[int, Stroke] = field(default_factory=dict)
    """By sequence number; a dict keeps insertion (= sequence) order and removes in O(1)."""
    next_seq: int = 1
    points: int = 0
    """Numbers of points held now (each stroke's len(points) / 2 summed)."""
    allowed: str = "none"
    """Who besides the hosts may draw: "none", "all" (every pupil), or one participant id."""
    shown: bool = False
    """The blank board is on everyone's stage (a host opened it); a material's pages carry
    their strokes whenever the material is shown."""

    def may_draw(self, participant_id: str, host: bool, audience: bool = False) -> bool:
        if host:
            return True
        if audience:  # an event's audience watches; it is never called to the board
            return False
        return self.allowed == "all" or self.allowed == participant_id

    def add(self, by: str, body: dict[str, Any]) -> Stroke:
        page, tool, color, width, points, text = parse_stroke(body)
        count = len(points) // 2
        if len(self.strokes) >= MAX_STROKES or self.points + count > MAX_POINTS:
            raise BoardError(
                FULL,
                f"the board is full ({MAX_STROKES} strokes, {MAX_POINTS} points):"
                " the teacher clears it to draw again",
            )
        stroke = Stroke(self.next_seq, by, page, tool, color, width, points, text)
        stroke.size = len(json.dumps(stroke.to_dict()))
        self.next_seq += 1
        self.strokes[stroke.seq] = stroke
        self.points += count
        return stroke

    def _remove(self, seq: int) -> Stroke:
        stroke = self.strokes.pop(seq)
        self.points -= len(stroke.points) // 2
        return stroke

    def undo(self, by: str) -> Stroke:
        """Take back `by`'s last stroke still on the board."""
        for seq in reversed(self.strokes):
            if self.strokes[seq].by == by:
                return self._remove(seq)
        raise BoardError(NOTHING_TO_UNDO, "none of your strokes is on the board")

    def erase(self, seq: int, by: str, host: bool) -> Stroke:
        """Remove one stroke: a host any, anyone else their own."""
        stroke = self.strokes.get(seq)
        if stroke is None:
            raise _invalid(f"no stroke {seq} on the board")
        if not host and stroke.by != by:
            raise BoardError(NOT_ALLOWED, "you may erase only your own strokes")
        return self._remove(seq)

    def clear(self, page: str | None = None) -> list[int]:
        """Remove every stroke (of `page`, or of all pages); their sequence numbers."""
        gone = [s for s, st in self.strokes.items() if page is None or st.page == page]
        for seq in gone:
            self._remove(seq)
        return gone

    def allow(self, who: str) -> None:
        self.allowed = who

    def to_dict(self) -> dict[str, Any]:
        """The whole board, as the recording's `board` line carries it: strokes in order, by
        page."""
        return {**self._head(), "pages": _by_page(list(self.strokes.values()))}

    def _head(self) -> dict[str, Any]:
        return {"shown": self.shown, "allowed": self.allowed, "seq": self.next_seq - 1}

    def parts(self, budget: int = PART_BYTES) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The board for a joining page as `joined`'s `board` (its settings and the first
        strokes) and the `board_strokes` messages that follow it with the rest, in order,
        each at most `budget` bytes of strokes. A board that fits is all in `joined`."""
        parts: list[list[Stroke]] = [[]]
        used = 0
        for stroke in self.strokes.values():
            if parts[-1] and used + stroke.size > budget:
                parts.append([])
                used = 0
            parts[-1].append(stroke)
            used += stroke.size
        first = {**self._head(), "pages": _by_page(parts[0])}
        if len(parts) > 1:
            first["more"] = len(parts) - 1
        rest = [
            {"type": "board_strokes", "pages": _by_page(part), "more": len(parts) - i}
            for i, part in enumerate(parts[1:], start=2)
        ]
        return first, rest


def _by_page(strokes: list[Stroke]) -> dict[str, list[dict[str, Any]]]:
    pages: dict[str, list[dict[str, Any]]] = {}
    for stroke in strokes:
        pages.setdefault(stroke.page, []).append(stroke.to_dict())
    return pages
