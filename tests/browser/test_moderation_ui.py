"""Hosts in real Chromium: a teacher mutes a pupil (and the pupil's sound really stops reaching
the others), admits a parent from the lobby, lowers a raised hand, runs a poll and removes a
pupil; and a parent meeting's waiting screens, a refusal at the door and the end of a session.

Runs its own server with a known SECRET (the shared one's is random), so that the test can mint
lobby tokens, and with the demo school, whose teacher schedules and ends a session through the
REST API."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from classroom.roles import Grants, Role, default_grants
from signaling.auth import TokenIssuer

from .conftest import running_server
from .test_lesson import Person, wait_until, with_params

pytestmark = pytest.mark.browser

SECRET = "moderation-ui-test-secret-0123456789abcd"  # 40 characters, this test only
ROOM = "moderation-lesson"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
WAIT_MS = 20_000
ACCOUNT = re.compile(r"^\s+(admin|teacher|pupil|parent)\s+(\S+)\s+/ (\S+)\s+\((.+)\)\s*$")


@dataclass
class ModServer:
    base_url: str
    accounts: dict[str, tuple[str, str]]
    """role → (login, password) of the demo school (the first of each role)."""
    output: list[str] = field(default_factory=list)
    data: Path = Path()
    """The server's data directory (recordings go under it)."""
    issuer: TokenIssuer = field(default_factory=lambda: TokenIssuer(SECRET))

    def log_tail(self, lines: int = 60) -> str:
        # Page and asset requests say nothing about a failure: leave them out.
        return "".join([line for line in self.output if "aiohttp.access" not in line][-lines:])

    def link(self, identity: str, name: str, role: Role, lobby: bool = False, **params: str) -> str:
        grants = default_grants(role) if not lobby else Grants(publish=True, subscribe=True)
        token = self.issuer.issue(identity, name, ROOM, role, grants, ttl=600, lobby=lobby)
        return self.token_link(token, **params)

    def token_link(self, token: str, **params: str) -> str:
        """A link carrying a room token (the page keeps it and shows /lesson/<room>)."""
        return with_params(f"{self.base_url}/lesson?token={token}", autojoin="1", **params)

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def sign_in(self, role: str) -> str:
        login, password = self.accounts[role]
        return str(
            self.api("POST", "/api/auth/login", body={"login": login, "password": password})[
                "token"
            ]
        )


@pytest.fixture(scope="module")
def mod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModServer]:
    data = tmp_path_factory.mktemp("moderation-data")
    with running_server(data, SECRET=SECRET, SFU_WORKERS="0", DEMO_SCHOOL="1") as running:
        # The demo accounts are printed before the lesson links.
        running.wait_for(
            lambda output: any(line.startswith("Teacher link:") for line in output) or None,
            "lesson links",
        )
        accounts: dict[str, tuple[str, str]] = {}
        for line in running.output:
            match = ACCOUNT.match(line)
            if match:
                accounts.setdefault(match.group(1), (match.group(2), match.group(3)))
        yield ModServer(running.base_url, accounts, running.output, data)


class Room:
    """The pages opened by one test; on failure their consoles and the server log are shown."""

    def __init__(self, browser: Any, server: ModServer) -> None:
        self.browser = browser
        self.server = server
        self.people: list[Person] = []

    def open(self, link: str, role: str, viewport: dict[str, int] = DESKTOP) -> Person:
        person = Person(self.browser, link, role, viewport, "en-US")
        self.people.append(person)
        return person

    def report(self) -> str:
        consoles = "\n".join(
            f"--- {p.role} console ---\n" + "\n".join(p.console[-30:]) for p in self.people
        )
        return f"{consoles}\n--- server ---\n{self.server.log_tail()}"

    def close(self) -> None:
        for person in self.people:
            person.close()


