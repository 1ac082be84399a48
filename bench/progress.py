"""A one-line progress display on stderr: which run, which step, what phase, how far."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    """Redraws one status line in place on a terminal; elsewhere prints each phase once."""

    def __init__(self, total_steps: int, stream: TextIO | None = None) -> None:
        self.total = max(1, total_steps)
        self.done = 0
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._label = ""
        self._last_phase = ""
        self._started = time.monotonic()

    def step(self, label: str) -> None:
        """A new step begins (``lesson ours N=8``)."""
        self._label = label
        self._last_phase = ""

    def phase(self, text: str, fraction: float | None = None) -> None:
        """What the current step is doing; ``fraction`` of it done, if known."""
        overall = (self.done + (fraction or 0.0)) / self.total
        filled = int(WIDTH * min(1.0, overall))
        bar = "#" * filled + "-" * (WIDTH - filled)
        elapsed = time.monotonic() - self._started
        line = f"[{bar}] {self.done + 1}/{self.total} {self._label}: {text} ({elapsed:.0f} s)"
        if self._tty:
            self._stream.write("\r\x1b[2K" + line)
            self._stream.flush()
        elif text.split(" ", 1)[0] != self._last_phase:
            # Logs get one line per phase, not one per redraw.
            self._last_phase = text.split(" ", 1)[0]
            self._stream.write(line + "\n")
            self._stream.flush()

    def finish_step(self, summary: str) -> None:
        """The step is over: leave its summary on a line of its own."""
        self.done += 1
        if self._tty:
            self._stream.write("\r\x1b[2K")
        self._stream.write(f"{self.done}/{self.total} {self._label}: {summary}\n")
        self._stream.flush()

    def skip(self, steps: int) -> None:
        """Planned steps that will not run (a ramp stopped early)."""
        self.done += steps

    def note(self, text: str) -> None:
        """A message that must stay visible (a skipped server, an error)."""
        if self._tty:
            self._stream.write("\r\x1b[2K")
        self._stream.write(text + "\n")
        self._stream.flush()
