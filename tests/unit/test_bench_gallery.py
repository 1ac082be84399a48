"""bench.gallery: the lesson page's rule for which videos it asks for (web_client/tiles.js,
gallery.js, seen.js), and the bots and Janus participants that follow it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.bots import SubscriberBot
from bench.gallery import COMPUTER, PHONE, SETTLE_S, Gallery, PageSize
from bench.janus.participant import page_streams


def room(gallery: Gallery, pupils: int, *, teacher_at: int = 0) -> None:
    """A class as the page learns of it: pupils p0, p1, … with the teacher at ``teacher_at``."""
    people = [(f"p{k}", f"pupil-{k}", "pupil") for k in range(pupils)]
    people.insert(teacher_at, ("t", "teacher", "teacher"))
    for key, identity, role in people:
        gallery.add(key, identity, role)


def test_the_page_sizes_are_the_web_client_s() -> None:
    # gallery.js: PER_PAGE_PHONE 4, PER_PAGE_WIDE 9, STRIP_PHONE 3, STRIP_WIDE 5.
    assert PHONE == PageSize(cameras=4, strip=3)
    assert COMPUTER == PageSize(cameras=9, strip=5)
    assert SETTLE_S == 0.25  # seen.js SETTLE_MS


def test_a_phone_shows_the_teacher_and_the_first_three_classmates() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 29)
    assert gallery.shown() == ["t", "p0", "p1", "p2"]
    assert gallery.video() == ["pupil-0", "pupil-1", "pupil-2", "teacher"]


def test_the_teacher_comes_first_whenever_they_joined() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10, teacher_at=7)
    assert gallery.shown() == ["t", "p0", "p1", "p2"]


def test_a_class_that_fits_on_one_page_asks_for_every_video() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 3)  # 4 remote cameras: one page, no pager
    assert gallery.shown() is None and gallery.video() is None
    assert gallery.add("p3", "pupil-3", "pupil")  # the fifth makes a pager: a change
    assert gallery.video() == ["pupil-0", "pupil-1", "pupil-2", "teacher"]
    assert not gallery.add("p4", "pupil-4", "pupil")  # off the page: nothing changes


def test_a_computer_shows_nine() -> None:
    gallery = Gallery(COMPUTER)
    room(gallery, 29)
    assert gallery.shown() == ["t", *[f"p{k}" for k in range(8)]]


def test_order_overrides_the_learning_order() -> None:
    gallery = Gallery(PHONE)
    for k in (5, 1, 4, 2, 3, 0):
        gallery.add(f"p{k}", f"pupil-{k}", "pupil", order=k)
    assert gallery.shown() == ["p0", "p1", "p2", "p3"]


def test_someone_on_the_page_who_leaves_makes_room_for_the_next() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10)
    assert not gallery.remove("p7")  # off the page
    assert not gallery.remove("nobody")
    assert gallery.remove("p1")
    assert gallery.shown() == ["t", "p0", "p2", "p3"]
    # Until everyone left fits on one page again.
    for k in (0, 2, 3, 4, 5, 6):
        gallery.remove(f"p{k}")
    assert gallery.shown() is None  # the teacher, p8, p9


def test_a_speaker_off_the_page_comes_first_and_stays() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10)
    assert not gallery.set_speaker("p1")  # on the page: does not move
    assert not gallery.set_speaker(None)
    assert not gallery.set_speaker("stranger")
    assert gallery.set_speaker("p8")
    assert gallery.shown() == ["p8", "t", "p0", "p1"]
    assert not gallery.set_speaker(None)  # silence: they stay
    assert gallery.set_speaker("p9")  # another off-page speaker takes the place
    assert gallery.shown() == ["p9", "t", "p0", "p1"]
    gallery.remove("p9")
    assert gallery.shown() == ["t", "p0", "p1", "p2"]


def test_nobody_is_brought_in_while_everyone_fits() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 2)
    assert not gallery.set_speaker("p1")
    assert gallery.brought_in is None


def test_the_pinned_person_takes_the_stage_and_the_page_is_a_strip() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10)
    assert gallery.set_pinned("p6")
    assert gallery.shown() == ["p6", "t", "p0"]  # STRIP_PHONE beside the stage
    gallery.set_speaker("p8")
    assert gallery.shown() == ["p6", "p8", "t"]  # pinned first, then the speaker
    assert gallery.set_pinned(None)
    assert gallery.shown() == ["p8", "t", "p0", "p1"]


def test_a_pinned_person_who_is_not_here_changes_nothing() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10)
    assert not gallery.set_pinned("gone")
    assert gallery.shown() == ["t", "p0", "p1", "p2"]


def test_a_shared_screen_is_asked_for_wherever_its_sharer_is() -> None:
    gallery = Gallery(PHONE)
    room(gallery, 10)
    assert gallery.set_screen("p7", True)
    assert not gallery.set_screen("p7", True)
    assert not gallery.set_screen("stranger", True)
    # A screen takes the stage: the strip holds 3 cameras, and the sharer's video comes too.
    assert gallery.shown() == ["t", "p0", "p1"]
    assert gallery.video() == ["pupil-0", "pupil-1", "pupil-7", "teacher"]
    assert gallery.set_screen("p7", False)
    assert gallery.video() == ["pupil-0", "pupil-1", "pupil-2", "teacher"]


def test_janus_streams_are_every_audio_and_the_page_s_videos() -> None:
    def publisher(display: str) -> dict[str, Any]:
        streams = [{"type": "audio", "mid": "0"}, {"type": "video", "mid": "1"}]
        return {"display": display, "streams": streams}

    feeds = {1: publisher("teacher"), 2: publisher("pupil-0"), 3: publisher("pupil-1")}
    feeds[4] = {"display": "pupil-2", "streams": [{"type": "video", "mid": "0", "disabled": True}]}
    assert page_streams(feeds, ["teacher"]) == {(1, "0"), (1, "1"), (2, "0"), (3, "0")}
    assert page_streams(feeds, None) == {(f, m) for f in (1, 2, 3) for m in ("0", "1")}


# The bot's side: the room's events in, `set_subscriptions` out.


class FakeSignal:
    """Records requests; answers each with ok."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.closed = False

    async def request(self, message: dict[str, Any], *, within: float = 10.0) -> dict[str, Any]:
        self.requests.append(message)
        return {"type": "ok"}

    async def close(self) -> None:
        self.closed = True


