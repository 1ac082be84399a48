"""Fitting one subscriber's downlink: each second, what each video it receives is given.

`Peer` owns the connections and the consumers; this owns what is decided about them from the
downlink: its estimate (`Downlink`), the layer and size each video gets (`allocation`), the
pauses and the holds, the padding that probes for room (`probe`), the pacing rate and the
playout delay, and the quality each video is reported at. Driven by the router's timer
(`allocate`, once a second) and by the page (`set_video_sizes`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

from .allocation import (
    SEVERE,
    Demand,
    DownHold,
    PauseProbe,
    Rung,
    allocate,
    by_value,
    given_rate,
    ladder,
    spatial_cap,
    step_up_need,
)
from .consumer import REPAIR_SHARE
from .counters import Counters
from .downlink import Downlink
from .ids import TrackId
from .layers import MAX_LAYER, PAUSED
from .pacer import PACING_FACTOR
from .probe import Prober

if TYPE_CHECKING:
    from .aiortc_glue import Connection
    from .consumer import Consumer

QualityReport = Callable[[TrackId, str], None]
"""A video became "full", "reduced" or "paused" for this subscriber."""


class DownlinkFitter:
    """What one subscriber's downlink carries, and what each of its videos gets of it."""

    def __init__(self, counters: Counters, on_quality: QualityReport | None = None) -> None:
        self._counters = counters
        self._on_quality = on_quality
        self._loop = asyncio.get_running_loop()
        self.downlink = Downlink()
        """What the link can take (its REMB or our estimate, and the loss it reports)."""
        self.video_sizes: dict[TrackId, tuple[int, int]] = {}
        """The size each video is drawn at on the subscriber's screen (`set_video_sizes`)."""
        self._quality: dict[TrackId, str] = {}
        self._probes: dict[TrackId, PauseProbe] = {}
        self._holds: dict[TrackId, DownHold] = {}
        self._prober = Prober(self.downlink, counters)
        """Pads the downlink, now and then, to see whether it takes a step more."""
        self._octets_sent = 0

    def allocate(
        self, consumers: Sequence[Consumer], connection: Connection | None, elapsed: float
    ) -> None:
        """Give each video in `consumers` (what the subscriber receives now) the layers its
        downlink can carry, and of a simulcast track the encoding that fits the size it is
        shown at; `elapsed`: seconds since the last call (0: not the timer's)."""
        octets = sum(c.wire_octets for c in consumers)
        if elapsed > 0:
            sent = max(0, octets - self._octets_sent) * 8 / elapsed
            self.downlink.tick(sent, self._loop.time())
        self._octets_sent = octets
        budget = self.downlink.budget()
        if connection is not None:
            # Paced only on our own estimate: a REMB reads abs-send-time, written before the
            # pacer, and would take the pacer's queue for the link's (the spiral of earlier
            # attempts: a lower estimate, slower pacing, a longer queue).
            paced = budget is not None and self.downlink.source == "twcc"
            connection.set_pacing(PACING_FACTOR * budget if paced and budget else None)
        now = self._loop.time()
        delay = self.downlink.playout_delay(now)
        for consumer in consumers:
            if consumer.kind == "video":
                consumer.set_playout_delay(delay)
        videos = [c for c in consumers if c.kind == "video" and not c.producer.muted]
        for consumer in videos:
            # Each video's retransmissions within its share of the budget (see `repair_rate`).
            consumer.repair_rate = None if budget is None else REPAIR_SHARE * budget / len(videos)
        if (
            budget is None
            and all(c.layer == MAX_LAYER for c in videos)
            and not any(c.producer.simulcast for c in videos)
        ):
            return
        audio = sum(c.producer.layer_rates[-1] for c in consumers if c.kind == "audio")
        ladders = {c: self.ladder(c, now) for c in videos}
        demands = [
            Demand(
                c,
                c.producer.source,
                [rung.rate for rung in ladders[c]],
                _step_of(ladders[c], c.spatial_target, c.layer),
                c.producer.priority,
            )
            for c in videos
        ]
        chosen = allocate(float("inf") if budget is None else budget, audio, demands)
        far_over = budget is not None and budget < SEVERE * self.downlink.sent_rate
        grace = self.downlink.source != "twcc"
        given: dict[Hashable, int] = {}
        paused_above = False  # a more valuable video than this one is paused
        rank = {id(d): i for i, d in enumerate(by_value(demands))}
        pairs = sorted(zip(videos, demands, strict=True), key=lambda p: rank[id(p[1])])
        for consumer, demand in pairs:
            step = chosen[consumer]
            track = consumer.producer.id
            if step == PAUSED or track in self._probes:
                probe = self._probes.setdefault(track, PauseProbe())
                step = probe.adjust(step, demand.current, now, far_over, not paused_above)
            hold = self._holds.setdefault(track, DownHold())
            step = hold.adjust(step, demand.current, now, far_over, grace)
            paused_above = paused_above or step == PAUSED
            steps = ladders[consumer]
            if step == PAUSED:
                layer = PAUSED
            else:
                rung = steps[min(step, len(steps) - 1)]
                layer = rung.temporal
                consumer.set_spatial(rung.spatial)
            if layer != consumer.layer:
                consumer.set_layer(layer)
                self._counters.layer_changes += 1
            self._report_quality(consumer, step, demand.rates)
            given[consumer] = step
        if budget is not None:
            need = step_up_need(audio, demands, given)
            spent = given_rate(audio, demands, given)
            self._prober.steer(now, spent, need, videos[0] if videos else None)

    def ladder(self, consumer: Consumer, now: float) -> list[Rung]:
        """The steps `consumer`'s video can be given: its encodings that arrive, up to the
        one that covers the size the subscriber shows it at."""
        producer = consumer.producer
        encodings = producer.encodings
        rates = [e.layer_rates for e in encodings]
        if not producer.simulcast:
            return ladder(rates, [0])
        cap = spatial_cap([e.size for e in encodings], self.video_sizes.get(producer.id))
        live = [e.index for e in producer.live_encodings(now)]
        spatials = [i for i in live if i <= cap] or live[:1]
        return ladder(rates, spatials)

    def forget(self, track: TrackId) -> None:
        """The subscriber no longer receives `track`."""
        self._quality.pop(track, None)
        self._probes.pop(track, None)
        self._holds.pop(track, None)

    def report(
        self, videos: Sequence[Consumer], connection: Connection | None
    ) -> dict[str, object]:
        """For /metrics: the budget (bits/s; None: unknown) and each received video's layer."""
        downlink = self.downlink
        delay = downlink.playout_delay(self._loop.time())
        return {
            "budget": downlink.budget(),
            "estimate": downlink.estimate,
            "pacer_delay_ms": round(
                1000 * (0.0 if connection is None else connection.pacer_delay())
            ),
            "source": downlink.source,
            "probes": self._prober.probe.tries,
            "sent": round(downlink.sent_rate),
            "playout_delay_ms": delay[0] if delay else 0,
            "videos": [
                {
                    "track": str(c.producer.id),
                    "layer": c.forwarded_layer,
                    "spatial": c.spatial,
                    "width": (c.producer.encodings[c.spatial].size or (0, 0))[0],
                    "frames": c.frames_sent,
                }
                for c in videos
            ],
        }

    def stop(self) -> None:
        self._prober.stop()

    def _report_quality(self, consumer: Consumer, step: int, rates: Sequence[float]) -> None:
        if step == PAUSED:
            quality = "paused"
        elif step < len(rates) - 1 and rates[step] < rates[-1]:
            quality = "reduced"
        else:
            quality = "full"
        track = consumer.producer.id
        if self._quality.get(track, "full") != quality:
            self._quality[track] = quality
            if quality == "paused":
                self._counters.video_pauses += 1
            if self._on_quality is not None:
                self._on_quality(track, quality)


def _step_of(steps: list[Rung], spatial: int, temporal: int) -> int:
    """The step of `steps` a consumer sending (`spatial`, `temporal`) is on: the highest not
    above it (PAUSED stays PAUSED)."""
    if temporal == PAUSED:
        return PAUSED
    found = 0
    for index, rung in enumerate(steps):
        if (rung.spatial, rung.temporal) <= (spatial, temporal):
            found = index
    return found
