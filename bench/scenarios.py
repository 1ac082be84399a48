"""The bench's scenarios: who joins which room, publishing what and seeing whom, for a size N."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from . import simulcast
from .gallery import COMPUTER, PHONE
from .link_groups import assign
from .media import (
    MUSIC_AUDIO,
    EncodedFrame,
    VideoSpec,
    load_audio,
    load_video,
    load_video_spec,
)
from .publication import TONE_LEVEL_DBOV
from .subscription import Feedback
from .target import JoinSpec, PublishSpec

# How many other pupils a pupil sees in a lesson (besides the teacher): a gallery of a few.
PUPILS_SEEN = 3
ROOM_PUPILS = 10

DEFAULT_STEPS = {
    "lesson": [2, 4, 8, 12, 16, 24, 32],
    "meeting": [2, 3, 4, 6, 8, 10],
    "broadcast": [5, 10, 20, 30, 40, 60],
    "rooms": [1, 2, 3, 4],
    "weak": [6, 12],
    "class": [10, 15, 20, 25, 30],
    "weak-simulcast": [6, 12],
}
# Quick rooms: 2 lessons, so that with 2 SFU processes each holds one.
QUICK_STEPS = {
    "lesson": [2, 4],
    "meeting": [2, 3],
    "broadcast": [2, 8],
    "rooms": [2],
    "weak": [3],
    "class": [6],
    "weak-simulcast": [3],
}
# The decoding relay saturates its core with a handful of 720p subscribers: small N only.
RELAY_STEPS = {"lesson": [1, 2, 3]}
RELAY_QUICK_STEPS = {"lesson": [1]}
LAYERED_720P = VideoSpec(width=1280, height=720, bitrate=1_500_000, temporal_layers=3)
"""The teacher's camera in `weak`: Chrome's L1T3, layers 0, 0-1, 0-2 at about 750, 1,100
and 1,500 kbit/s (7.5, 15 and 30 frames/s)."""
WEAK_WARMUP = 8.0
"""Seconds `weak` lets pass after the joins at least: a downlink estimate needs a few
seconds of a link's behaviour (and the server a REMB that fell, or stayed flat for 2 s)
before the stream is fitted to it."""
WEAK_FEEDBACK: Feedback = "aiortc"
"""`weak` pupils receive through aiortc's receiver, whose REMB (a port of libwebrtc's
receive-side estimator) is how a narrow link makes itself known, as a browser's does."""


@dataclass(frozen=True)
class Media:
    """The clips every publisher shares (read-only frame lists)."""

    video_720p: list[EncodedFrame]
    video_360p: list[EncodedFrame]
    audio: list[EncodedFrame]
    layered_720p: list[EncodedFrame] | None = None
    """`LAYERED_720P`, loaded only for the scenarios that need it (`weak`)."""
    music: list[EncodedFrame] | None = None
    """Stereo Opus at 256 kbit/s (`MUSIC_AUDIO`), for `broadcast`'s performer."""

    @classmethod
    def load(cls, *, layered: bool = False) -> Media:
        return cls(
            load_video(1280, 720),
            load_video(640, 360),
            load_audio(),
            load_video_spec(LAYERED_720P) if layered else None,
            load_audio(spec=MUSIC_AUDIO),
        )

    @property
    def camera_720p(self) -> PublishSpec:
        return PublishSpec(video=self.video_720p, audio=self.audio)

    @property
    def camera_360p(self) -> PublishSpec:
        return PublishSpec(video=self.video_360p, audio=self.audio)

    @property
    def layered_camera_720p(self) -> PublishSpec:
        if self.layered_720p is None:
            raise RuntimeError("load the media with layered=True for this scenario")
        return PublishSpec(video=self.layered_720p, audio=self.audio, layered=True)


@dataclass
class Plan:
    """One step: the participants in join order, and how many rooms they fill."""

    scenario: str
    n: int
    rooms: int
    joins: list[JoinSpec]
    min_warmup: float = 0.0
    """Seconds of warm-up this step needs at least, whatever the run's timing says."""
    every_step: bool = False
    """The ramp runs this scenario's next steps even after this one did not hold (a fixed
    class size to measure, not a capacity to find)."""


def lesson_joins(room: str, pupils: int, media: Media) -> list[JoinSpec]:
    """A teacher (720p) who sees everyone, and pupils (360p) who see the teacher + 3 pupils."""
    names = [f"pupil-{k}" for k in range(pupils)]
    joins = [JoinSpec(room, "teacher", role="teacher", publish=media.camera_720p)]
    for k, name in enumerate(names):
        # The pupils before this one (wrapping around): a gallery that differs per pupil.
        others = [names[(k - d) % pupils] for d in range(1, min(PUPILS_SEEN, pupils - 1) + 1)]
        # Seeing every other pupil is plain "everyone's": no subscription request needed.
        seen = None if len(others) == pupils - 1 else ["teacher", *others]
        joins.append(JoinSpec(room, name, publish=media.camera_360p, subscribe_to=seen))
    return joins


def lesson(n: int, media: Media) -> Plan:
    return Plan("lesson", n, 1, lesson_joins(f"lesson-{n}", n, media))


def meeting(n: int, media: Media) -> Plan:
    room = f"meeting-{n}"
    return Plan(
        "meeting",
        n,
        1,
        [JoinSpec(room, f"member-{k}", publish=media.camera_360p) for k in range(n)],
    )


