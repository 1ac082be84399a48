"""Where a consumer's packets go: a subscriber's connection now, a recorder or HLS writer later."""

from __future__ import annotations

from typing import Protocol

AUDIO, RETRANSMISSION, VIDEO = 0, 1, 2
"""A packet's kind, in the order a pacer lets them out (`pacer.Kind`'s values)."""


class RtpSink(Protocol):
    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        """Send one RTP packet, already rewritten for this sink; never blocks.

        Header and payload come apart so that the payload, shared by every consumer of a
        producer, is copied once, into the buffer where the sink encrypts it. `kind`
        (`AUDIO`, `RETRANSMISSION`, `VIDEO`): what a connection's pacer lets out first.
        """

    def send_rtcp(self, data: bytes) -> None:
        """Send one (compound) RTCP packet."""


class Nowhere:
    """The sink of a consumer whose subscriber is away (dropped, coming back): drops all."""

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        return None

    def send_rtcp(self, data: bytes) -> None:
        return None


NOWHERE = Nowhere()
