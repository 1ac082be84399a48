"""`weak-simulcast`: the `weak` lesson with the teacher's camera in three sizes.

The teacher publishes as the web client does (``bench.simulcast``: RIDs q / h / f at
240x135, 480x270 and 960x540, each L1T3, plus Opus); the pupils and their links are
`weak`'s. Our server chooses each pupil's layer itself, from its downlink estimate (no
``set_video_sizes``: the teacher is shown as large as the layers go). Janus VideoRoom does
not fit a subscriber's stream to its downlink (it only falls back to a lower substream when
the chosen one stops arriving), so a page on Janus has to pick: each pupil asks for the
layer its link carries (``PAGE_SUBSTREAM``), as an application that knew its pupils' links
would. That is the best Janus can be given here; ours has to find the same by itself.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from . import simulcast
from .media import EncodedFrame
from .target import PublishSpec

if TYPE_CHECKING:
    from .scenarios import Plan

SCENARIO = "weak-simulcast"
PAGE_SUBSTREAM = {"good": 2, "1 Mbit": 1, "300 kbit + 2 % loss": 0}
"""The layer a page on Janus asks for per link group (`bench.link_groups.WEAK_GROUPS`):
960x540 at about 1.2 Mbit/s on a direct link, 480x270 at 500 kbit/s behind 1 Mbit/s,
240x135 at 150 kbit/s behind 300 kbit/s (with audio and packet overhead, each fits)."""


def shared_clips() -> list[list[EncodedFrame]]:
    """The three layers' clips, loaded once per process and shared by every step."""
    return simulcast.shared_clips()


def with_simulcast_teacher(plan: Plan) -> Plan:
    """``plan`` (a `weak` step) with every publisher's camera sent as simulcast and every
    grouped pupil asking Janus for its group's layer."""
    clips = shared_clips()
    joins = []
    for join in plan.joins:
        if join.publish is not None:
            join = replace(
                join, publish=PublishSpec(video=None, audio=join.publish.audio, simulcast=clips)
            )
        elif join.group is not None:
            join = replace(join, substream=PAGE_SUBSTREAM.get(join.group))
        joins.append(join)
    return replace(plan, scenario=SCENARIO, joins=joins)