def person(pid: str, identity: str, role: str = "pupil", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "identity": identity, "role": role, "tracks": [], **extra}


def joined(others: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"self": {"id": "me"}, "participants": others, "pinned": None, **extra}


@pytest.fixture
def bot() -> SubscriberBot:
    bot = SubscriberBot("http://127.0.0.1:9", "token", page=PHONE)
    bot._signal = FakeSignal()  # type: ignore[assignment]
    return bot


def sent(bot: SubscriberBot) -> list[Any]:
    """The ``video`` of each ``set_subscriptions`` the bot sent."""
    signal = bot._signal
    assert isinstance(signal, FakeSignal)
    asked = [r for r in signal.requests if r["type"] == "set_subscriptions"]
    assert all(r["identities"] is None for r in asked)
    assert all(r["type"] in ("set_subscriptions", "set_video_sizes") for r in signal.requests)
    return [r["video"] for r in asked]


async def settle() -> None:
    await asyncio.sleep(SETTLE_S + 0.1)


async def test_after_joining_the_bot_asks_once_even_when_everyone_fits(bot: SubscriberBot) -> None:
    bot.joined = joined([person("t", "teacher", "teacher"), person("a", "pupil-a")])
    bot._show_room(bot.joined)
    await settle()
    assert sent(bot) == [None]  # seen.js: after a (re)join it asks, here for every video
    assert bot.shown_videos() is None
    await bot.close()