@contextmanager
def lesson(browser: Any, server: ModServer) -> Iterator[Room]:
    """The test's pages; a failure (an assertion or a Playwright timeout) shows their consoles."""
    opened = Room(browser, server)
    try:
        yield opened
        for person in opened.people:
            assert not person.errors, f"uncaught errors on {person.role}'s page: {person.errors}"
    except Exception as exc:
        raise AssertionError(f"{exc}\n{opened.report()}") from exc
    finally:
        opened.close()


def audio_packets(person: Person, participant_id: str) -> int:
    """inbound-rtp packetsReceived of `participant_id`'s microphone, as `person` receives it."""
    entry = person.stats()["participants"].get(participant_id)
    return int(entry["packetsReceived"]) if entry else 0


def joined_id(person: Person) -> str:
    me = wait_until(lambda: person.stats()["self"], f"{person.role} to join", timeout=30)
    return str(me["id"])


def tile(person: Person, participant_id: str) -> Any:
    return person.page.locator(f'#grid .tile[data-key="{participant_id}"]')


def open_tile_menu(host: Person, participant_id: str) -> Any:
    tile(host, participant_id).locator(".tile-menu-button").click()
    menu = host.page.locator("#tile-menu")
    menu.wait_for(state="visible", timeout=WAIT_MS)
    assert menu.get_attribute("data-participant-id") == participant_id
    return menu


def toast(person: Person, text: str) -> Any:
    found = person.page.locator(".toast", has_text=text)
    found.first.wait_for(state="visible", timeout=WAIT_MS)
    return found


@pytest.mark.timeout(300)
def test_teacher_mutes_admits_lowers_polls_and_removes(
    browser: Any, mod_server: ModServer, artifacts: Path
) -> None:
    with lesson(browser, mod_server) as room:
        _mute_admit_hands_poll_remove(room, mod_server, artifacts)


