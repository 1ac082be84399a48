"""Who is speaking in a room: a dominant-speaker detector over RFC 6464 audio levels.

Pure logic: the router hands it, once per interval, each publisher's voice activity in that
interval (`VoiceMeter`, a few integer operations per audio packet, nothing decoded) and the
time; it answers who the speaker is. In the manner of Jitsi's DominantSpeakerIdentification
and mediasoup's ActiveSpeakerObserver, but smaller:

- an interval counts as voice only when most of its packets are loud (a click or a beep is a
  packet or two); each publisher's activity is smoothed over a few intervals (~300 ms), so a
  word's gaps do not count as silence;
- someone else takes over only after *leading* for `take_over` seconds: louder than the
  speaker by `margin`, and actually voiced for most of that time, so a cough, a laugh or a
  chair scraping does not move the highlight;
- the speaker who falls silent for `silence_clears` seconds stops being it (nobody speaks):
  the page marks who speaks *now*, and a highlight on someone silent for a minute misleads;
- whoever is not in an interval's activities (left, muted) stops being the speaker at once.

The V (voice activity) bit is ignored: aiortc always sends it clear, and the level alone
tells speech from silence well enough for a classroom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

QUIET_DBOV = 50
"""Audio at or below -50 dBov counts as silence (room noise, a breath); louder audio adds
its dB above that to the activity (-13 dBov: 37)."""
VOICED_SHARE = 0.5
"""An interval is heard as voice only when this share of its packets is louder than
`QUIET_DBOV`: speech fills an interval, a click or a beep is a packet or two (Chromium's fake
microphone, a 20 ms beep twice a second, otherwise took over in tests/browser)."""


_EARLY = 1e-6
"""Durations are compared a hair short: sums of float times fall just under the mark."""


class VoiceMeter:
    """One audio producer's activity since the last interval: the hot path's part."""

    __slots__ = ("activity", "packets", "voiced")

    def __init__(self) -> None:
        self.activity = 0
        self.packets = 0
        self.voiced = 0

    def add(self, level: int) -> None:
        """One packet's audio-level byte (V bit and -dBov level, 0 the loudest)."""
        dbov = level & 0x7F
        if dbov < QUIET_DBOV:
            self.activity += QUIET_DBOV - dbov
            self.voiced += 1
        self.packets += 1

    def take(self) -> int:
        """The mean activity per packet since the last call; 0 without packets or when too
        few of them were voiced (`VOICED_SHARE`). Restarts."""
        packets = self.packets
        voiced = packets and self.voiced >= VOICED_SHARE * packets
        mean = self.activity // packets if voiced else 0
        self.activity = self.packets = self.voiced = 0
        return mean


@dataclass(frozen=True)
class SpeakerParams:
    interval: float = 0.2
    """Seconds between two evaluations (the router's timer)."""
    smoothing: float = 0.5
    """Weight of the newest interval in a publisher's score: about 300 ms of memory."""
    active: float = 3.0
    """A score (and an interval's activity) from which someone counts as talking."""
    margin: float = 1.5
    """A challenger leads only while its score exceeds the speaker's this many times."""
    take_over: float = 1.0
    """Seconds a challenger must lead before it becomes the speaker."""
    voiced_share: float = 0.6
    """Of those seconds, the share its own intervals must be voiced (a cough's tail, still in
    the smoothed score, is not voice)."""
    silence_clears: float = 2.0
    """Seconds of the speaker's silence after which nobody is the speaker."""


@dataclass
class _Publisher:
    score: float = 0.0
    leading_since: float | None = None
    voiced: float = 0.0
    """Seconds of voiced intervals since it began to lead."""


@dataclass
class ActiveSpeaker:
    """The dominant speaker of one room, from interval activities (see the module)."""

    params: SpeakerParams = field(default_factory=SpeakerParams)
    speaker: str | None = None
    _publishers: dict[str, _Publisher] = field(default_factory=dict)
    _last: float | None = None
    _quiet_since: float | None = None

    def update(self, now: float, activities: Mapping[str, int]) -> bool:
        """Take one interval's activity of each publisher that may speak (not muted) at
        time `now`; True when `speaker` changed."""
        params = self.params
        elapsed = params.interval if self._last is None else max(now - self._last, 0.0)
        self._last = now
        start = now - elapsed
        for gone in self._publishers.keys() - activities.keys():
            del self._publishers[gone]
        for key, activity in activities.items():
            publisher = self._publishers.get(key)
            if publisher is None:
                publisher = self._publishers[key] = _Publisher()
            publisher.score += params.smoothing * (activity - publisher.score)

        before = self.speaker
        current = self._publishers.get(before) if before is not None else None
        if current is None:
            self.speaker = None
        elif current.score < params.active:
            if self._quiet_since is None:
                self._quiet_since = start
            if now - self._quiet_since >= params.silence_clears - _EARLY:
                self.speaker = None
        else:
            self._quiet_since = None

        bar = params.margin * current.score if current is not None and self.speaker else 0.0
        best: tuple[float, str] | None = None
        for key, publisher in self._publishers.items():
            if key == self.speaker:
                publisher.leading_since = None
                continue
            if publisher.score < params.active or publisher.score <= bar:
                publisher.leading_since = None
                publisher.voiced = 0.0
                continue
            if publisher.leading_since is None:
                publisher.leading_since = start
                publisher.voiced = 0.0
            if activities[key] >= params.active:
                publisher.voiced += elapsed
            led = now - publisher.leading_since
            if led >= params.take_over - _EARLY and publisher.voiced >= params.voiced_share * led:
                if best is None or publisher.score > best[0]:
                    best = (publisher.score, key)
        if best is not None:
            self.speaker = best[1]
            self._quiet_since = None
            for publisher in self._publishers.values():
                publisher.leading_since = None
                publisher.voiced = 0.0
        return self.speaker != before
