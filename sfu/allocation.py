"""Share one subscriber's downlink among the videos it receives: which layers fit, which pause.

Pure: the inputs are numbers, the output is a layer per video. `Peer` runs it every second
with its `Downlink` estimate and the producers' measured layer rates.

Rules, in order:
- audio is never paused; its measured rate comes off the budget first;
- every video gets its base layer, most valuable first (a screen share before cameras,
  because a pupil reading the board needs it more than a face; then the teacher's camera
  before pupils'), until the budget runs out: the videos that do not fit are paused;
- the remaining budget raises layers, most valuable video first, to its full frame rate
  before the next video gets more than its base layer.
Going up (a layer, or out of a pause) needs `UP_HEADROOM` above the measured rate, so an
estimate hovering at one layer's edge does not switch it on and off every second; staying
where one is needs only the rate itself. Going down waits `DOWN_AFTER` seconds (`DownHold`),
unless the budget is far under what is sent.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from .layers import PAUSED

UP_HEADROOM = 1.15
SOURCE_PRIORITY = {"screen": 2, "camera": 1}


@dataclass(frozen=True)
class Demand:
    """One video a subscriber receives, as the allocator sees it."""

    key: Hashable
    source: str
    rates: Sequence[float]
    """Bits/s of each step of its ladder (`ladder`), ascending: for a track without
    simulcast, its temporal layers 0..n together, for n = 0..MAX_LAYER (equal without
    layers)."""
    current: int
    """The step it gets now (PAUSED: none)."""
    priority: int = 0
    """Its publisher's rank among cameras (a teacher's 1, a pupil's 0)."""


def allocate(budget: float, audio: float, demands: Sequence[Demand]) -> dict[Hashable, int]:
    """The layer (or PAUSED) each video gets out of `budget` bits/s; `audio` is spent first."""
    if math.isinf(budget):
        return {d.key: len(d.rates) - 1 for d in demands}
    available = budget - audio
    ordered = by_value(demands)
    layers: dict[Hashable, int] = {}
    for demand in ordered:
        need = demand.rates[0]
        headroom = 1.0 if demand.current != PAUSED else UP_HEADROOM
        if need * headroom <= available:
            layers[demand.key] = 0
            available -= need
        else:
            layers[demand.key] = PAUSED
    for demand in ordered:
        if layers[demand.key] == PAUSED:
            continue
        for layer in range(1, len(demand.rates)):
            extra = demand.rates[layer] - demand.rates[layer - 1]
            headroom = 1.0 if layer <= demand.current else UP_HEADROOM
            if extra * headroom > available:
                break
            layers[demand.key] = layer
            available -= extra
    return layers


def step_up_need(
    audio: float, demands: Sequence[Demand], steps: dict[Hashable, int]
) -> float | None:
    """The budget at which the most valuable video that plays below the top of its ladder
    would be given its next step (with `UP_HEADROOM`), all else kept; None when every playing
    video has all its ladder holds. Paused videos are left to `PauseProbe`."""
    playing = [d for d in demands if steps[d.key] != PAUSED]
    spent = given_rate(audio, demands, steps)
    for demand in by_value(playing):
        step = steps[demand.key]
        if step + 1 < len(demand.rates):
            return spent + (demand.rates[step + 1] - demand.rates[step]) * UP_HEADROOM
    return None


def given_rate(audio: float, demands: Sequence[Demand], steps: dict[Hashable, int]) -> float:
    """Bits/s of what the subscriber is given: audio and each playing video's step."""
    return audio + sum(d.rates[steps[d.key]] for d in demands if steps[d.key] != PAUSED)


def by_value(demands: Sequence[Demand]) -> list[Demand]:
    """Most valuable first: screens before cameras, a teacher's camera before a pupil's."""
    return sorted(demands, key=lambda d: (-SOURCE_PRIORITY.get(d.source, 0), -d.priority))


@dataclass(frozen=True)
class Rung:
    """One step of a video's ladder: a simulcast layer at a frame rate, and its bits/s."""

    spatial: int
    temporal: int
    rate: float


