"""Synthetic moving pictures and tones for the bench media, drawn with numpy."""

import numpy as np
import numpy.typing as npt

# 3x5 pixel digits, row by row; scaled up when drawn so a decoder's output stays legible.
DIGITS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}

Plane = npt.NDArray[np.uint8]


class MovingPattern:
    """Frames of scrolling noise, a moving box and the frame number, as yuv420p arrays.

    Noise makes the encoder spend a realistic bitrate (flat pictures compress to almost
    nothing and would understate packet rates); the frame number lets a decoding subscriber
    check which frame it got.
    """

    def __init__(self, width: int, height: int, seed: int = 1, still: bool = False) -> None:
        """`still`: the noise stays put, as a room behind a speaker does (only the box and
        the number move); by default it scrolls, the worst case for an encoder."""
        if width % 2 or height % 2:
            raise ValueError("pattern size must be even")
        self.width = width
        self.height = height
        self.still = still
        rng = np.random.default_rng(seed)
        self._noise: Plane = rng.integers(0, 64, (height, width * 2), dtype=np.uint8)
        self._ramp = (np.arange(width, dtype=np.int32) * 160 // width).astype(np.int32)

    def frame(self, index: int) -> Plane:
        """The yuv420p picture for frame ``index``, shaped ``(height * 3 // 2, width)``."""
        w, h = self.width, self.height
        shift = 0 if self.still else (index * 4) % w
        luma = self._noise[:, shift : shift + w].astype(np.int32)
        luma += np.roll(self._ramp, 0 if self.still else index * 6)[np.newaxis, :]
        y = np.clip(luma + 16, 16, 235).astype(np.uint8)

        box = max(8, h // 4)
        bx = (index * max(1, w // 128)) % (w - box)
        by = (h - box) // 2
        y[by : by + box, bx : bx + box] = 235
        self._draw_number(y, index, scale=max(2, h // 72))

        u = np.full((h // 2, w // 2), 128, np.uint8)
        v = np.full((h // 2, w // 2), 96 + (index % 64), np.uint8)
        u[by // 2 : (by + box) // 2, bx // 2 : (bx + box) // 2] = 200
        return np.concatenate([y, u.reshape(h // 4, w), v.reshape(h // 4, w)])

    @staticmethod
    def _draw_number(y: Plane, number: int, scale: int) -> None:
        x0 = y0 = scale * 2
        for ch in str(number):
            glyph = np.array([[c == "1" for c in row] for row in DIGITS[ch]], dtype=bool)
            big = np.kron(glyph, np.ones((scale, scale), dtype=bool))
            gh, gw = big.shape
            if x0 + gw > y.shape[1] or y0 + gh > y.shape[0]:
                return
            area = y[y0 : y0 + gh, x0 : x0 + gw]
            area[:] = 16
            area[big] = 235
            x0 += gw + scale


def beeping_tone(seconds: float, rate: int = 48000, pitch: float = 1.0) -> npt.NDArray[np.int16]:
    """A 440 Hz tone with a 100 ms 880 Hz beep at each whole second (marks for A/V sync);
    `pitch` scales both (1.5: a fifth above, the right channel of the stereo clip)."""
    t = np.arange(int(seconds * rate)) / rate
    freq = pitch * np.where((t % 1.0) < 0.1, 880.0, 440.0)
    wave = 0.3 * np.sin(2 * np.pi * np.cumsum(freq) / rate)
    return (wave * 32767).astype(np.int16)
