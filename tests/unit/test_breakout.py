"""Breakout groups' state (classroom.breakout): random, by-hand and chosen groups, moves,
visits, speaking to all, more time, and whose media each person receives (`narrowed`),
kept by identity so a reconnecting page (a new participant id) lands in its group."""

from __future__ import annotations

import random

import pytest

from classroom import breakout as b
from classroom.breakout import Breakout, BreakoutError, narrowed
from classroom.roles import Role, default_grants
from classroom.roster import Participant, Roster

PUPILS = ["anya", "boris", "vera", "gleb", "dasha"]
NOW = 1_000_000.0


@pytest.mark.parametrize(("count", "pupils"), [(2, 5), (3, 7), (4, 4), (2, 2), (5, 23)])
def test_a_random_split_deals_everyone_once_in_sizes_one_apart(count: int, pupils: int) -> None:
    names = [f"p{n}" for n in range(pupils)]
    made = Breakout.randomly(count, names, 600, NOW, random.Random(7))
    sizes = [len(g) for g in made.groups]
    assert len(sizes) == count
    assert max(sizes) - min(sizes) <= 1
    assert sorted(i for g in made.groups for i in g) == sorted(names)
    assert made.ends_at == NOW + 600
    assert not made.choosing


def test_random_splits_differ_with_the_draw() -> None:
    one = Breakout.randomly(2, PUPILS, 600, NOW, random.Random(1)).groups
    other = Breakout.randomly(2, PUPILS, 600, NOW, random.Random(2)).groups
    assert one != other


@pytest.mark.parametrize(
    ("groups", "why"),
    [
        ([["anya", "boris"]], "at least 2 groups"),
        ([["anya"], ["nobody"]], "'nobody' is no pupil of this room"),
        ([["anya", "boris"], ["boris"]], "'boris' is in two groups"),
        ([[], []], "no pupil is in any group"),
        ([[p] for p in PUPILS] + [[]], "6 groups for 5 pupils: more groups than pupils"),
        ([[]] * 21, "at most 20 groups"),
    ],
)
def test_groups_by_hand_are_checked(groups: list[list[str]], why: str) -> None:
    with pytest.raises(BreakoutError) as caught:
        Breakout.by_hand(groups, PUPILS, 600, NOW)
    assert caught.value.code == b.GROUPS_INVALID
    assert why in caught.value.message


def test_groups_by_hand_keep_their_members_and_leave_the_rest_in_the_main_room() -> None:
    made = Breakout.by_hand([["anya", "boris"], ["vera"]], PUPILS, 300, NOW)
    assert made.groups == [["anya", "boris"], ["vera"]]
    assert made.group_of("boris") == 0
    assert made.group_of("vera") == 1
    assert made.group_of("gleb") is None
    assert made.to_dict() == {
        "groups": [
            {"number": 1, "members": ["anya", "boris"]},
            {"number": 2, "members": ["vera"]},
        ],
        "endsAt": round((NOW + 300) * 1000),
        "choosing": False,
        "visits": {},
        "speaking": [],
    }


def test_random_and_chosen_need_two_groups_and_no_more_than_pupils() -> None:
    for count in (1, 6):
        with pytest.raises(BreakoutError) as caught:
            Breakout.randomly(count, PUPILS, 600, NOW, random.Random(0))
        assert caught.value.code == b.GROUPS_INVALID
        with pytest.raises(BreakoutError):
            Breakout.chosen(count, PUPILS, 600, NOW)


def test_pupils_choose_and_change_their_group_only_in_choose_mode() -> None:
    made = Breakout.chosen(3, PUPILS, 600, NOW)
    assert made.groups == [[], [], []]
    assert made.choosing
    assert made.choose("anya", 2) is True
    assert made.choose("anya", 2) is False
    assert made.choose("anya", 0) is True
    assert made.groups == [["anya"], [], []]
    with pytest.raises(BreakoutError) as caught:
        made.choose("boris", 3)
    assert caught.value.code == b.GROUPS_INVALID
    fixed = Breakout.by_hand([["anya"], ["boris"]], PUPILS, 600, NOW)
    with pytest.raises(BreakoutError) as caught:
        fixed.choose("anya", 1)
    assert caught.value.code == b.NOT_CHOOSING


