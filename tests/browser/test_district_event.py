"""An event cascaded over a district, in real Chromium: three nodes (processes on 127.0.0.1,
one redis-server, one PostgreSQL), the performer on stage through node-a (which holds the
event), and families watching through node-b (two of them, the guest link opened on node-b)
and node-c (one, sent there by a load balancer while node-c lives).

Each family's page decodes the performer's whole picture (frames advancing, not black) and
sound; its media comes from the SFU of the node it came in by (its ICE candidate is a port of
that node's processes, its downlink in that node's /metrics, none at node-a's), and the stage
reaches each of node-b and node-c once (two tracks there, whatever the audience). When the
last family on node-c leaves, node-c's room and the stage's tracks piped there close; node-b's
go on. She watches again through node-c (its room and pipe open anew); node-c is killed
(kill -9), and her page comes back by itself through node-b and watches from node-b's SFU."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.redis_server import RedisServer
from tests.postgres import Postgres
from tests.server_process import ServerProcess

from .district_nodes import (
    Balancer,
    district_nodes,
    labelled,
    rooms_held,
    scrape,
    through,
    udp_port_owner,
    value,
)
from .school_site import LESSON_URL, STATS, Demo, Pages, api_call, demo_accounts, poll, sign_in

pytestmark = pytest.mark.browser

FULL = (960, 540)
PICTURE = """async (id) => {
  // The performer's tile as the family sees it: frames the <video> has shown, and how bright
  // its picture is (the fake camera's is a coloured pattern, never black).
  const video = document.querySelector(`#grid .tile[data-key="${id}"] video`);
  if (!video || !video.videoWidth) return null;
  const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 36 });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0, 64, 36);
  const { data } = context.getImageData(0, 0, 64, 36);
  let sum = 0;
  let brightest = 0;
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += luma;
    brightest = Math.max(brightest, luma);
  }
  return {
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    width: video.videoWidth,
    height: video.videoHeight,
    paused: video.paused,
    luma: sum / (data.length / 4),
    brightest,
  };
}"""

SOUND_AND_ROUTE = """async () => {
  // The sound received (its energy: not silence) and the SFU address the media comes from.
  const pc = window.classroom.client?._subscribePc;
  if (!pc) return null;
  const report = await pc.getStats();
  const result = { energy: 0, samples: 0, remote: null };
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      result.energy += s.totalAudioEnergy ?? 0;
      result.samples += s.totalSamplesReceived ?? 0;
    }
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      const remote = pair && report.get(pair.remoteCandidateId);
      if (remote) {
        result.remote = { address: remote.address, port: remote.port, type: remote.candidateType };
      }
    }
  });
  return result;
}"""


@pytest.fixture
def nodes(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
    postgres_server: Postgres,
) -> Iterator[dict[str, ServerProcess]]:
    with district_nodes(
        tmp_path_factory, redis_server, postgres_server, "browser_district_event"
    ) as started:
        yield started


@pytest.fixture
def balancer(nodes: dict[str, ServerProcess]) -> Iterator[Balancer]:
    """A load balancer that sends each connection to node-c while it lives, else to node-b."""
    with Balancer([nodes["node-c"], nodes["node-b"]]) as started:
        yield started


def family(pages: Pages, link: str, name: str) -> Any:
    """A guest opening the event's link, giving a name and pressing "Watch"."""
    page = pages.open(link)
    page.fill("#event-name", name)
    page.click("#event-submit")
    page.wait_for_url(LESSON_URL)
    page.click("#join-button")
    return page


def goes_on(page: Any, performer: str, who: str, frames: int | None = None) -> dict[str, Any]:
    """The performer's picture once the page has shown 25 more frames of it (about a second)
    than `frames` (by default, than now)."""
    start = page.evaluate(PICTURE, performer)["frames"] if frames is None else frames
    return dict(
        poll(
            lambda: (lambda p: p if p and p["frames"] >= start + 25 else None)(
                page.evaluate(PICTURE, performer)
            ),
            f"{who}'s picture of the performer to go on",
            60,
        )
    )


