"""GET /metrics: Prometheus text built from the SFU's counters at scrape time."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

COUNTERS = {
    "packets_in": "RTP packets received from publishers",
    "bytes_in": "RTP bytes received from publishers",
    "packets_out": "RTP packets sent to subscribers, retransmissions included",
    "bytes_out": "RTP bytes sent to subscribers",
    "nacks_received": "sequence numbers subscribers asked to be retransmitted",
    "retransmissions": "packets retransmitted to subscribers",
    "nacks_sent": "sequence numbers asked of publishers",
    "plis_received": "PLI/FIR received from subscribers",
    "keyframe_requests": "keyframe requests made to producers, before coalescing",
    "plis_sent": "PLIs sent to publishers, after coalescing",
    "layer_changes": "videos given more or fewer temporal layers for a subscriber's downlink",
    "spatial_switches": "simulcast layer switches made for subscribers (at keyframes)",
    "feedback_errors": "transport feedback packets from subscribers that could not be read",
    "padding_packets": "padding-only packets sent to probe subscribers' downlinks",
    "downlink_probes": "probes of a subscriber's downlink for room to step up",
    "video_pauses": "videos paused because a subscriber's downlink fit not even the base layer",
    "duplicates_dropped": "second copies of a publisher's video packets, not forwarded",
    "opus_packets": "Opus packets received from publishers",
    "opus_stereo_packets": "Opus packets received whose TOC byte says stereo",
    "speaker_changes": "times a room's active speaker changed, to someone else or to nobody",
}


class _Snapshot(Collector):
    def __init__(
        self,
        stats: dict[str, int],
        participants: int,
        errors: dict[str, int],
        downlinks: list[dict[str, Any]],
        relays: int,
    ) -> None:
        self._relays = relays
        self._stats = stats
        self._participants = participants
        self._errors = errors
        self._downlinks = downlinks

    def collect(self):  # type: ignore[no-untyped-def]
        yield GaugeMetricFamily("classroom_rooms", "live rooms", value=self._stats["rooms"])
        yield GaugeMetricFamily(
            "classroom_participants", "participants in live rooms", value=self._participants
        )
        yield GaugeMetricFamily(
            "classroom_producers", "published tracks", value=self._stats["producers"]
        )
        yield GaugeMetricFamily(
            "classroom_door_relays",
            "connections this node relays to the district node holding their room",
            value=self._relays,
        )
        yield GaugeMetricFamily(
            "classroom_sfu_pipes_out",
            "pipes this node sends an event's stage through, one per room and edge node",
            value=self._stats.get("pipes_out", 0),
        )
        yield GaugeMetricFamily(
            "classroom_sfu_pipes_in",
            "rooms whose stage another node pipes to this one (this node is their edge)",
            value=self._stats.get("pipes_in", 0),
        )
        for name, help_text in COUNTERS.items():
            yield CounterMetricFamily(f"classroom_sfu_{name}", help_text, value=self._stats[name])
        errors = CounterMetricFamily(
            "classroom_protocol_errors", "error replies sent, by code", labels=["code"]
        )
        for code, count in sorted(self._errors.items()):
            errors.add_metric([code], count)
        yield errors
        budget = GaugeMetricFamily(
            "classroom_subscriber_downlink_bps",
            "what a participant's downlink is estimated to carry (REMB and loss), bits/s",
            labels=["room", "participant"],
        )
        estimate = GaugeMetricFamily(
            "classroom_subscriber_estimate_bps",
            "the latest delay-based estimate of a participant's downlink, bits/s, by source "
            "(twcc: ours from its transport feedback; remb: its browser's)",
            labels=["room", "participant", "source"],
        )
        pacer = GaugeMetricFamily(
            "classroom_subscriber_pacer_delay_ms",
            "how long the oldest packet waiting in a participant's pacer has waited, ms "
            "(only a downlink that showed its limit is paced)",
            labels=["room", "participant"],
        )
        sent = GaugeMetricFamily(
            "classroom_subscriber_sent_bps",
            "what the SFU sent the participant over the last second, bits/s",
            labels=["room", "participant"],
        )
        layer = GaugeMetricFamily(
            "classroom_subscriber_video_layer",
            "highest temporal layer forwarded of a video (2: all, -1: paused)",
            labels=["room", "participant", "track"],
        )
        spatial = GaugeMetricFamily(
            "classroom_subscriber_video_spatial_layer",
            "simulcast layer forwarded of a video (0: the smallest picture; 0 without simulcast)",
            labels=["room", "participant", "track"],
        )
        width = GaugeMetricFamily(
            "classroom_subscriber_video_width",
            "width of the picture forwarded of a video, pixels (0: not known yet)",
            labels=["room", "participant", "track"],
        )
        frames = CounterMetricFamily(
            "classroom_subscriber_video_frames",
            "video frames forwarded to a participant whole, after its downlink's layers",
            labels=["room", "participant", "track"],
        )
        delay = GaugeMetricFamily(
            "classroom_subscriber_playout_delay_ms",
            "least delay a participant on a lossy link is asked to buffer video for, ms",
            labels=["room", "participant"],
        )
        for entry in self._downlinks:
            labels = [str(entry["room"]), str(entry["peer"])]
            if entry.get("budget") is not None:
                budget.add_metric(labels, float(entry["budget"]))
            sent.add_metric(labels, float(entry.get("sent", 0)))
            pacer.add_metric(labels, float(entry.get("pacer_delay_ms", 0)))
            if entry.get("estimate") is not None:
                estimate.add_metric([*labels, str(entry.get("source"))], float(entry["estimate"]))
            delay.add_metric(labels, float(entry.get("playout_delay_ms", 0)))
            for video in entry.get("videos", []):
                layer.add_metric([*labels, str(video["track"])], float(video["layer"]))
                spatial.add_metric([*labels, str(video["track"])], float(video.get("spatial", 0)))
                width.add_metric([*labels, str(video["track"])], float(video.get("width", 0)))
                frames.add_metric([*labels, str(video["track"])], float(video.get("frames", 0)))
        yield budget
        yield estimate
        yield pacer
        yield sent
        yield delay
        yield layer
        yield spatial
        yield width
        yield frames


def render(
    stats: dict[str, int],
    participants: int,
    errors: dict[str, int],
    downlinks: list[dict[str, Any]] | None = None,
    relays: int = 0,
) -> bytes:
    registry = CollectorRegistry()
    registry.register(_Snapshot(stats, participants, errors, downlinks or [], relays))
    return generate_latest(registry)
