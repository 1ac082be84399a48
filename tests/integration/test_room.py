"""Room life over the protocol: joins and leaves, chat, mute and unpublish, health and metrics."""

from __future__ import annotations

import asyncio

import aiohttp

from bench.bots import PublisherBot, SubscriberBot
from classroom.roles import Role
from sfu.control import LocalSfu
from sfu.ids import PeerId, RoomId

from .conftest import ROOM, RunningServer


async def test_a_participant_who_leaves_disappears_for_the_others(server: RunningServer) -> None:
    async with (
        SubscriberBot(server.url, server.token("anna")) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
    ):
        await anna.join()
        joined = await boris.join()
        assert [p["identity"] for p in joined["participants"]] == ["anna"]
        left = asyncio.ensure_future(anna.signal.wait_for("participant_left"))
        await boris.leave()
        assert (await left)["participantId"] == boris.participant_id
        assert (await server.counters())["peers"] == 1


async def test_chat_reaches_everyone_and_late_joiners_get_the_history(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("anna")) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
        SubscriberBot(server.url, server.token("vera")) as vera,
    ):
        await anna.join()
        await boris.join()
        heard = asyncio.ensure_future(boris.signal.wait_for("chat"))
        await anna.chat("Привет, класс!")
        message = await heard
        assert (message["text"], message["from"]["name"]) == ("Привет, класс!", "Anna")
        joined = await vera.join()
        assert [m["text"] for m in joined["chat"]] == ["Привет, класс!"]


async def test_a_muted_microphone_stops_at_the_server_and_comes_back(
    server: RunningServer,
) -> None:
    async with (
        PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=None) as teacher,
        SubscriberBot(server.url, server.token("pupil")) as pupil,
    ):
        await teacher.start()
        await pupil.join()
        (audio,) = await pupil.wait_for_streams(1, packets=10)
        notice = asyncio.ensure_future(pupil.signal.wait_for("track_muted"))
        await teacher.signal.mute("microphone", True)
        assert (await notice)["muted"] is True
        await asyncio.sleep(0.3)  # packets already on the wire
        frozen = audio.packets
        await asyncio.sleep(1.0)
        assert audio.packets == frozen
        await teacher.signal.mute("microphone", False)
        await asyncio.sleep(1.0)
        assert audio.packets > frozen + 20
        assert audio.lost == 0  # the sequence continues without a gap


async def test_unpublishing_removes_the_track_from_subscribers(server: RunningServer) -> None:
    async with (
        PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
        ) as teacher,
        SubscriberBot(server.url, server.token("pupil")) as pupil,
    ):
        await teacher.start()
        await pupil.join()
        await pupil.wait_for_streams(2, packets=10)
        offers = pupil.subscription.offers
        removed = asyncio.ensure_future(pupil.signal.wait_for("track_removed"))
        await teacher.signal.unpublish("camera")
        await removed
        for _ in range(100):
            if pupil.subscription.offers > offers:
                break
            await asyncio.sleep(0.05)
        assert [t["kind"] for t in pupil.subscription.tracks.values()] == ["audio"]


async def test_health_and_metrics(server: RunningServer) -> None:
    async with (
        PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360)
        ) as teacher,
        SubscriberBot(server.url, server.token("pupil")) as pupil,
        aiohttp.ClientSession() as http,
    ):
        await teacher.start()
        await pupil.join()
        await pupil.wait_for_streams(2, packets=30)
        async with http.get(server.url + "/healthz") as response:
            assert await response.json() == {"status": "ok"}
        async with http.get(server.url + "/metrics") as response:
            text = await response.text()
        values = {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }
        assert values["classroom_rooms"] == 1
        assert values["classroom_participants"] == 2
        assert values["classroom_producers"] == 2
        assert values["classroom_sfu_packets_out_total"] >= 60
        assert (
            values["classroom_sfu_packets_in_total"]
            >= values["classroom_sfu_packets_out_total"] / 2
        )
        assert values["classroom_sfu_keyframe_requests_total"] >= 1


