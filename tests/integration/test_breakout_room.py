"""Breakout groups in a real room (issue 18), with aiortc bots publishing real media: a
teacher and four pupils, two groups. Each pupil's subscription carries exactly their
group's tracks; the teacher visiting group 1 receives it and is received there; speaking
to all reaches every pupil; chat stays in the group; a pupil whose page drops and joins
again is in their group again; the timer brings everyone back; bad requests get their
codes and the room goes on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from bench.bots import PublisherBot
from bench.signal_client import SignalClient, SignalError
from classroom.roles import Role

from .conftest import RunningServer, serving

PUPILS = ("anya", "boris", "vera", "gleb")


@pytest.fixture
async def quick(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server whose breakouts may be as short as 2 s (BREAKOUT_MIN_SECONDS)."""
    async with serving(tmp_path, breakout_min_seconds=2.0) as running:
        yield running


async def person(
    server: RunningServer, stack: AsyncExitStack, identity: str, role: Role = Role.PUPIL
) -> PublisherBot:
    """In the room, publishing a microphone (audio keeps five bots light on two cores)."""
    bot = await stack.enter_async_context(
        PublisherBot(server.url, server.token(identity, role), video_size=None)
    )
    await bot.start()
    return bot


def senders(bot: PublisherBot) -> set[str]:
    """Whose tracks the bot's subscribe connection carries now."""
    return {str(t["participantId"]) for t in bot.subscription.tracks.values()}


