"""Where a consumer's packets go: a subscriber's connection now, a recorder or HLS writer later."""

from __future__ import annotations

from typing import Protocol


class RtpSink(Protocol):
    def send_rtp(self, data: bytes) -> None:
        """Send one RTP packet, already rewritten for this sink; never blocks."""

    def send_rtcp(self, data: bytes) -> None:
        """Send one (compound) RTCP packet."""
