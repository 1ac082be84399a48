"""What the load generator drives: an SFU under test ("ours", "district", "janus" or "relay").

A scenario only joins participants to rooms and reads what they received; each target turns
that into its own signalling (our WebSocket protocol, Janus VideoRoom over HTTP, aiortc's
decoding relay). Every target's participants report the same `StreamStats` (bench.rtp_stats),
so loss, time to first frame and packet rates are counted identically for all servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .gallery import PageSize
from .impairment import Impairment
from .media import EncodedFrame
from .publication import TONE_LEVEL_DBOV
from .rtp_stats import StreamStats
from .subscription import Feedback


@dataclass
class PublishSpec:
    """What a participant sends: pre-encoded frames, shared read-only between participants."""

    video: list[EncodedFrame] | None
    audio: list[EncodedFrame] | None
    layered: bool = False
    """``video`` has three VP8 temporal layers (L1T3), sent marked as Chrome does."""
    audio_level: int | None = TONE_LEVEL_DBOV
    """dBov in the audio-level extension (-127: silence): whom the server hears speaking."""
    simulcast: list[list[EncodedFrame]] | None = None
    """The camera in three sizes instead of ``video`` (``bench.simulcast``: L1T3 clips,
    smallest first), sent as simulcast layers as the web client's camera is."""


@dataclass
class JoinSpec:
    room: str
    identity: str
    role: str = "pupil"
    """"teacher" or "pupil" (a Janus target ignores it)."""
    publish: PublishSpec | None = None
    subscribe_to: list[str] | None = field(default=None)
    """Identities whose media this participant receives; None: everyone's."""
    page: PageSize | None = None
    """Receive videos as a lesson page this size does (``bench.gallery``): those on its first
    page of the class's cameras, and everyone's sound. None: every video (of
    ``subscribe_to``)."""
    downlink: Impairment | None = None
    """What the network does to the media this participant receives: its subscribe
    connection goes through a ``UdpRelay`` impairing the server → participant direction,
    seeded with ``link_seed``. None: direct."""
    link_seed: int = 0
    feedback: Feedback | None = None
    """How this participant receives (``bench.subscription``); None: as the target says."""
    group: str | None = None
    """The link group it belongs to, for per-group results (``weak``)."""
    substream: int | None = None
    """The simulcast layer (0: smallest) a page asks for on a target that does not choose
    by itself (Janus: ``configure`` with ``substream``); None: the target's default. Our
    server picks by the downlink and ignores it."""
    event: bool = False
    """The room is an event (``broadcast``): a target that can makes it one, with music mode
    for its publisher, the rest its audience, and its live HLS fetched by HLS clients."""


class Participant(Protocol):
    identity: str
    join_started_at: float | None
    """time.monotonic() when joining began (time to first frame is measured from here)."""

    def streams(self) -> list[StreamStats]:
        """Every RTP stream received so far."""
        ...

    # Optional (looked up with getattr by the load generator):
    # - ``source_of(stream) -> identity | None``: who published a stream (time to first frame);
    # - ``async packets_sent() -> int``: RTP packets this participant's senders sent (pps_in);
    # - ``server_ports() -> set[int]``: the server's UDP ports it receives from, which tell
    #   which server process forwards its packets;
    # - ``relay``: the ``UdpRelay`` its subscribe connection goes through (``downlink``);
    # - ``shown_videos() -> list[identity] | None``: whose videos it asks for now (``page``),
    #   None for every video;
    # - ``video_pauses() -> int``: times the server paused a video to it (``video_quality``).

    async def close(self) -> None: ...


class Target(Protocol):
    name: str
    """"ours", "district", "janus" or "relay": the `server` field of the results."""

    # Optional (looked up with getattr by the load generator):
    # - ``nodes``: a district's node count (the `nodes` field of the results);
    # - ``extra_stats() -> dict`` (or an awaitable of one): what only this target measures,
    #   read after the window and merged into the record's ``extra``;
    # - ``groups([(spec, participant)]) -> {room/identity: group}`` (or an awaitable of it):
    #   groups for ``group_stats`` that only the target can tell, read after the warm-up
    #   (a district: the node each event viewer's media comes from);
    # - ``async window_opens()``: called just before the window (a district reads its
    #   nodes' counters, to give their rates over it).

    def server_pids(self) -> list[int]:
        """Processes whose CPU and memory are the server's (read from /proc)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def join(self, spec: JoinSpec) -> Participant:
        """Join (and publish, if asked); returns once signalling is done, not when media flows."""
        ...
