"""Plain counters the SFU bumps on its hot path; signalling exports them to Prometheus."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Counters:
    """Totals since start, shared by every object of one SFU process."""

    packets_in: int = 0
    """RTP packets received from publishers."""
    bytes_in: int = 0
    packets_out: int = 0
    """RTP packets sent to subscribers, retransmissions included."""
    bytes_out: int = 0
    nacks_received: int = 0
    """Sequence numbers subscribers asked to be retransmitted."""
    retransmissions: int = 0
    nacks_sent: int = 0
    """Sequence numbers we asked publishers to retransmit."""
    plis_received: int = 0
    """PLI/FIR from subscribers."""
    keyframe_requests: int = 0
    """Keyframe requests made to producers (before coalescing)."""
    plis_sent: int = 0
    """PLIs actually sent to publishers (after coalescing)."""
    layer_changes: int = 0
    """Times a consumer was given more or fewer temporal layers (or paused) for its downlink."""
    feedback_errors: int = 0
    """Transport feedback packets from subscribers that could not be read."""
    spatial_switches: int = 0
    """Simulcast layer switches made (at a keyframe of the layer switched to)."""
    padding_packets: int = 0
    """Padding-only packets sent to subscribers to probe their downlinks (sfu/probe.py)."""
    downlink_probes: int = 0
    """Probes started: padding to see whether a subscriber's link takes the next step up."""
    video_pauses: int = 0
    """Times a subscriber's video was paused because its downlink fit not even the base layer."""
    duplicates_dropped: int = 0
    """Second copies of a publisher's video packet (two retransmissions), not forwarded."""
    opus_packets: int = 0
    """Opus packets received from publishers."""
    opus_stereo_packets: int = 0
    """Of those, the ones whose TOC byte says stereo (RFC 6716 3.1): music mode really flows."""
    speaker_changes: int = 0
    """Times a room's active speaker changed: to someone else, or to nobody (sfu/speaker.py)."""

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