def watching(page: Any, performer: str) -> dict[str, Any]:
    """What the page shows and plays of the performer, once it has shown the whole picture,
    the picture moves on and its sound is heard."""
    # The performer's camera (960x540, web_client/media.js) comes in three simulcast layers;
    # the stage piped to another node carries the best one the performer sends, and its
    # uplink takes a few seconds to grow to it (and may step down a layer for a while on
    # this busy machine: the size is asked of the first picture only).
    first = poll(
        lambda: (lambda p: p if p and (p["width"], p["height"]) == FULL else None)(
            page.evaluate(PICTURE, performer)
        ),
        "the performer's whole picture",
        90,
    )
    later = goes_on(page, performer, "the family", first["frames"])
    heard = poll(
        lambda: (lambda s: s if s and s["energy"] > 0 and s["samples"] > 48000 else None)(
            page.evaluate(SOUND_AND_ROUTE)
        ),
        "the performer's sound",
        60,
    )
    return {**later, **heard, "whole": (first["width"], first["height"])}


def report(nodes: dict[str, ServerProcess], pages: list[Any]) -> str:
    logs = "\n".join(
        f"--- {name} ---\n" + "".join(line for line in n.output[-40:] if "/static/" not in line)
        for name, n in nodes.items()
    )
    states = "\n".join(f"--- {p.url} ---\n{p.evaluate(STATS)}" for p in pages if not p.is_closed())
    return f"{logs}\n{states}"