async def test_joins_in_a_burst_are_asked_for_once_where_they_stopped(bot: SubscriberBot) -> None:
    bot.joined = joined([person("t", "teacher", "teacher")])
    bot._show_room(bot.joined)
    for k in range(8):  # faster than SETTLE_S
        await bot._on_room_event(
            {"type": "participant_joined", "participant": person(f"p{k}", f"pupil-{k}")}
        )
        await asyncio.sleep(0.02)
    await settle()
    page = ["pupil-0", "pupil-1", "pupil-2", "teacher"]
    assert sent(bot) == [page]
    assert bot.video_requests == [page]
    # Someone on the page leaves: the next comes on, asked for once; one off it: nothing.
    await bot._on_room_event({"type": "participant_left", "participantId": "p6"})
    await bot._on_room_event({"type": "participant_left", "participantId": "p1"})
    await settle()
    assert sent(bot)[1:] == [["pupil-0", "pupil-2", "pupil-3", "teacher"]]
    # Our own join echoed (a second tab) is not a classmate.
    await bot._on_room_event({"type": "participant_joined", "participant": person("me", "me")})
    await settle()
    assert len(sent(bot)) == 2
    await bot.close()


async def test_the_bot_follows_the_speaker_the_pin_and_screens(bot: SubscriberBot) -> None:
    others = [person("t", "teacher", "teacher")] + [person(f"p{k}", f"pupil-{k}") for k in range(8)]
    bot.joined = joined(others, activeSpeaker="p7")
    bot._show_room(bot.joined)
    await settle()
    assert sent(bot) == [["pupil-0", "pupil-1", "pupil-7", "teacher"]]  # p7 brought in
    await bot._on_room_event({"type": "active_speaker", "participantId": "t"})  # on the page
    await bot._on_room_event({"type": "pinned", "participantId": "p5"})
    await settle()
    # Pinned first, then the speaker brought in, in a strip of 3 beside the stage.
    assert sent(bot)[1:] == [["pupil-5", "pupil-7", "teacher"]]
    await bot._on_room_event({"type": "pinned", "participantId": None})
    track = {"id": "s1", "kind": "video", "source": "screen"}
    await bot._on_room_event({"type": "track_added", "participantId": "p6", "track": track})
    await settle()
    assert sent(bot)[2:] == [["pupil-0", "pupil-6", "pupil-7", "teacher"]]
    await bot._on_room_event({"type": "track_removed", "participantId": "p6", "trackId": "s1"})
    await settle()
    assert sent(bot)[3:] == [["pupil-0", "pupil-1", "pupil-7", "teacher"]]
    await bot.close()


async def test_a_screen_shared_before_joining_counts(bot: SubscriberBot) -> None:
    screen = {"id": "s1", "kind": "video", "source": "screen"}
    others = [person("t", "teacher", "teacher")] + [
        person(f"p{k}", f"pupil-{k}", tracks=[screen] if k == 6 else []) for k in range(8)
    ]
    bot.joined = joined(others)
    bot._show_room(bot.joined)
    await settle()
    assert sent(bot) == [["pupil-0", "pupil-1", "pupil-6", "teacher"]]
    await bot.close()


# The sizes a page tells (set_video_sizes, seen.js): its tiles' (bench.tile_sizes).


def sizes_sent(bot: SubscriberBot) -> list[dict[str, list[int]]]:
    signal = bot._signal
    assert isinstance(signal, FakeSignal)
    return [r["sizes"] for r in signal.requests if r["type"] == "set_video_sizes"]


def kinds_sent(bot: SubscriberBot) -> list[str]:
    signal = bot._signal
    assert isinstance(signal, FakeSignal)
    return [str(r["type"]) for r in signal.requests]


def camera(pid: str) -> dict[str, Any]:
    return {"id": f"cam-{pid}", "kind": "video", "source": "camera", "muted": False}


def on_camera(pid: str, identity: str, role: str = "pupil") -> dict[str, Any]:
    microphone = {"id": f"mic-{pid}", "kind": "audio", "source": "microphone"}
    return person(pid, identity, role, tracks=[microphone, camera(pid)])


