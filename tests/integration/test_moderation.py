"""A host's controls on a real server: a muted pupil's audio stops at the SFU, a removed pupil
cannot come back, a locked room keeps newcomers out, the lobby waits for admission, and
hands and pins are shared with the room. Non-hosts get not_host and change nothing."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bench.bots import PublisherBot, SubscriberBot
from bench.media import load_video
from bench.publication import Publication
from bench.signal_client import SignalClient, SignalError
from classroom.roles import Grants, Role
from signaling.auth import TokenIssuer
from signaling.hosting import CLOSE_REMOVED

from .conftest import ROOM, RunningServer


def lobby_token(server: RunningServer, identity: str) -> str:
    return TokenIssuer(server.config.secret).issue(
        identity, identity.title(), ROOM, Role.PARENT, Grants(publish=True), ttl=600, lobby=True
    )


async def test_a_pupil_muted_by_the_teacher_is_silent_at_the_sfu_until_allowed(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        PublisherBot(server.url, server.token("pupil"), video_size=None) as pupil,
        SubscriberBot(server.url, server.token("classmate")) as classmate,
    ):
        await teacher.join()
        await pupil.start()
        await classmate.join()
        (heard,) = await classmate.wait_for_streams(1, packets=10)
        assert pupil.participant_id is not None
        notice = asyncio.ensure_future(pupil.signal.wait_for("muted_by_host"))
        reply = await teacher.signal.request(
            {
                "type": "mute_participant",
                "participantId": pupil.participant_id,
                "source": "microphone",
                "allowUnmute": False,
            }
        )
        assert reply == {"type": "ok", "id": reply["id"], "muted": True}
        assert (await notice) == {
            "type": "muted_by_host",
            "source": "microphone",
            "canUnmute": False,
        }
        await asyncio.sleep(0.3)  # packets already on the wire
        frozen = heard.packets
        await asyncio.sleep(1.0)
        assert heard.packets == frozen  # the pupil's bot still sends; the SFU drops it

        with pytest.raises(SignalError) as refused:
            await pupil.signal.mute("microphone", False)
        assert refused.value.code == "not_allowed"

        allowed = asyncio.ensure_future(pupil.signal.wait_for("unmute_allowed"))
        await teacher.signal.request(
            {"type": "allow_unmute", "participantId": pupil.participant_id}
        )
        await allowed
        await pupil.signal.mute("microphone", False)
        await asyncio.sleep(1.0)
        assert heard.packets > frozen + 20


async def test_mute_all_spares_the_hosts_and_non_hosts_may_not(server: RunningServer) -> None:
    async with (
        PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=None) as teacher,
        PublisherBot(server.url, server.token("anna"), video_size=None) as anna,
        PublisherBot(server.url, server.token("boris"), video_size=None) as boris,
    ):
        for bot in (teacher, anna, boris):
            await bot.start()
        with pytest.raises(SignalError) as refused:
            await anna.signal.request({"type": "mute_all", "allowUnmute": True})
        assert refused.value.code == "not_host"
        reply = await teacher.signal.request({"type": "mute_all", "allowUnmute": True})
        assert reply["muted"] == 2
        muted = {
            e["participantId"]
            for e in teacher.signal.events
            if e["type"] == "track_muted" and e["muted"]
        }
        assert muted == {anna.participant_id, boris.participant_id}
        await anna.signal.mute("microphone", False)  # allowed to unmute themselves


async def test_a_removed_pupil_cannot_come_back(server: RunningServer) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("outsider")) as outsider,
        aiohttp.ClientSession() as http,
    ):
        await teacher.join()
        await outsider.join()
        left = asyncio.ensure_future(teacher.signal.wait_for("participant_left"))
        await teacher.signal.request(
            {"type": "remove_participant", "participantId": outsider.participant_id}
        )
        assert (await left)["participantId"] == outsider.participant_id
        await outsider.signal.wait_for("removed")
        ws = await http.ws_connect(server.url.replace("http", "ws") + "/ws")
        await ws.send_json({"type": "join", "id": 1, "token": server.token("outsider")})
        reply = await ws.receive_json(timeout=10)
        assert (reply["type"], reply["code"]) == ("error", "removed")
        await ws.close()
    assert CLOSE_REMOVED == 4003


async def test_a_locked_room_keeps_newcomers_out_but_not_hosts(server: RunningServer) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("early")) as early,
        SubscriberBot(server.url, server.token("late")) as late,
        SubscriberBot(server.url, server.token("cohost", Role.TEACHER)) as cohost,
    ):
        await teacher.join()
        await early.join()
        told = asyncio.ensure_future(early.signal.wait_for("room_locked"))
        await teacher.signal.request({"type": "lock_room", "locked": True})
        assert (await told)["locked"] is True
        with pytest.raises(SignalError) as refused:
            await late.join()
        assert refused.value.code == "room_locked"
        joined = await cohost.join()
        assert joined["locked"] is True
        # Someone who was in before the lock comes back after a dropped connection (without
        # the resume token: a new join, which the lock does not stop either).
        away = asyncio.ensure_future(teacher.signal.wait_for("participant_reconnecting"))
        await early.signal.close()
        await away
        back = await SignalClient.connect(server.url)
        try:
            again = await back.request({"type": "join", "token": early.token})
            assert again["type"] == "joined"
        finally:
            await back.close()
        await teacher.signal.request({"type": "lock_room", "locked": False})
        await late.join()


async def test_a_parent_waits_in_the_lobby_until_admitted(server: RunningServer) -> None:
    async with SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher:
        parent = await SignalClient.connect(server.url)
        turned_away = await SignalClient.connect(server.url)
        try:
            waiting = await parent.request(
                {"type": "join", "token": lobby_token(server, "parent-1")}
            )
            assert waiting["type"] == "lobby"
            joined = await teacher.join()
            assert [w["name"] for w in joined["lobby"]] == ["Parent-1"]
            assert all(p["identity"] != "parent-1" for p in joined["participants"])

            changed = asyncio.ensure_future(
                teacher.signal.wait_for("lobby_changed", lambda e: len(e["waiting"]) == 2)
            )
            second = await turned_away.request(
                {"type": "join", "token": lobby_token(server, "parent-2")}
            )
            await changed
            denied = asyncio.ensure_future(turned_away.wait_for("lobby_denied"))
            await teacher.signal.request({"type": "deny", "participantId": second["participantId"]})
            await denied

            # A third parent gives up waiting: the lobby shrinks back.
            quitter = await SignalClient.connect(server.url)
            await quitter.request({"type": "join", "token": lobby_token(server, "parent-3")})
            await teacher.signal.wait_for("lobby_changed", lambda e: len(e["waiting"]) == 2)
            bye = await quitter.request({"type": "leave"})
            assert bye["type"] == "ok"
            await teacher.signal.wait_for(
                "lobby_changed",
                lambda e: [w["name"] for w in e["waiting"]] == ["Parent-1"],
            )
            await quitter.close()

            arrived = asyncio.ensure_future(teacher.signal.wait_for("participant_joined"))
            reply = await teacher.signal.request(
                {"type": "admit", "participantId": waiting["participantId"]}
            )
            assert reply["admitted"] == 1
            entered = await parent.wait_for("joined")
            assert entered["self"]["id"] == waiting["participantId"]
            assert (await arrived)["participant"]["name"] == "Parent-1"

            # Back after a dropped connection, an admitted parent skips the lobby.
            await parent.close()
            parent = await SignalClient.connect(server.url)
            again = await parent.request({"type": "join", "token": lobby_token(server, "parent-1")})
            assert again["type"] == "joined"
            with pytest.raises(SignalError) as refused:
                await teacher.signal.request({"type": "admit", "participantId": "p_nobody"})
            assert refused.value.code == "bad_message"
        finally:
            await parent.close()
            await turned_away.close()


async def test_hands_queue_in_order_and_the_teacher_lowers_and_pins(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("anna")) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
    ):
        for bot in (teacher, anna, boris):
            await bot.join()
        await boris.signal.request({"type": "raise_hand"})
        await anna.signal.request({"type": "raise_hand"})
        await anna.signal.request({"type": "raise_hand"})  # twice: still one place
        queue = await teacher.signal.wait_for("hands", lambda e: len(e["queue"]) == 2)
        assert queue["queue"] == [boris.participant_id, anna.participant_id]
        with pytest.raises(SignalError) as refused:
            await anna.signal.request({"type": "lower_hand", "participantId": boris.participant_id})
        assert refused.value.code == "not_host"
        await teacher.signal.request({"type": "lower_hand", "participantId": boris.participant_id})
        await anna.signal.wait_for("hands", lambda e: e["queue"] == [anna.participant_id])
        await teacher.signal.request({"type": "lower_hand", "all": True})
        await boris.signal.wait_for("hands", lambda e: e["queue"] == [])

        await teacher.signal.request({"type": "pin", "participantId": anna.participant_id})
        pinned = await boris.signal.wait_for("pinned")
        assert pinned["participantId"] == anna.participant_id
        assert [p["host"] for p in boris.joined["participants"]] == [True, False]

        # Anna leaves with her hand up and pinned: the room hears both go.
        await anna.signal.request({"type": "raise_hand"})
        await boris.signal.wait_for("hands", lambda e: e["queue"] == [anna.participant_id])
        seen = len(boris.signal.events)
        await anna.leave()
        await boris.signal.wait_for("pinned", lambda e: e["participantId"] is None)
        await boris.signal.wait_for("hands", lambda e: e["queue"] == [])
        room_events = ("participant_left", "hands", "pinned")
        after = [e["type"] for e in boris.signal.events[seen:] if e["type"] in room_events]
        assert after == ["participant_left", "hands", "pinned"], after
        with pytest.raises(SignalError) as refused:
            await teacher.signal.request({"type": "pin", "participantId": 5})
        assert refused.value.code == "bad_message"


async def test_a_host_pins_a_shared_screen_and_the_pin_ends_with_the_share(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("anna")) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
    ):
        for bot in (teacher, anna, boris):
            await bot.join()
        pin_screen = {"type": "pin", "participantId": anna.participant_id, "source": "screen"}
        # Anna shares nothing yet: there is no screen of hers to pin.
        with pytest.raises(SignalError) as refused:
            await teacher.signal.request(pin_screen)
        assert refused.value.code == "bad_message"

        screen = Publication(video=await asyncio.to_thread(load_video, 320, 180), audio=None)
        try:
            sdp, tracks = await screen.offer()
            shared = [{**track, "source": "screen"} for track in tracks]
            await screen.accept(await anna.signal.publish_offer(sdp, shared))
            await teacher.signal.request(pin_screen)
            for bot in (teacher, anna, boris):
                pinned = await bot.signal.wait_for("pinned")
                assert (pinned["participantId"], pinned["source"]) == (
                    anna.participant_id,
                    "screen",
                )
            async with SubscriberBot(server.url, server.token("vanya")) as vanya:
                joined = await vanya.join()
                assert (joined["pinned"], joined["pinnedSource"]) == (anna.participant_id, "screen")
            with pytest.raises(SignalError) as refused:
                await boris.signal.request({"type": "pin", "participantId": None})
            assert refused.value.code == "not_host"

            # She stops sharing: the pin goes with her screen (her camera is not pinned instead).
            await anna.signal.request({"type": "unpublish", "source": "screen"})
            unpinned = await boris.signal.wait_for("pinned", lambda e: e["participantId"] is None)
            assert unpinned["source"] is None
        finally:
            await screen.close()
        pinned_events = [e for e in boris.signal.events if e["type"] == "pinned"]
        assert len(pinned_events) == 2, pinned_events

        # A microphone is no tile: pinning one is a bad message.
        with pytest.raises(SignalError) as refused:
            await teacher.signal.request({**pin_screen, "source": "microphone"})
        assert refused.value.code == "bad_message"


async def test_a_poll_shows_live_results_to_the_teacher_and_all_when_asked(
    server: RunningServer,
) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("anna")) as anna,
        SubscriberBot(server.url, server.token("boris")) as boris,
    ):
        for bot in (teacher, anna, boris):
            await bot.join()
        question = {
            "type": "poll_create",
            "question": "2 + 2?",
            "options": ["3", "4"],
            "multiple": False,
            "showResults": False,
        }
        with pytest.raises(SignalError) as refused:
            await anna.signal.request(question)
        assert refused.value.code == "not_host"
        created = await teacher.signal.request(question)
        poll_id = created["pollId"]
        shown = await anna.signal.wait_for("poll")
        assert shown["poll"] == {
            "id": poll_id,
            "question": "2 + 2?",
            "options": ["3", "4"],
            "multiple": False,
            "showResults": False,
            "closed": False,
            "quiz": False,
        }
        await anna.signal.request({"type": "poll_answer", "pollId": poll_id, "choices": [1]})
        await boris.signal.request({"type": "poll_answer", "pollId": poll_id, "choices": [0]})
        live = await teacher.signal.wait_for("poll_results", lambda e: e["voters"] == 2)
        assert live["counts"] == [1, 1]
        with pytest.raises(SignalError) as refused:
            await boris.signal.request(
                {"type": "poll_answer", "pollId": poll_id, "choices": [0, 1]}
            )
        assert refused.value.code == "poll_one_choice"
        assert not any(e["type"] == "poll_results" for e in anna.signal.events)

        await teacher.signal.request({"type": "poll_close", "pollId": poll_id})
        await anna.signal.wait_for("poll_closed")
        with pytest.raises(SignalError) as refused:
            await anna.signal.request({"type": "poll_answer", "pollId": poll_id, "choices": [0]})
        assert refused.value.code == "poll_closed"

        # Open polls, with results for hosts and one's own answer, come with `joined`.
        open_poll = await teacher.signal.request(question)
        await anna.signal.request(
            {"type": "poll_answer", "pollId": open_poll["pollId"], "choices": [0]}
        )
        async with SubscriberBot(server.url, server.token("cohost", Role.TEACHER)) as cohost:
            joined = await cohost.join()
        (seen_poll,) = joined["polls"]
        assert seen_poll["results"] == {
            "pollId": open_poll["pollId"],
            "counts": [1, 0],
            "voters": 1,
            "answers": [{"identity": "anna", "name": "Anna", "choices": [0]}],
        }
        assert seen_poll["mine"] == []
        public = await teacher.signal.request({**question, "showResults": True})
        await anna.signal.request(
            {"type": "poll_answer", "pollId": public["pollId"], "choices": [1]}
        )
        seen = await boris.signal.wait_for(
            "poll_results", lambda e: e["pollId"] == public["pollId"] and e["voters"] == 1
        )
        assert (seen["counts"], seen["voters"]) == ([0, 1], 1)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (
            {"type": "mute_participant", "participantId": "p_x", "source": "microphone"},
            "bad_message",
        ),
        (
            {
                "type": "mute_participant",
                "participantId": "p_x",
                "source": "voice",
                "allowUnmute": True,
            },
            "bad_message",
        ),
        (
            {
                "type": "mute_participant",
                "participantId": "p_nobody",
                "source": "microphone",
                "allowUnmute": True,
            },
            "bad_message",
        ),
        ({"type": "mute_all"}, "bad_message"),
        ({"type": "lock_room", "locked": "yes"}, "bad_message"),
        ({"type": "remove_participant", "participantId": 7}, "bad_message"),
        ({"type": "admit", "participantId": None}, "bad_message"),
        ({"type": "lower_hand", "participantId": 5}, "bad_message"),
        ({"type": "lower_hand", "all": 1}, "bad_message"),
        ({"type": "pin"}, "bad_message"),
        (
            {
                "type": "poll_create",
                "question": "?",
                "options": "a,b",
                "multiple": False,
                "showResults": False,
            },
            "bad_message",
        ),
        (
            {
                "type": "poll_create",
                "question": "?",
                "options": ["a"],
                "multiple": False,
                "showResults": False,
            },
            "poll_invalid",
        ),
        (
            {
                "type": "poll_create",
                "question": "?",
                "options": ["a", "b"],
                "multiple": False,
                "showResults": False,
                "correct": 2,
            },
            "poll_correct_not_an_option",
        ),
        (
            {
                "type": "poll_create",
                "question": "?",
                "options": ["a", "b"],
                "multiple": False,
                "showResults": False,
                "correct": "a",
            },
            "bad_message",
        ),
        ({"type": "poll_answer", "pollId": "q_none", "choices": [0]}, "poll_not_found"),
        ({"type": "poll_answer", "pollId": "q_none", "choices": [True]}, "bad_message"),
        ({"type": "poll_close"}, "bad_message"),
    ],
)
async def test_bad_host_requests_get_their_code_and_the_room_lives_on(
    server: RunningServer, message: dict[str, object], code: str
) -> None:
    async with (
        SubscriberBot(server.url, server.token("teacher", Role.TEACHER)) as teacher,
        SubscriberBot(server.url, server.token("anna")) as anna,
    ):
        await teacher.join()
        await anna.join()
        with pytest.raises(SignalError) as refused:
            await teacher.signal.request(message)
        assert refused.value.code == code
        # The connection and the room still work.
        await teacher.signal.request({"type": "raise_hand"})
        seen = await anna.signal.wait_for("hands")
        assert seen["queue"] == [teacher.participant_id]