def broadcast(n: int, media: Media) -> Plan:
    """A school concert: one performer (720p, stereo music) to N viewers who only watch. On
    our server the room is an event, so it is also composed and encoded to live HLS, which
    `HLS_VIEWERS` clients fetch (Janus has no HLS: it forwards only)."""
    room = f"broadcast-{n}"
    stage = PublishSpec(video=media.video_720p, audio=media.music or media.audio)
    performer = JoinSpec(room, "performer", role="teacher", publish=stage, event=True)
    viewers = [JoinSpec(room, f"viewer-{k}", role="guest", event=True) for k in range(n)]
    return Plan("broadcast", n, 1, [performer, *viewers])


def rooms(n: int, media: Media) -> Plan:
    joins = [j for m in range(n) for j in lesson_joins(f"rooms-{n}-{m}", ROOM_PUPILS, media)]
    return Plan("rooms", n, n, joins)


def weak(n: int, media: Media) -> Plan:
    """A lesson whose N pupils have mixed downlinks (`bench.link_groups`): the teacher
    publishes layered 720p + audio, pupils publish nothing and receive the teacher, each
    behind its group's link (relay seeded per pupil)."""
    room = f"weak-{n}"
    teacher = JoinSpec(room, "teacher", role="teacher", publish=media.layered_camera_720p)
    pupils = [
        JoinSpec(
            room,
            f"pupil-{k}",
            downlink=group.downlink,
            link_seed=k + 1,
            feedback=WEAK_FEEDBACK,
            group=group.name,
        )
        for k, group in enumerate(assign(n))
    ]
    return Plan("weak", n, 1, [teacher, *pupils], min_warmup=WEAK_WARMUP)


SILENT_DBOV = -127
"""RFC 6464's silence: a pupil listening (the server's active speaker stays the teacher)."""
CLASS_PUPIL_PAGE = PHONE
"""Pupils on phones: 4 cameras a page, the teacher's one of them."""
CLASS_TEACHER_PAGE = COMPUTER
"""The teacher on a computer: 9 cameras a page."""
CLASS_WARMUP = 10.0
"""Seconds `class` lets pass after the joins at least: every join re-offers to everyone (its
audio); the last joiners' pages settle 250 ms later, renegotiate once more and tell their
tiles' sizes 250 ms after that; a simulcast layer nobody's tile needs any more is let go 5 s
later (our server's ``publish_layers``, checked once a second), so the window sees the
layers each camera sends for the pages as they stay."""


def class_lesson(n: int, media: Media) -> Plan:
    """A whole class on the lesson page: a class of N is 1 teacher and N − 1 pupils, every
    camera on and sent as the web client sends it (simulcast, ``bench.simulcast``: 240x135,
    480x270 and 960x540, each L1T3, only the layers someone's tile needs). The teacher
    (talking) is on a computer, each pupil on a phone (a silent microphone: Opus DTX, a packet
    per 400 ms, both servers asking for it, ``bench.publication``), and each asks for
    videos as its page does (`bench.gallery`): the first page of the class's cameras, and
    everyone's sound; and tells the size its tiles are drawn at (`bench.tile_sizes`)."""
    room = f"class-{n}"
    camera = PublishSpec(video=None, audio=media.audio, simulcast=simulcast.shared_clips())
    teacher = JoinSpec(
        room,
        "teacher",
        role="teacher",
        publish=replace(camera, audio_level=TONE_LEVEL_DBOV),
        page=CLASS_TEACHER_PAGE,
    )
    pupil_camera = replace(camera, audio_level=SILENT_DBOV)
    pupils = [
        JoinSpec(room, f"pupil-{k}", publish=pupil_camera, page=CLASS_PUPIL_PAGE)
        for k in range(max(0, n - 1))
    ]
    return Plan("class", n, 1, [teacher, *pupils], min_warmup=CLASS_WARMUP, every_step=True)


def weak_simulcast(n: int, media: Media) -> Plan:
    """`weak` with the teacher's camera in three sizes (`bench.weak_simulcast`)."""
    from .weak_simulcast import with_simulcast_teacher

    return with_simulcast_teacher(weak(n, media))


SCENARIOS: dict[str, Callable[[int, Media], Plan]] = {
    "lesson": lesson,
    "meeting": meeting,
    "broadcast": broadcast,
    "rooms": rooms,
    "weak": weak,
    "class": class_lesson,
    "weak-simulcast": weak_simulcast,
}
LAYERED_SCENARIOS = {"weak", "weak-simulcast"}
"""Scenarios that need `Media.layered_720p`."""


def sources(plan: Plan) -> dict[str, list[JoinSpec]]:
    """For each participant (by identity), the publishers whose media it should receive."""
    by_room: dict[str, list[JoinSpec]] = {}
    for join in plan.joins:
        by_room.setdefault(join.room, []).append(join)
    found: dict[str, list[JoinSpec]] = {}
    for join in plan.joins:
        mates = by_room[join.room]
        wanted = set(join.subscribe_to) if join.subscribe_to is not None else None
        found[key(join)] = [
            m
            for m in mates
            if m.identity != join.identity
            and m.publish is not None
            and (wanted is None or m.identity in wanted)
        ]
    return found


def key(join: JoinSpec) -> str:
    """A participant's identity made unique across rooms (identities repeat per room)."""
    return f"{join.room}/{join.identity}"