async def test_a_phone_tells_its_page_s_cameras_drawn_at_192x128_after_asking_for_them(
    bot: SubscriberBot,
) -> None:
    others = [on_camera("t", "teacher", "teacher")] + [
        on_camera(f"p{k}", f"pupil-{k}") for k in range(8)
    ]
    bot.joined = joined(others)
    bot._show_room(bot.joined)
    await settle()
    await settle()
    tile = [192, 128]
    page = {"cam-t": tile, "cam-p0": tile, "cam-p1": tile, "cam-p2": tile}
    assert sizes_sent(bot) == [page]
    assert bot.size_requests == [page] and bot.shown_sizes() == page
    # Asked for the videos first, then (250 ms on, seen.js) told their sizes.
    assert kinds_sent(bot) == ["set_subscriptions", "set_video_sizes"]
    # Someone off the page comes and goes: the tiles on the page stay as they are.
    await bot._on_room_event({"type": "participant_joined", "participant": on_camera("x", "x")})
    await bot._on_room_event({"type": "participant_left", "participantId": "x"})
    await settle()
    assert sizes_sent(bot) == [page]
    # Someone on the page leaves: the next one's camera is on the page in their place.
    await bot._on_room_event({"type": "participant_left", "participantId": "p1"})
    await settle()
    await settle()
    assert sizes_sent(bot)[1:] == [{"cam-t": tile, "cam-p0": tile, "cam-p2": tile, "cam-p3": tile}]
    await bot.close()


async def test_tiles_shrink_as_the_class_grows_and_a_camera_is_told_once_it_is_published(
    bot: SubscriberBot,
) -> None:
    bot.joined = joined([on_camera("t", "teacher", "teacher"), on_camera("p0", "pupil-0")])
    bot._show_room(bot.joined)
    await settle()
    await settle()
    # Everyone fits: 2 remote tiles and our own, 312 x 234 CSS pixels.
    assert sizes_sent(bot) == [{"cam-t": [320, 224], "cam-p0": [320, 224]}]
    # A pupil joins without a camera yet: a tile more, the others shrink; it has no size.
    await bot._on_room_event({"type": "participant_joined", "participant": person("p1", "p-1")})
    await settle()
    assert sizes_sent(bot)[1:] == [{"cam-t": [224, 160], "cam-p0": [224, 160]}]
    # Its camera is published: told too (the page's tracksChanged).
    await bot._on_room_event({"type": "track_added", "participantId": "p1", "track": camera("p1")})
    await settle()
    shown = [224, 160]
    assert sizes_sent(bot)[2:] == [{"cam-t": shown, "cam-p0": shown, "cam-p1": shown}]
    # And taken off when the camera goes.
    await bot._on_room_event({"type": "track_removed", "participantId": "p1", "trackId": "cam-p1"})
    await settle()
    assert sizes_sent(bot)[3:] == [{"cam-t": shown, "cam-p0": shown}]
    await bot.close()


async def test_a_page_at_a_pixel_ratio_of_3_tells_css_pixels_twice() -> None:
    bot = SubscriberBot("http://127.0.0.1:9", "token", page=PHONE, device_pixel_ratio=3)
    bot._signal = FakeSignal()  # type: ignore[assignment]
    others = [on_camera("t", "teacher", "teacher")] + [
        on_camera(f"p{k}", f"pupil-{k}") for k in range(4)
    ]
    bot.joined = joined(others)
    bot._show_room(bot.joined)
    await settle()
    await settle()
    assert sizes_sent(bot)[-1]["cam-t"] == [352, 288]
    await bot.close()


async def test_a_computer_s_page_of_nine_tells_224x128() -> None:
    bot = SubscriberBot("http://127.0.0.1:9", "token", page=COMPUTER)
    bot._signal = FakeSignal()  # type: ignore[assignment]
    bot.joined = joined([on_camera(f"p{k}", f"pupil-{k}") for k in range(29)])
    bot._show_room(bot.joined)
    await settle()
    await settle()
    assert sizes_sent(bot) == [{f"cam-p{k}": [224, 128] for k in range(9)}]
    await bot.close()