def _mute_admit_hands_poll_remove(room: Room, mod_server: ModServer, artifacts: Path) -> None:
    teacher = room.open(
        mod_server.link("teacher-m", "Ольга Ивановна", Role.TEACHER, lang="en"), "teacher"
    )
    pupil = room.open(mod_server.link("pupil-m", "Аня Петрова", Role.PUPIL, lang="en"), "pupil")
    teacher_id, pupil_id = joined_id(teacher), joined_id(pupil)

    # 1. Mute without leave to unmute: the pupil's sound stops at the server.
    wait_until(
        lambda: (
            audio_packets(teacher, pupil_id) > 0
            and teacher.stats()["participants"][pupil_id]["framesDecoded"] > 0
        ),
        "the teacher to receive the pupil's video and sound",
        timeout=40,
    )
    before = audio_packets(teacher, pupil_id)
    wait_until(lambda: audio_packets(teacher, pupil_id) > before, "the pupil's sound to flow")
    assert teacher.page.locator("#ctl-host").is_visible()
    assert not pupil.page.locator("#ctl-host").is_visible(), "a pupil got the host's panel"
    assert tile(pupil, teacher_id).locator(".tile-menu-button").is_hidden()

    menu = open_tile_menu(teacher, pupil_id)
    items = menu.locator(".menu-item").all_inner_texts()
    assert items == [
        "Mute microphone",
        "Mute, no self-unmute",
        "Allow to unmute",
        "Pin for everyone",
        "Remove from lesson…",
    ], items
    teacher.page.screenshot(path=artifacts / "moderation-host-menu.png")
    menu.get_by_text("Mute, no self-unmute").click()
    assert menu.is_hidden()

    toast(pupil, "The teacher muted your microphone. Raise your hand to ask to speak.")
    mic = pupil.page.locator("#ctl-mic")
    assert mic.is_disabled()
    assert mic.get_attribute("title") == "The teacher muted your microphone"
    assert pupil.stats()["micOn"] is False
    assert pupil.stats()["room"]["canUnmute"] is False
    tile(teacher, pupil_id).locator(".mic-off").wait_for(state="visible", timeout=WAIT_MS)
    toast(teacher, "Аня Петрова is muted until you allow unmuting.")
    time.sleep(1.0)  # packets already on the wire when the SFU stopped forwarding
    first = audio_packets(teacher, pupil_id)
    time.sleep(1.5)
    second = audio_packets(teacher, pupil_id)
    assert first == second, f"the muted pupil's audio still arrives: {first} → {second}"
    pupil.page.screenshot(path=artifacts / "moderation-pupil-muted.png")

    menu = open_tile_menu(teacher, pupil_id)
    menu.get_by_text("Allow to unmute").click()
    toast(pupil, "The teacher allowed you to turn your microphone on.")
    pupil.page.wait_for_function("() => !document.getElementById('ctl-mic').disabled")
    assert pupil.stats()["micOn"] is False, "allowing to unmute must not unmute by itself"
    mic.click()
    tile(teacher, pupil_id).locator(".mic-off").wait_for(state="hidden", timeout=WAIT_MS)
    resumed = audio_packets(teacher, pupil_id)
    wait_until(
        lambda: audio_packets(teacher, pupil_id) > resumed + 10,
        "the pupil's sound to reach the teacher again",
    )

    # 2. A parent with a lobby token waits until the teacher lets them in.
    parent = room.open(
        mod_server.link("parent-m", "Ирина Петрова", Role.PARENT, lobby=True, lang="en"), "parent"
    )
    parent.page.locator("#wait-view").wait_for(state="visible", timeout=WAIT_MS)
    assert parent.page.locator("#wait-title").inner_text() == "The teacher will let you in shortly"
    assert parent.page.locator("#wait-leave").inner_text() == "Leave"
    parent.page.screenshot(path=artifacts / "moderation-lobby-screen.png")

    teacher.page.locator('#ctl-host[data-unread="1"]').wait_for(timeout=WAIT_MS)
    toast(teacher, "Ирина Петрова is waiting to be let in.")
    teacher.page.click("#ctl-host")
    row = teacher.page.locator("#host-lobby-list .host-item", has_text="Ирина Петрова")
    row.wait_for(state="visible", timeout=WAIT_MS)
    assert teacher.page.locator("#tab-host-badge").inner_text() == "1"
    teacher.page.screenshot(path=artifacts / "moderation-lobby-panel.png")
    row.get_by_role("button", name="Admit").click()

    parent.page.locator("#lesson-view").wait_for(state="visible", timeout=WAIT_MS)
    parent_id = joined_id(parent)
    wait_until(
        lambda: "Ирина Петрова" in teacher.stats()["names"],
        "the parent's tile on the teacher's page",
    )
    teacher.page.locator("#host-lobby-empty").wait_for(state="visible", timeout=WAIT_MS)
    assert teacher.page.locator("#ctl-host").get_attribute("data-unread") is None

    # Lock: everyone sees it; pin: everyone's layout shows the pinned person large.
    teacher.page.click("#host-lock")
    for person in (teacher, pupil, parent):
        badge = person.page.locator("#lock-badge")
        badge.wait_for(state="visible", timeout=WAIT_MS)
        assert badge.inner_text() == "Locked"
    assert teacher.page.locator("#host-lock").inner_text() == "Unlock lesson"
    teacher.page.click("#host-lock")
    pupil.page.locator("#lock-badge").wait_for(state="hidden", timeout=WAIT_MS)

    # Recording: everyone sees the mark while it runs; stopping saves a file per track.
    teacher.page.click("#host-record")
    for person in (teacher, pupil, parent):
        badge = person.page.locator("#recording-badge")
        badge.wait_for(state="visible", timeout=WAIT_MS)
        assert badge.inner_text() == "Recording"
    toast(teacher, "Recording started.")
    assert teacher.page.locator("#host-record").inner_text() == "Stop recording"
    pupil.page.screenshot(path=artifacts / "moderation-recording.png")
    teacher.page.screenshot(path=artifacts / "moderation-recording-host.png")
    time.sleep(3)
    teacher.page.click("#host-record")
    toast(teacher, "Recording stopped and saved.")
    pupil.page.locator("#recording-badge").wait_for(state="hidden", timeout=WAIT_MS)
    (sidecar,) = (mod_server.data / "recordings" / ROOM).glob("*/recording.json")
    recorded = json.loads(sidecar.read_text())
    assert recorded["stopped"] is not None
    kinds = sorted(t["kind"] for t in recorded["tracks"] if t["frames"])
    # The teacher's, the pupil's and the parent's cameras; the pupil's microphone may be muted.
    assert kinds.count("video") == 3 and kinds.count("audio") >= 2
    assert not list(sidecar.parent.glob("*.part"))

    open_tile_menu(teacher, parent_id).get_by_text("Pin for everyone").click()
    for person in (teacher, pupil, parent):
        tile(person, parent_id).and_(person.page.locator(".pinned")).wait_for(timeout=WAIT_MS)
        assert person.page.locator("#grid.has-pinned").count() == 1
    pupil.page.screenshot(path=artifacts / "moderation-pinned.png")
    open_tile_menu(teacher, parent_id).get_by_text("Unpin").click()
    pupil.page.locator("#grid.has-pinned").wait_for(state="detached", timeout=WAIT_MS)

    # 3. A raised hand: the teacher sees it on the tile and in the list, and lowers it.
    hand = pupil.page.locator("#ctl-hand")
    assert hand.inner_text() == "Raise hand"
    hand.click()
    pupil.page.locator('#ctl-hand[aria-pressed="true"]').wait_for(timeout=WAIT_MS)
    assert hand.inner_text() == "Lower hand"
    badge = tile(teacher, pupil_id).locator(".hand-badge")
    badge.wait_for(state="visible", timeout=WAIT_MS)
    assert badge.inner_text().strip() == "1"
    toast(teacher, "Аня Петрова raised a hand.")
    hands = teacher.page.locator("#host-hands-list .host-item")
    assert hands.count() == 1
    assert hands.first.locator(".host-name").inner_text() == "Аня Петрова"
    tile(parent, pupil_id).locator(".hand-badge").wait_for(state="visible", timeout=WAIT_MS)
    hands.first.get_by_role("button", name="Lower").click()
    badge.wait_for(state="hidden", timeout=WAIT_MS)
    pupil.page.locator('#ctl-hand[aria-pressed="false"]').wait_for(timeout=WAIT_MS)
    toast(pupil, "The teacher lowered your hand.")
    teacher.page.locator("#host-hands-empty").wait_for(state="visible", timeout=WAIT_MS)

    # 4. A poll with results for everyone.
    teacher.page.click("#host-new-poll")
    dialog = teacher.page.locator("#poll-dialog")
    dialog.wait_for(state="visible", timeout=WAIT_MS)
    teacher.page.click("#poll-start")
    assert teacher.page.locator("#poll-error").inner_text() == "Write the question."
    teacher.page.fill("#poll-question", "Which planet is the largest?")
    options = teacher.page.locator("#poll-options .poll-option-input")
    assert options.count() == 2
    options.nth(0).fill("Jupiter")
    options.nth(1).fill("Saturn")
    teacher.page.click("#poll-add-option")
    options.nth(2).fill("Earth")
    assert teacher.page.locator("#poll-show-results").is_checked()
    assert not teacher.page.locator("#poll-multiple").is_checked()
    teacher.page.screenshot(path=artifacts / "moderation-new-poll.png")
    teacher.page.click("#poll-start")
    dialog.wait_for(state="hidden", timeout=WAIT_MS)

    card = pupil.page.locator(".poll-card", has_text="Which planet is the largest?")
    card.wait_for(state="visible", timeout=WAIT_MS)
    assert card.locator("input[type=radio]").count() == 3
    card.get_by_text("Jupiter").click()
    card.get_by_role("button", name="Send answer").click()
    card.locator(".poll-status", has_text="Answer sent.").wait_for(timeout=WAIT_MS)
    host_card = teacher.page.locator(".poll-card", has_text="Which planet is the largest?")
    for person, shown in ((pupil, card), (teacher, host_card)):
        jupiter = shown.locator(".poll-option", has_text="Jupiter")
        jupiter.locator(".poll-count", has_text="1 · 100%").wait_for(timeout=WAIT_MS)
        assert (
            shown.locator(".poll-option", has_text="Saturn").locator(".poll-count").inner_text()
            == "0 · 0%"
        )
        assert shown.locator(".poll-voters").inner_text() == "Answered: 1", person.role
    assert card.get_by_role("button", name="Change answer").is_disabled()
    pupil.page.screenshot(path=artifacts / "moderation-poll-pupil.png")
    teacher.page.screenshot(path=artifacts / "moderation-poll-teacher.png")

    # The same lesson on a phone: everything reachable, nothing wider than the screen.
    teacher.page.set_viewport_size(PHONE)
    teacher.page.click("#ctl-host")
    teacher.page.screenshot(path=artifacts / "moderation-phone-teacher.png", full_page=True)
    teacher.page.click("#lang-switch [data-lang=ru]")
    teacher.page.locator("#tab-host", has_text="Класс").wait_for(timeout=WAIT_MS)
    assert host_card.get_by_role("button", name="Завершить опрос").is_visible()
    teacher.page.screenshot(path=artifacts / "moderation-phone-teacher-ru.png", full_page=True)
    teacher.page.click("#lang-switch [data-lang=en]")
    assert teacher.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    pupil.page.set_viewport_size(PHONE)
    pupil.page.screenshot(path=artifacts / "moderation-phone-pupil.png", full_page=True)
    assert pupil.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    menu = open_tile_menu(teacher, pupil_id)
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    teacher.page.screenshot(path=artifacts / "moderation-phone-menu.png")
    teacher.page.keyboard.press("Escape")
    teacher.page.set_viewport_size(DESKTOP)
    pupil.page.set_viewport_size(DESKTOP)

    host_card.get_by_role("button", name="Close poll").click()
    card.locator(".poll-status", has_text="The poll is closed. Final results:").wait_for(
        timeout=WAIT_MS
    )
    assert card.locator("input:disabled").count() == 3

    # 5. Removed: the pupil sees why, and the same link does not let them back.
    menu = open_tile_menu(teacher, pupil_id)
    menu.get_by_text("Remove from lesson…").click()
    confirm = teacher.page.locator("#confirm-dialog")
    confirm.wait_for(state="visible", timeout=WAIT_MS)
    assert confirm.locator("#confirm-title").inner_text() == "Remove Аня Петрова?"
    teacher.page.click("#confirm-ok")
    end = pupil.page.locator("#end-view")
    end.wait_for(state="visible", timeout=WAIT_MS)
    assert pupil.page.locator("#end-title").inner_text() == "You were removed from this lesson"
    assert pupil.page.locator("#rejoin-button").is_hidden()
    assert pupil.page.locator("#school-link").get_attribute("href") == "/school"
    pupil.page.screenshot(path=artifacts / "moderation-removed.png")
    wait_until(lambda: "Аня Петрова" not in teacher.stats()["names"], "the pupil's tile to go")

    pupil.page.goto(mod_server.link("pupil-m", "Аня Петрова", Role.PUPIL, lang="en"))
    end.wait_for(state="visible", timeout=WAIT_MS)
    assert pupil.page.locator("#end-title").inner_text() == "You were removed from this lesson"
    assert pupil.stats()["self"] is None