def ladder(rates: Sequence[Sequence[float]], spatials: Sequence[int]) -> list[Rung]:
    """The steps a video can be given, cheapest first, from each encoding's temporal layer
    rates (`rates[s][t]`: bits/s of layers 0..t of encoding s) and the encodings that may be
    sent (`spatials`, ascending: the ones arriving, up to the size shown).

    The smallest encoding counts from its base layer up; a larger one only at its full frame
    rate: a jerky larger picture looks worse than a fluid smaller one (a moving face, a hand
    writing on the board), and each switch between encodings costs a keyframe. Measured in
    Chromium behind 300 kbit/s: offered 480x270 at half rate, the teacher came at 4 frames
    a second with freezes; 240x135 at full rate is what such a link carries.

    A step never costs less than the one below it (a layer measured cheaper than the
    smaller encoding's full rate is counted at that rate), so the allocator's extra cost of
    a step is never negative."""
    steps: list[Rung] = []
    floor = 0.0
    for position, spatial in enumerate(spatials):
        layer_rates = rates[spatial]
        first = 0 if position == 0 else len(layer_rates) - 1
        for temporal in range(first, len(layer_rates)):
            floor = max(floor, layer_rates[temporal])
            steps.append(Rung(spatial, temporal, floor))
    return steps


def spatial_cap(sizes: Sequence[tuple[int, int] | None], shown: tuple[int, int] | None) -> int:
    """The smallest encoding whose picture covers what the subscriber shows (`shown`, in
    device pixels; None: not said, everything), given each encoding's size (None: not
    known yet, taken as half the next larger one's, as our client publishes them).

    "Covers" allows 15 % less than the tile: a 640x360 layer in a 700-pixel tile is scaled
    up a little, which is better than the next layer's 4× the bits."""
    count = len(sizes)
    if shown is None or count <= 1:
        return count - 1
    width, height = shown
    for index in range(count):
        size = sizes[index]
        if size is None:
            size = _guess_size(sizes, index)
        if size is None:
            return count - 1
        if size[0] >= width * 0.85 and size[1] >= height * 0.85:
            return index
    return count - 1


def _guess_size(sizes: Sequence[tuple[int, int] | None], index: int) -> tuple[int, int] | None:
    for known in range(len(sizes) - 1, -1, -1):
        size = sizes[known]
        if size is not None:
            scale = 2.0 ** (known - index)
            return int(size[0] / scale), int(size[1] / scale)
    return None


DOWN_AFTER = 2.0
"""Seconds a video's layers must go on not fitting before fewer are sent. On a jittery link
Chrome's REMB dips by 15 % now and then and climbs back within two seconds; followed at once,
a pupil with 50 ms of jitter watched the teacher at half the frame rate for seconds at a time."""
SEVERE = 0.5
"""A budget under this share of what is being sent is acted on at once: a link far too
narrow loses more in two seconds than a lower frame rate costs."""


UP_GRACE = 5.0
"""Seconds a step just given is kept through a dip of a receiver's REMB (unless `SEVERE`): the
step's first keyframe arrives as a burst, and a receiver's estimate dips under it for a few
seconds. Measured (aiortc pupils behind 1 Mbit/s): taken back after `DOWN_AFTER`, a pupil
went 480x270 → 240x135 → 480x270 every ~10 s. Not through a dip of our own estimate
(`bandwidth.py`): its decrease is 0.85x what the subscriber received while a queue grew, a
measurement that the step does not fit. Kept 5 s anyway, a Chromium pupil behind 300 kbit/s
was sent 320 kbit/s over a budget of 230 for those seconds and its picture froze."""


