"""Who is on the stage of a composed video: whoever speaks, the teacher while no one does.

The director hears each participant's loudness slice by slice, a second ahead of the
picture it decides for (`LOOKAHEAD`), so the stage turns to a speaker as they begin rather
than a second after, and only if they go on speaking: a cough or a "yes" from a pupil does
not flick the picture back and forth. Each choice holds at least `HOLD` seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

SPEAKING = 0.01
"""Loudness (RMS, full scale 1) above which a participant counts as speaking: about -40 dBFS,
well over a quiet room's noise after the browser's noise suppression."""
ONSET = 0.2
"""The stage turns to someone who starts speaking within this many seconds."""
WINDOW = 1.0
"""Seconds of sound, from the moment decided on, that confirm a new speaker: they must
speak in `SUSTAINED` of it and be louder over it than whoever has the stage."""
SUSTAINED = 0.3
HOLD = 2.0
"""The shortest time anyone stays on the stage before someone else may take it."""
LOOKAHEAD = WINDOW
"""How far ahead of the picture the director must have heard (seconds)."""


class Director:
    def __init__(self, default: str | None = None) -> None:
        self._heard: deque[tuple[float, dict[str, float]]] = deque()
        self._on_stage = default
        self._since = float("-inf")

    def hear(self, at: float, levels: dict[str, float]) -> None:
        """Each participant's loudness in the slice of sound starting at `at` seconds."""
        self._heard.append((at, levels))

    def on_stage(self, at: float, candidates: Iterable[str]) -> str | None:
        """Who takes the stage at `at`, among the `candidates` (those with a picture)."""
        while self._heard and self._heard[0][0] < at:
            self._heard.popleft()
        present = list(candidates)
        loudness: dict[str, float] = {}
        speaking: dict[str, int] = {}
        starting: set[str] = set()
        slices = 0
        for when, levels in self._heard:
            if when >= at + WINDOW:
                break
            slices += 1
            for who, value in levels.items():
                loudness[who] = loudness.get(who, 0.0) + value
                if value >= SPEAKING:
                    speaking[who] = speaking.get(who, 0) + 1
                    if when < at + ONSET:
                        starting.add(who)
        current = self._on_stage if self._on_stage in present else None
        newcomers = [
            who
            for who in present
            if who != current
            and who in starting
            and speaking[who] >= SUSTAINED * slices
            and loudness[who] > loudness.get(current or "", 0.0)
        ]
        if current is None and present:
            # The stage is empty (the start, or its speaker's camera went): fill it now.
            self._choose(max(newcomers, key=loudness.__getitem__, default=present[0]), at)
        elif newcomers and at - self._since >= HOLD:
            self._choose(max(newcomers, key=loudness.__getitem__), at)
        return self._on_stage if self._on_stage in present else None

    def _choose(self, who: str, at: float) -> None:
        self._on_stage, self._since = who, at