@pytest.mark.timeout(180)
def test_parent_meeting_waiting_screens_refusal_and_end(
    browser: Any, mod_server: ModServer, artifacts: Path
) -> None:
    with lesson(browser, mod_server) as room:
        _waiting_refusal_end(room, mod_server, artifacts)


def _waiting_refusal_end(room: Room, mod_server: ModServer, artifacts: Path) -> None:
    teacher_api = mod_server.sign_in("teacher")
    class_id = mod_server.api("GET", "/api/classes", teacher_api)["classes"][0]["id"]
    session = mod_server.api(
        "POST",
        "/api/sessions",
        teacher_api,
        {
            "kind": "parent_meeting",
            "title": "Parent meeting",
            "class_id": class_id,
            "scheduled_at": time.time() + 3600,
        },
    )
    parent_api = mod_server.sign_in("parent")
    parent_join = mod_server.api("POST", f"/api/sessions/{session['id']}/join", parent_api)
    teacher_join = mod_server.api("POST", f"/api/sessions/{session['id']}/join", teacher_api)
    assert parent_join["lobby"] is True

    # Before the teacher comes, the parent waits for the start (in Russian: the link says so).
    parent = room.open(mod_server.token_link(parent_join["token"], lang="ru"), "parent")
    parent.page.locator("#wait-view").wait_for(state="visible", timeout=WAIT_MS)
    assert parent.page.locator("#wait-title").inner_text() == "Ждём, когда учитель начнёт урок"
    assert parent.page.locator("#wait-leave").inner_text() == "Выйти"
    parent.page.screenshot(path=artifacts / "moderation-waiting-start.png")

    # Leaving the waiting screen, then coming back to it.
    parent.page.click("#wait-leave")
    parent.page.locator("#end-view").wait_for(state="visible", timeout=WAIT_MS)
    assert parent.page.locator("#end-title").inner_text() == "Вы вышли с урока"
    parent.page.click("#rejoin-button")
    # A parent meeting is no lesson: its button says "Войти".
    parent.page.locator("#join-button").filter(has_text=re.compile("^Войти$")).wait_for(
        timeout=WAIT_MS
    )
    parent.page.click("#join-button")
    parent.page.locator("#wait-view").wait_for(state="visible", timeout=WAIT_MS)

    # The teacher's arrival starts the session: the parent moves on to the lobby.
    teacher = room.open(mod_server.token_link(teacher_join["token"], lang="en"), "teacher")
    parent.page.locator("#wait-title", has_text="Учитель скоро вас впустит").wait_for(
        timeout=WAIT_MS
    )
    row = teacher.page.locator("#host-lobby-list .host-item")
    teacher.page.locator('#ctl-host[data-unread="1"]').wait_for(timeout=WAIT_MS)
    teacher.page.click("#ctl-host")
    row.first.wait_for(state="visible", timeout=WAIT_MS)
    row.first.get_by_role("button", name="Deny").click()
    parent.page.locator("#end-view").wait_for(state="visible", timeout=WAIT_MS)
    assert parent.page.locator("#end-title").inner_text() == "Учитель не впустил вас"
    assert parent.page.locator("#rejoin-button").is_hidden()
    assert parent.page.locator("#school-link").inner_text() == "Вернуться в мою школу"
    parent.page.screenshot(path=artifacts / "moderation-denied.png")
    teacher.page.locator("#host-lobby-empty").wait_for(state="visible", timeout=WAIT_MS)

    # The teacher ends the session from the school page (here: its REST call).
    mod_server.api("POST", f"/api/sessions/{session['id']}/end", teacher_api)
    teacher.page.locator("#end-view").wait_for(state="visible", timeout=WAIT_MS)
    assert teacher.page.locator("#end-title").inner_text() == "The lesson has ended"
    assert teacher.page.locator("#rejoin-button").is_hidden()
    teacher.page.screenshot(path=artifacts / "moderation-ended.png")
    teacher.page.set_viewport_size(PHONE)
    teacher.page.screenshot(path=artifacts / "moderation-ended-phone.png")

    # The link outlives the session; the page says it is over instead of trying again.
    teacher.page.goto(mod_server.token_link(teacher_join["token"], lang="en"))
    teacher.page.locator("#end-title", has_text="The lesson has ended").wait_for(timeout=WAIT_MS)