class DownHold:
    """Keeps a video's layers for `DOWN_AFTER` seconds after the budget stops fitting them
    (`UP_GRACE` after they were raised), unless the budget is far below what is sent (the
    caller says so)."""

    __slots__ = ("since", "raised_at")

    def __init__(self) -> None:
        self.since: float | None = None
        self.raised_at = float("-inf")

    def adjust(
        self, chosen: int, current: int, now: float, far_over: bool, grace: bool = True
    ) -> int:
        """The layer to give, given what the allocator chose (not a pause: `PauseProbe`);
        `grace`: a step just raised is kept `UP_GRACE` (the budget is a receiver's REMB)."""
        if chosen > current:
            self.raised_at = now
        if not 0 <= chosen < current:
            self.since = None
            return chosen
        if self.since is None:
            self.since = now
        if not grace and now - self.raised_at < UP_GRACE:
            self.since = None
            return chosen  # the step just tried does not fit: our estimate measured it
        held = now - self.since < DOWN_AFTER or (grace and now - self.raised_at < UP_GRACE)
        if held and not far_over:
            return current
        self.since = None
        return chosen


FIRST_PROBE = 5.0
"""Seconds a paused video waits before it is tried again anyway."""
MAX_PROBE = 60.0
PROBE_GRACE = 4.0
"""Seconds a tried-again video keeps its base layer whatever the estimate says."""
PAUSE_AFTER = 4.0
"""Seconds the base layer must go on not fitting before a video pauses: a keyframe makes
the measured rate jump for a second, and a resumed video costs another keyframe. A
receiver's delay-based estimate also dips after a keyframe's burst and takes seconds to
climb back: aiortc's, behind a 600 kbit/s link with a 1 s queue, fell from 450 to 255 kbit/s
(under the base layer) for 3-4 s, and at 1.5 s that pupil's video paused in half the runs
of `tests/integration/test_downlink.py`."""
SEVERE_PAUSE_AFTER = 1.5
"""The same wait when the budget is far under what is sent (`SEVERE`): a link that narrow
loses audio too while it waits."""


class PauseProbe:
    """Tries a paused video again now and then, although the estimate says it does not fit.

    A receiver's estimate only grows to about 1.5× what it receives (libwebrtc's
    AimdRateControl caps it so), and a paused video is not received: left to the estimate
    alone, a pupil whose link recovered would never see video again. So after `FIRST_PROBE`
    seconds the base layer is sent anyway, for `PROBE_GRACE` seconds in which the estimate
    can grow with it; if it then still does not fit, the video pauses again and the next try
    waits twice as long (up to `MAX_PROBE`). A playing video pauses only once its base layer
    has not fitted for `PAUSE_AFTER` seconds (`SEVERE_PAUSE_AFTER` when the budget is far
    under what is sent); meanwhile it keeps the base layer.
    """

    __slots__ = ("backoff", "next_at", "grace_until", "doubt_since")

    def __init__(self) -> None:
        self.backoff = FIRST_PROBE
        self.next_at: float | None = None
        self.grace_until = float("-inf")
        self.doubt_since: float | None = None
        """Since when the base layer has not fitted (the video still plays)."""

    def adjust(
        self,
        chosen: int,
        current: int,
        now: float,
        far_over: bool = False,
        may_try: bool = True,
    ) -> int:
        """The layer to give, given what the allocator chose and what the video has now;
        `far_over`: the budget is far under what is sent (see `SEVERE`); `may_try`: no more
        valuable video is paused (a try goes to the teacher's camera before a pupil's)."""
        if chosen != PAUSED:
            self.doubt_since = None
            if now >= self.grace_until:
                self.backoff = FIRST_PROBE  # it fits on its own: the link is back
                self.next_at = None
            return chosen
        if current != PAUSED:
            if now < self.grace_until:
                return 0  # a try in progress: give the estimate time to follow
            if self.doubt_since is None:
                self.doubt_since = now
            if now - self.doubt_since < (SEVERE_PAUSE_AFTER if far_over else PAUSE_AFTER):
                return 0
            self.doubt_since = None
            if self.next_at is not None:  # the try failed: wait longer next time
                self.backoff = min(MAX_PROBE, self.backoff * 2)
            self.next_at = now + self.backoff
            return PAUSED
        if self.next_at is None:
            self.next_at = now + self.backoff
        if now >= self.next_at and may_try:
            self.grace_until = now + PROBE_GRACE
            return 0
        return PAUSED
