"""The bench's scenarios: who joins which room, publishing what and seeing whom, for a size N."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .media import EncodedFrame, load_audio, load_video
from .target import JoinSpec, PublishSpec

# How many other pupils a pupil sees in a lesson (besides the teacher): a gallery of a few.
PUPILS_SEEN = 3
ROOM_PUPILS = 10

DEFAULT_STEPS = {
    "lesson": [2, 4, 8, 12, 16, 24, 32],
    "meeting": [2, 3, 4, 6, 8, 10],
    "broadcast": [5, 10, 20, 30, 40, 60],
    "rooms": [1, 2, 3, 4],
}
# Quick rooms: 2 lessons, so that with 2 SFU processes each holds one.
QUICK_STEPS = {"lesson": [2, 4], "meeting": [2, 3], "broadcast": [2, 8], "rooms": [2]}
# The decoding relay saturates its core with a handful of 720p subscribers: small N only.
RELAY_STEPS = {"lesson": [1, 2, 3]}
RELAY_QUICK_STEPS = {"lesson": [1]}


@dataclass(frozen=True)
class Media:
    """The clips every publisher shares (read-only frame lists)."""

    video_720p: list[EncodedFrame]
    video_360p: list[EncodedFrame]
    audio: list[EncodedFrame]

    @classmethod
    def load(cls) -> Media:
        return cls(load_video(1280, 720), load_video(640, 360), load_audio())

    @property
    def camera_720p(self) -> PublishSpec:
        return PublishSpec(video=self.video_720p, audio=self.audio)

    @property
    def camera_360p(self) -> PublishSpec:
        return PublishSpec(video=self.video_360p, audio=self.audio)


@dataclass
class Plan:
    """One step: the participants in join order, and how many rooms they fill."""

    scenario: str
    n: int
    rooms: int
    joins: list[JoinSpec]


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
    room = f"broadcast-{n}"
    performer = JoinSpec(room, "performer", role="teacher", publish=media.camera_720p)
    return Plan("broadcast", n, 1, [performer, *(JoinSpec(room, f"viewer-{k}") for k in range(n))])


def rooms(n: int, media: Media) -> Plan:
    joins = [j for m in range(n) for j in lesson_joins(f"rooms-{n}-{m}", ROOM_PUPILS, media)]
    return Plan("rooms", n, n, joins)


SCENARIOS: dict[str, Callable[[int, Media], Plan]] = {
    "lesson": lesson,
    "meeting": meeting,
    "broadcast": broadcast,
    "rooms": rooms,
}


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
