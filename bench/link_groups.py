"""Pupils' downlinks in the `weak` scenario: groups of links, and which pupil is on which.

Each group is one kind of connection a class really has. The impairment sits on the
server → pupil direction of a `bench.relay.UdpRelay` on the pupil's subscribe connection
(its feedback to the server goes back unimpaired), seeded per pupil.
"""

from __future__ import annotations

from dataclasses import dataclass

from .impairment import Impairment


@dataclass(frozen=True)
class LinkGroup:
    name: str
    downlink: Impairment | None
    """None: the pupil is connected directly (no relay)."""

    @property
    def description(self) -> str:
        return describe(self.downlink)


WEAK_GROUPS = (
    LinkGroup("good", None),
    # A congested DSL or a fair 4G cell: the teacher's whole 720p does not fit, its base
    # layer does. 300 ms of buffer at the bottleneck, as a home router holds.
    LinkGroup("1 Mbit", Impairment(bandwidth_kbps=1000, queue_ms=300)),
    # A rural school's shared line or a phone on the edge of coverage: random loss and
    # jitter on top of a narrow link; only audio and a trickle of video fit.
    LinkGroup(
        "300 kbit + 2 % loss", Impairment(bandwidth_kbps=300, queue_ms=300, loss=0.02, jitter_ms=30)
    ),
)


def assign(pupils: int, groups: tuple[LinkGroup, ...] = WEAK_GROUPS) -> list[LinkGroup]:
    """Each pupil's group, in join order: round robin, so that group sizes differ by at most
    one and every group has pupils joining early and late."""
    return [groups[k % len(groups)] for k in range(pupils)]


def describe(downlink: Impairment | None) -> str:
    """A link in a few words: ``1000 kbit/s, 300 ms queue, 2 % loss, 30 ms jitter``."""
    if downlink is None or downlink.is_perfect:
        return "direct (no impairment)"
    parts = []
    if downlink.bandwidth_kbps is not None:
        parts.append(f"{downlink.bandwidth_kbps:g} kbit/s, {downlink.queue_ms:g} ms queue")
    if downlink.loss:
        parts.append(f"{downlink.loss * 100:g} % loss")
    if downlink.burst_loss:
        parts.append(
            f"bursts of {downlink.burst_length:g} starting at {downlink.burst_loss * 100:g} %"
        )
    if downlink.delay_ms:
        parts.append(f"{downlink.delay_ms:g} ms delay")
    if downlink.jitter_ms:
        parts.append(f"{downlink.jitter_ms:g} ms jitter")
    return ", ".join(parts)