def test_a_host_moves_a_pupil_between_groups_and_back_to_the_main_room() -> None:
    made = Breakout.by_hand([["anya", "boris"], ["vera"]], PUPILS, 600, NOW)
    assert made.move("boris", 1) is True
    assert made.groups == [["anya"], ["vera", "boris"]]
    assert made.move("gleb", 0) is True  # a late joiner
    assert made.groups == [["anya", "gleb"], ["vera", "boris"]]
    assert made.move("vera", None) is True
    assert made.group_of("vera") is None
    assert made.move("vera", None) is False
    with pytest.raises(BreakoutError):
        made.move("vera", 5)


def test_visits_speaking_and_scopes_decide_who_receives_whom() -> None:
    made = Breakout.by_hand([["anya", "boris"], ["vera", "gleb"]], PUPILS, 600, NOW)
    assert made.receives("anya", False, "boris", False)
    assert not made.receives("anya", False, "vera", False)
    assert not made.receives("anya", False, "olga", True)  # the teacher is in the main room
    assert made.receives("olga", True, "dasha", False)  # with the pupil left out
    assert made.visit("olga", 0) is True
    assert made.visit("olga", 0) is False
    assert made.receives("anya", False, "olga", True)
    assert made.receives("olga", True, "boris", False)
    assert not made.receives("olga", True, "vera", False)
    assert not made.receives("vera", False, "olga", True)
    assert made.speak("olga", True) is True
    assert made.receives("vera", False, "olga", True)  # everyone hears a host speaking to all
    assert not made.receives("olga", True, "vera", False)  # who still sees only group 1
    assert made.to_dict()["visits"] == {"olga": 1}
    assert made.to_dict()["speaking"] == ["olga"]
    assert made.speak("olga", False) is True
    assert made.visit("olga", None) is True
    assert made.to_dict()["visits"] == {}


def test_more_time_counts_from_the_end_or_from_now_when_past_it() -> None:
    made = Breakout.chosen(2, PUPILS, 600, NOW)
    made.extend(300, NOW + 10)
    assert made.ends_at == NOW + 900
    assert made.left(NOW + 100) == 800
    made.extend(60, NOW + 1000)
    assert made.ends_at == NOW + 1060
    assert made.left(NOW + 2000) == 0


def person(identity: str, pid: str, role: Role = Role.PUPIL) -> Participant:
    return Participant(pid, identity, identity.title(), role, default_grants(role))


def test_narrowed_subscriptions_follow_the_group_and_survive_a_new_participant_id() -> None:
    roster = Roster("room")
    for p in (
        person("olga", "p_t", Role.TEACHER),
        person("anya", "p_a"),
        person("boris", "p_b"),
        person("vera", "p_v"),
        person("gleb", "p_g"),
    ):
        roster.add(p)
    made = Breakout.by_hand([["anya", "boris"], ["vera", "gleb"]], PUPILS, 600, NOW)
    anya = roster.participants["p_a"]
    assert narrowed(roster, anya, None) == (None, None)
    assert narrowed(roster, anya, made) == (["p_b"], ["p_b"])
    assert narrowed(roster, roster.participants["p_t"], made) == ([], [])
    # The page asked for some people's videos only: still within the group.
    anya.receives_video_from = ["olga", "vera"]
    assert narrowed(roster, anya, made) == (["p_b"], [])
    anya.receives_video_from = None
    # Boris's page dropped and joined again: a new id, the same identity, the same group.
    roster.remove("p_b")
    roster.add(person("boris", "p_b2"))
    assert narrowed(roster, roster.participants["p_b2"], made) == (["p_a"], ["p_a"])
    assert narrowed(roster, anya, made) == (["p_b2"], ["p_b2"])
    made.visit("olga", 1)
    assert narrowed(roster, roster.participants["p_t"], made) == (["p_v", "p_g"], ["p_v", "p_g"])
    made.speak("olga", True)
    assert narrowed(roster, anya, made) == (["p_t", "p_b2"], ["p_t", "p_b2"])