async def until(check: Callable[[], bool], what: str, within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check(), what


async def class_of_five(server: RunningServer, stack: AsyncExitStack) -> dict[str, PublisherBot]:
    people = {"olga": await person(server, stack, "olga", Role.TEACHER)}
    for identity in PUPILS:
        people[identity] = await person(server, stack, identity)
    everyone = {str(b.participant_id) for b in people.values()}
    for bot in people.values():
        await until(lambda bot=bot: senders(bot) == everyone - {bot.participant_id}, "all in")
    return people


def ids(people: dict[str, PublisherBot], *names: str) -> set[str]:
    return {str(people[n].participant_id) for n in names}


async def expect(people: dict[str, PublisherBot], wanted: dict[str, set[str]]) -> None:
    for name, others in wanted.items():
        bot = people[name]
        await until(
            lambda bot=bot, others=others: senders(bot) == ids(people, *others),
            f"{name} receives {sorted(others)}",
        )


async def test_groups_scope_media_visits_speaking_reconnects_and_the_timer(
    quick: RunningServer,
) -> None:
    async with AsyncExitStack() as stack:
        people = await class_of_five(quick, stack)
        olga = people["olga"]
        started = await olga.signal.request(
            {
                "type": "breakout_start",
                "groups": [["anya", "boris"], ["vera", "gleb"]],
                "seconds": 600,
            }
        )
        assert started["breakout"]["groups"] == [
            {"number": 1, "members": ["anya", "boris"]},
            {"number": 2, "members": ["vera", "gleb"]},
        ]
        for bot in people.values():
            told = await bot.signal.wait_for("breakout")
            assert told["breakout"]["groups"] == started["breakout"]["groups"]
            assert told["by"] == olga.participant_id
        # Each pupil receives their group only; the teacher, in the main room, nobody.
        await expect(
            people,
            {
                "anya": {"boris"},
                "boris": {"anya"},
                "vera": {"gleb"},
                "gleb": {"vera"},
                "olga": set(),
            },
        )
        # The teacher visits group 1: both ways there, nothing of group 2.
        await olga.signal.request({"type": "breakout_visit", "group": 1})
        await expect(
            people,
            {"olga": {"anya", "boris"}, "anya": {"boris", "olga"}, "vera": {"gleb"}},
        )
        # Speaking to all: group 2 hears (and sees) the teacher too.
        await olga.signal.request({"type": "breakout_speak", "on": True})
        await expect(people, {"vera": {"gleb", "olga"}, "gleb": {"vera", "olga"}})
        await olga.signal.request({"type": "breakout_speak", "on": False})
        await expect(people, {"vera": {"gleb"}, "gleb": {"vera"}, "anya": {"boris", "olga"}})

        # Boris's page drops, and joins again as a new connection: in group 1 again.
        await people["boris"].close()
        again = await stack.enter_async_context(
            PublisherBot(quick.url, quick.token("boris"), video_size=None)
        )
        joined = await again.start()
        assert joined["breakout"]["groups"][0]["members"] == ["anya", "boris"]
        assert joined["breakout"]["visits"] == {"olga": 1}
        people["boris"] = again
        await expect(people, {"boris": {"anya", "olga"}, "anya": {"boris", "olga"}})
        await expect(people, {"olga": {"anya", "boris"}, "vera": {"gleb"}})

        await olga.signal.request({"type": "breakout_end"})
        await expect(people, {"vera": {"olga", "anya", "boris", "gleb"}})

        # The timer: groups of 3 s, given 2 s more, end by themselves.
        short = await olga.signal.request(
            {"type": "breakout_start", "count": 2, "mode": "random", "seconds": 3}
        )
        groups = [g["members"] for g in short["breakout"]["groups"]]
        await expect(people, {g[0]: {g[1]} for g in groups})
        extended = await olga.signal.request({"type": "breakout_extend", "seconds": 2})
        assert extended["endsAt"] == short["breakout"]["endsAt"] + 2000
        everyone = set(people)
        for bot in people.values():
            ended = await bot.signal.wait_for(
                "breakout", lambda m: m["breakout"] is None and m["reason"] == "time", within=20
            )
            assert ended == {"type": "breakout", "breakout": None, "by": None, "reason": "time"}
        await expect(people, {name: everyone - {name} for name in people})
        assert quick.state.rooms.get("7b-maths") is not None
        live = quick.state.rooms.get("7b-maths")
        assert live is not None and live.breakout_timer is None


async def test_chat_stays_in_its_group_and_comes_back_with_the_group(
    server: RunningServer,
) -> None:
    async with AsyncExitStack() as stack:
        people = await class_of_five(server, stack)
        olga = people["olga"]
        await olga.signal.request(
            {"type": "breakout_start", "count": 2, "mode": "choose", "seconds": 600}
        )
        for name, group in (("anya", 1), ("boris", 1), ("vera", 2), ("gleb", 2)):
            await people[name].signal.request({"type": "breakout_choose", "group": group})
        await expect(people, {"anya": {"boris"}, "vera": {"gleb"}})
        await people["anya"].signal.request({"type": "chat", "text": "Решаем первую задачу"})
        said = await people["boris"].signal.wait_for("chat")
        assert said["text"] == "Решаем первую задачу" and said["group"] == 1
        seen = await olga.signal.wait_for("chat")  # a host reads every group's chat
        assert seen["group"] == 1
        await people["vera"].signal.request({"type": "chat", "text": "А мы вторую"})
        await people["gleb"].signal.wait_for("chat", lambda m: m["text"] == "А мы вторую")
        await olga.signal.wait_for("chat", lambda m: m["text"] == "А мы вторую")

        def chats(bot: PublisherBot) -> list[str]:
            return [e["text"] for e in bot.signal.events if e["type"] == "chat"]

        assert chats(people["vera"]) == ["А мы вторую"]
        assert chats(people["anya"]) == ["Решаем первую задачу"]
        # A host speaking to all writes to everyone.
        await olga.signal.request({"type": "breakout_speak", "on": True})
        await olga.signal.request({"type": "chat", "text": "Осталось две минуты"})
        for name in PUPILS:
            heard = await people[name].signal.wait_for(
                "chat", lambda m: m["text"] == "Осталось две минуты"
            )
            assert "group" not in heard
        # Gleb's page joins again: his group's chat, not the other group's.
        await people["gleb"].close()
        again = await stack.enter_async_context(
            PublisherBot(server.url, server.token("gleb"), video_size=None)
        )
        joined = await again.join()
        assert [m["text"] for m in joined["chat"]] == ["А мы вторую", "Осталось две минуты"]
        teacher_view = await stack.enter_async_context(
            PublisherBot(server.url, server.token("olga", Role.TEACHER), video_size=None)
        )
        olga_again = await teacher_view.join()
        assert [m["text"] for m in olga_again["chat"]] == [
            "Решаем первую задачу",
            "А мы вторую",
            "Осталось две минуты",
        ]


async def test_bad_breakout_requests_get_their_codes_and_the_room_goes_on(
    server: RunningServer,
) -> None:
    async with AsyncExitStack() as stack:
        people = await class_of_five(server, stack)
        olga, anya = people["olga"], people["anya"]

        async def refused(bot: PublisherBot, message: dict[str, Any]) -> str:
            with pytest.raises(SignalError) as caught:
                await bot.signal.request(message)
            return caught.value.code

        start = {"type": "breakout_start", "count": 2, "mode": "random", "seconds": 600}
        assert await refused(anya, start) == "breakout_not_allowed"
        assert await refused(olga, {"type": "breakout_end"}) == "breakout_not_running"
        assert await refused(olga, {"type": "breakout_visit", "group": 1}) == (
            "breakout_not_running"
        )
        assert await refused(olga, {**start, "count": 5}) == "breakout_groups_invalid"
        assert await refused(olga, {**start, "count": 1}) == "breakout_groups_invalid"
        by_hand = {"type": "breakout_start", "seconds": 600}
        for groups in (
            [["anya", "boris"]],
            [["anya"], ["anya", "vera"]],
            [["anya"], ["stranger"]],
            [["anya"], ["olga"]],  # a host is no pupil to put in a group
        ):
            assert await refused(olga, {**by_hand, "groups": groups}) == ("breakout_groups_invalid")
        for bad in (
            {**start, "seconds": 30},
            {**start, "seconds": 7201},
            {**start, "seconds": "600"},
            {**start, "mode": "teams"},
            {"type": "breakout_start", "groups": "anya", "seconds": 600},
        ):
            assert await refused(olga, bad) == "bad_message"
        started = await olga.signal.request(start)
        sizes = sorted(len(g["members"]) for g in started["breakout"]["groups"])
        assert sizes == [2, 2]
        assert await refused(olga, start) == "breakout_running"
        assert await refused(anya, {"type": "breakout_choose", "group": 2}) == (
            "breakout_not_choosing"
        )
        assert await refused(anya, {"type": "breakout_end"}) == "breakout_not_allowed"
        assert await refused(olga, {"type": "breakout_visit", "group": 3}) == (
            "breakout_groups_invalid"
        )
        assert await refused(olga, {"type": "breakout_move", "identity": "nobody", "group": 1}) == (
            "bad_message"
        )
        assert await refused(olga, {"type": "breakout_extend", "seconds": 5}) == "bad_message"
        # Still one room: a move is obeyed, and the end brings everyone back.
        group_of_anya = next(
            g["number"] for g in started["breakout"]["groups"] if "anya" in g["members"]
        )
        other = 3 - group_of_anya
        await olga.signal.request({"type": "breakout_move", "identity": "anya", "group": other})
        mates = next(g["members"] for g in started["breakout"]["groups"] if g["number"] == other)
        await expect(people, {"anya": set(mates)})
        await olga.signal.request({"type": "breakout_end"})
        ended = await anya.signal.wait_for("breakout", lambda m: m["breakout"] is None)
        assert ended["reason"] == "ended" and ended["by"] == olga.participant_id
        await expect(people, {"anya": {"olga", "boris", "vera", "gleb"}})


def pen(**extra: Any) -> dict[str, Any]:
    return {
        "type": "board_stroke",
        "page": "blank",
        "tool": "pen",
        "color": "#e53935",
        "width": 4,
        "points": [10, 20, 30, 40],
        **extra,
    }


async def test_each_group_draws_on_a_board_of_its_own(server: RunningServer) -> None:
    clients: dict[str, SignalClient] = {}
    try:
        for identity in ("olga", *PUPILS):
            role = Role.TEACHER if identity == "olga" else Role.PUPIL
            clients[identity] = await SignalClient.connect(server.url)
            await clients[identity].join(server.token(identity, role))
        olga, anya = clients["olga"], clients["anya"]
        await olga.request(pen(points=[1, 1, 2, 2]))  # on the room's board
        await olga.request(
            {
                "type": "breakout_start",
                "groups": [["anya", "boris"], ["vera", "gleb"]],
                "seconds": 600,
            }
        )
        for identity in PUPILS:
            board = await clients[identity].wait_for("board")
            assert board["board"] == {"shown": False, "allowed": "all", "seq": 0, "pages": {}}
        since = {identity: len(client.events) for identity, client in clients.items()}

        def strokes(identity: str) -> list[list[float]]:
            events = clients[identity].events[since[identity] :]
            return [e["stroke"]["points"] for e in events if e["type"] == "board_stroke"]

        drawn = await anya.request(pen())  # a pupil draws on their group's board
        assert drawn["seq"] == 1
        await clients["boris"].wait_for("board_stroke", lambda m: m["stroke"]["points"][0] == 10)
        await clients["vera"].request(pen(points=[5, 5, 6, 6]))
        await clients["gleb"].wait_for("board_stroke", lambda m: m["stroke"]["points"][0] == 5)
        # Each group heard of its own strokes only; the teacher, in the main room, of none.
        assert strokes("anya") == strokes("boris") == [[10, 20, 30, 40]]
        assert strokes("vera") == strokes("gleb") == [[5, 5, 6, 6]]
        assert strokes("olga") == []
        # A visiting teacher sees the group's board; a page that joins again gets it too.
        await olga.request({"type": "breakout_visit", "group": 1})
        visited = await olga.wait_for("board")
        assert [s["points"] for s in visited["board"]["pages"]["blank"]] == [[10, 20, 30, 40]]
        await olga.request({"type": "board_show", "shown": True})  # opened for group 1
        await anya.wait_for("board_settings", lambda m: m["shown"] is True)
        await clients["boris"].close()
        clients["boris"] = await SignalClient.connect(server.url)
        again = await clients["boris"].join(server.token("boris"))
        assert again["board"]["shown"] is True
        assert [s["points"] for s in again["board"]["pages"]["blank"]] == [[10, 20, 30, 40]]
        assert not [e for e in clients["vera"].events if e["type"] == "board_settings"]
        # Back in the main lesson: the room's board again, with the teacher's stroke.
        await olga.request({"type": "breakout_end"})
        back = await anya.wait_for("board", lambda m: m["board"]["allowed"] == "none")
        assert [s["points"] for s in back["board"]["pages"]["blank"]] == [[1, 1, 2, 2]]
    finally:
        for client in clients.values():
            await client.close()