async def test_a_participant_can_choose_whose_media_it_receives(server: RunningServer) -> None:
    async with (
        PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=None) as teacher,
        PublisherBot(server.url, server.token("pupil-a"), video_size=None) as pupil_a,
        SubscriberBot(server.url, server.token("watcher")) as watcher,
        PublisherBot(server.url, server.token("pupil-b"), video_size=None) as pupil_b,
    ):
        await teacher.start()
        await pupil_a.start()
        await watcher.join()
        await watcher.wait_for_streams(2, packets=5)
        await watcher.signal.request(
            {"type": "set_subscriptions", "identities": ["teacher", "pupil-b"]}
        )
        await pupil_b.start()  # joins after the choice, and is in it

        def senders() -> set[str]:
            return {t["participantId"] for t in watcher.subscription.tracks.values()}

        wanted = {teacher.participant_id, pupil_b.participant_id}
        for _ in range(100):
            if senders() == wanted:
                break
            await asyncio.sleep(0.05)
        assert senders() == wanted
        await watcher.signal.request({"type": "set_subscriptions", "identities": None})
        for _ in range(100):
            if len(senders()) == 3:
                break
            await asyncio.sleep(0.05)
        assert senders() == wanted | {pupil_a.participant_id}


async def test_whose_media_to_receive_can_be_chosen_at_join(server: RunningServer) -> None:
    async with (
        PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=None) as teacher,
        PublisherBot(server.url, server.token("pupil-a"), video_size=None) as pupil_a,
        SubscriberBot(server.url, server.token("watcher")) as watcher,
    ):
        await teacher.start()
        await pupil_a.start()
        await watcher.join(identities=["teacher"])
        await watcher.wait_for_streams(1, packets=10)
        # the first offer already had only the teacher: no m-line was added and taken back
        assert watcher.subscription.offers == 1
        assert [t["participantId"] for t in watcher.subscription.tracks.values()] == [
            teacher.participant_id
        ]


async def test_a_page_receives_the_videos_it_shows_and_everyone_s_sound(
    server: RunningServer,
) -> None:
    """Subscribe-what-you-see: `video` names the tiles on screen; the rest of the class is
    heard, not seen (and costs no video)."""
    async with (
        PublisherBot(
            server.url, server.token("teacher", Role.TEACHER), video_size=(320, 180)
        ) as teacher,
        PublisherBot(server.url, server.token("pupil-a"), video_size=(320, 180)) as pupil_a,
        SubscriberBot(server.url, server.token("watcher")) as watcher,
        PublisherBot(server.url, server.token("pupil-b"), video_size=(320, 180)) as pupil_b,
    ):
        await teacher.start()
        await pupil_a.start()
        await watcher.join()
        await watcher.wait_for_streams(4, packets=5)

        def received() -> set[tuple[str, str]]:
            return {(t["participantId"], t["kind"]) for t in watcher.subscription.tracks.values()}

        async def until(wanted: set[tuple[str, str]]) -> None:
            for _ in range(200):
                if received() == wanted:
                    return
                await asyncio.sleep(0.05)
            assert received() == wanted

        await watcher.signal.request(
            {"type": "set_subscriptions", "identities": None, "video": ["teacher", "pupil-b"]}
        )
        await pupil_b.start()  # joins after the choice, and is on screen
        ids = teacher.participant_id, pupil_a.participant_id, pupil_b.participant_id
        await until(
            {(p, "audio") for p in ids}
            | {(teacher.participant_id, "video"), (pupil_b.participant_id, "video")}
        )
        # The page turns to pupil A's tile only: the other videos stop, all sound goes on.
        await watcher.signal.request(
            {"type": "set_subscriptions", "identities": None, "video": ["pupil-a"]}
        )
        await until({(p, "audio") for p in ids} | {(pupil_a.participant_id, "video")})
        await watcher.signal.request({"type": "set_subscriptions", "identities": None})
        await until({(p, kind) for p in ids for kind in ("audio", "video")})


async def test_a_subscriber_whose_media_connection_ended_does_not_stop_others_publishing(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("gone")) as gone,
        SubscriberBot(server.url, server.token("watcher")) as watcher,
        PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=None) as first,
        PublisherBot(server.url, server.token("late"), video_size=None) as late,
    ):
        await gone.join()
        await watcher.join()
        await first.start()
        await gone.wait_for_streams(1, packets=10)
        # Its end closes the subscribe connection (DTLS close_notify), its socket stays open:
        # aiortc closes the server's end too.
        assert gone.subscription.pc is not None
        await gone.subscription.pc.close()
        sfu = server.state.sfu
        assert isinstance(sfu, LocalSfu)
        peer = sfu.routers[RoomId(ROOM)].peers[PeerId(str(gone.participant_id))]
        for _ in range(100):
            if peer.subscribe_ended:
                break
            await asyncio.sleep(0.05)
        assert peer.subscribe_ended

        # Someone publishes now: that dead connection is not their error.
        await late.start()
        await watcher.wait_for_streams(2, packets=10)