@pytest.mark.timeout(300)
def test_families_through_other_nodes_watch_the_event_from_those_nodes(
    browser: Any,
    nodes: dict[str, ServerProcess],
    balancer: Balancer,
    redis_server: RedisServer,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    node_a, node_b, node_c = nodes["node-a"], nodes["node-b"], nodes["node-c"]
    accounts = node_a.wait_for(demo_accounts, "demo accounts")
    pages = Pages(browser, Demo(node_a.base_url, accounts, tmp_path, node_a.output))
    opened: list[Any] = []
    try:
        # The organiser makes the event and goes on stage through node-a.
        teacher = pages.open("/signin")
        opened.append(teacher)
        sign_in(teacher, pages.demo.account("teacher"))
        event = api_call(teacher, "POST", "/api/sessions", {"kind": "event", "title": "Концерт"})
        api_call(teacher, "POST", f"/api/sessions/{event['id']}/start")
        link = api_call(teacher, "GET", f"/api/sessions/{event['id']}/event-link")["url"]
        teacher.goto(api_call(teacher, "POST", f"/api/sessions/{event['id']}/join")["url"])
        teacher.wait_for_function("() => document.getElementById('preview-video').srcObject")
        teacher.click("#join-button")
        performer = poll(lambda: (teacher.evaluate(STATS).get("self") or {}).get("id"), "on stage")
        assert rooms_held(redis_server) == ["node-a"]  # three empty nodes: the first by name

        # Families open the link through node-b and node-c.
        viewers = {
            "grandma": (node_b, family(pages, through(link, node_b), "Бабушка Маши")),
            "grandpa": (node_b, family(pages, through(link, node_b), "Дедушка Маши")),
            "aunt": (node_c, family(pages, through(link, balancer), "Тётя Маши")),
        }
        opened += [page for _, page in viewers.values()]
        ids: dict[str, str] = {}
        for who, (door, page) in viewers.items():
            seen = watching(page, performer)
            print(who, seen)
            ids[who] = page.evaluate(STATS)["self"]["id"]
            assert seen["whole"] == FULL, seen
            assert not seen["paused"]
            assert seen["luma"] > 40 and seen["brightest"] > 100, seen  # not a black picture
            # Its media comes from the SFU of the node it came in by, at that node's ICE
            # address (ICE_ADDRESSES: 127.0.0.1 for all three here; the port tells them apart).
            remote = seen["remote"]
            assert (remote["address"], remote["type"]) == ("127.0.0.1", "host"), remote
            assert udp_port_owner(nodes, remote["port"]) == (
                "node-b" if door is node_b else "node-c"
            ), remote
        viewers["grandma"][1].screenshot(path=artifacts / "district-event-viewer.png")

        # One room, signalled at node-a; each family's downlink is in its door node's SFU,
        # where the stage arrives once: its two tracks, for two families as for one.
        # The origin last: what it received from the performer is counted after the edges'.
        metrics = {name: scrape(nodes[name]) for name in ("node-b", "node-c", "node-a")}
        downlinks = {
            name: labelled(series, "classroom_subscriber_sent_bps", "participant")
            for name, series in metrics.items()
        }
        assert downlinks["node-a"] & set(ids.values()) == set()
        assert downlinks["node-b"] & set(ids.values()) == {ids["grandma"], ids["grandpa"]}
        assert downlinks["node-c"] & set(ids.values()) == {ids["aunt"]}
        assert [value(metrics[n], "classroom_rooms") for n in nodes] == [1, 1, 1]
        assert [value(metrics[n], "classroom_producers") for n in nodes] == [2, 2, 2]
        # Once: no packet of the stage reached an edge twice (a second copy of a video packet
        # is counted and dropped), and an edge took no more of the performer's sound (never
        # resent) than the origin received, though a second pipe would double it.
        sound = "classroom_sfu_opus_packets_total"
        for edge in ("node-b", "node-c"):
            assert value(metrics[edge], "classroom_sfu_duplicates_dropped_total") == 0
            assert 0 < value(metrics[edge], sound) <= value(metrics["node-a"], sound)
        assert [value(metrics[n], "classroom_door_relays") for n in nodes] == [0, 2, 1]
        assert [value(metrics[n], "classroom_participants") for n in nodes] == [4, 0, 0]

        # The last family on node-c leaves: node-c's room and its piped tracks close.
        aunt = viewers["aunt"][1]
        aunt.click("#ctl-leave")
        aunt.locator("#end-view").wait_for()

        def closed_at_c() -> Any:
            series = scrape(node_c)
            return series if value(series, "classroom_rooms") == 0 else None

        at_c = poll(closed_at_c, "node-c's room to close", 30)
        assert value(at_c, "classroom_producers") == 0
        assert value(at_c, "classroom_door_relays") == 0
        assert labelled(at_c, "classroom_subscriber_sent_bps", "participant") == set()
        at_b = scrape(node_b)
        assert (value(at_b, "classroom_rooms"), value(at_b, "classroom_producers")) == (1, 2)
        assert value(scrape(node_a), "classroom_participants") == 3
        # node-b's families watch on.
        for who in ("grandma", "grandpa"):
            goes_on(viewers[who][1], performer, who)

        # She watches again, through node-c again: its room and pipe open anew.
        aunt.click("#rejoin-button")  # back to the event's page: "Watch" once more
        aunt.click("#join-button")
        again = watching(aunt, performer)
        assert udp_port_owner(nodes, again["remote"]["port"]) == "node-c", again
        at_c = scrape(node_c)
        assert (value(at_c, "classroom_rooms"), value(at_c, "classroom_producers")) == (1, 2)

        # node-c dies (kill -9). Her page comes back by itself, through node-b (the
        # balancer's next), and watches from node-b's SFU, where the stage already is.
        os.kill(node_c.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()

        def from_node_b() -> dict[str, Any] | None:
            seen = aunt.evaluate(SOUND_AND_ROUTE)
            remote = seen and seen["remote"]
            if not remote or udp_port_owner(nodes, remote["port"]) != "node-b":
                return None
            return dict(seen)

        poll(from_node_b, "her page to watch from node-b", 60)
        back = watching(aunt, performer)
        print(f"watching through node-b {time.monotonic() - killed_at:.1f} s after the kill")
        assert udp_port_owner(nodes, back["remote"]["port"]) == "node-b", back
        assert back["luma"] > 40 and back["brightest"] > 100, back
        aunt_id = aunt.evaluate(STATS)["self"]["id"]
        at_b, at_a = scrape(node_b), scrape(node_a)
        assert labelled(at_b, "classroom_subscriber_sent_bps", "participant") & {
            aunt_id,
            ids["grandma"],
            ids["grandpa"],
        } == {aunt_id, ids["grandma"], ids["grandpa"]}
        assert aunt_id not in labelled(at_a, "classroom_subscriber_sent_bps", "participant")
        assert (value(at_b, "classroom_rooms"), value(at_b, "classroom_producers")) == (1, 2)
        assert value(at_b, "classroom_door_relays") == 3
        assert value(at_a, "classroom_participants") == 4
        assert rooms_held(redis_server) == ["node-a"]
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{report(nodes, opened)}") from exc
    finally:
        pages.close()
    assert not pages.errors, f"uncaught errors on the pages: {pages.errors}"
