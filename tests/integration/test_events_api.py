"""Events over the REST API on the real app: a teacher organises a concert with a pupil
performing; the performer and the teacher go on the stage, everyone else of the school only
watches; a family member without an account watches through the event's link, which only
the event's hosts see and which dies with the event."""

from __future__ import annotations

import jwt

from signaling.auth import TokenIssuer

from .school_api import SECRET, School, set_up_class
from .test_recordings_api import member


def claims(token: str) -> dict[str, object]:
    decoded = TokenIssuer(SECRET).verify(token)
    return {
        "role": decoded.role.value,
        "room": decoded.room,
        "music": decoded.music,
        **decoded.grants.to_dict(),
    }


async def test_a_concert_with_a_pupil_on_stage_a_school_audience_and_guests(
    school: School,
) -> None:
    s = school
    teacher, class_id = await set_up_class(s)
    singer, singer_id = await member(s, class_id, teacher, "pupil", "masha")
    pupil, pupil_id = await member(s, class_id, teacher, "pupil", "petya")
    parent, _ = await member(s, class_id, teacher, "parent", "irina", child_id=pupil_id)

    concert = {"kind": "event", "title": "Новогодний концерт", "performers": [singer_id]}
    for wrong, field in (
        ({**concert, "class_id": class_id}, "class_id"),  # the school's, not a class's
        ({**concert, "performers": ["nobody"]}, "performers"),
        ({"kind": "lesson", "title": "x", "class_id": class_id, "performers": []}, "performers"),
    ):
        status, body = await s.call("POST", "/api/sessions", teacher, wrong)
        assert (status, body["error"]["code"], body["error"]["field"]) == (
            400,
            "invalid_input",
            field,
        ), wrong
    status, body = await s.call("POST", "/api/sessions", pupil, concert)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, event = await s.call("POST", "/api/sessions", teacher, concert)
    assert status == 200, event
    assert (event["kind"], event["performers"], event["class_id"]) == ("event", [singer_id], None)
    event_id = event["id"]

    # Everyone of the school sees it; only its hosts see the guest link.
    for token in (teacher, singer, pupil, parent, s.admin_token):
        _, listed = await s.call("GET", "/api/sessions", token)
        assert event_id in [x["id"] for x in listed["sessions"]]
    for token in (singer, pupil, parent):
        status, body = await s.call("GET", f"/api/sessions/{event_id}/event-link", token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    status, link = await s.call("GET", f"/api/sessions/{event_id}/event-link", teacher)
    assert status == 200 and len(link["link"]) >= 32
    assert link["url"].endswith(f"/event/{link['link']}")

    await s.call("POST", f"/api/sessions/{event_id}/start", teacher)
    # On the stage everyone performs in music mode; the audience sends nothing.
    stage = {"publish": True, "subscribe": True, "music": True}
    watch = {"publish": False, "subscribe": True, "moderate": False, "music": False}
    for token, expected in (
        (teacher, {**stage, "moderate": True, "role": "teacher"}),
        (singer, {**stage, "moderate": False, "role": "pupil"}),
        (pupil, {**watch, "role": "pupil"}),
        (parent, {**watch, "role": "parent"}),
    ):
        status, entry = await s.call("POST", f"/api/sessions/{event_id}/join", token)
        assert status == 200, entry
        assert claims(entry["token"]) == {**expected, "room": event_id}

    # A guest: the link says what it is for, and gives a watch-only token for a name.
    status, opened = await s.call("GET", f"/api/events/{link['link']}")
    assert (status, opened) == (
        200,
        {"title": "Новогодний концерт", "state": "live", "school": "Школа №5"},
    )
    status, body = await s.call("POST", f"/api/events/{link['link']}/join", json={"name": "  "})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, guest = await s.call(
        "POST", f"/api/events/{link['link']}/join", json={"name": "  Бабушка   Маши "}
    )
    assert status == 200, guest
    assert claims(guest["token"]) == {**watch, "role": "guest", "room": event_id}
    assert TokenIssuer(SECRET).verify(guest["token"]).name == "Бабушка Маши"
    for wrong in ("x" * 32, ""):
        status, body = await s.call("GET", f"/api/events/{wrong}")
        assert status in (404, 405), wrong

    # The organiser changes the stage: the pupil now performs, the singer watches.
    path = f"/api/sessions/{event_id}/performers"
    status, body = await s.call("PUT", path, pupil, {"performers": [pupil_id]})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, changed = await s.call("PUT", path, teacher, {"performers": [pupil_id, pupil_id]})
    assert (status, changed["performers"]) == (200, [pupil_id])
    _, entry = await s.call("POST", f"/api/sessions/{event_id}/join", singer)
    assert claims(entry["token"])["publish"] is False

    # The organiser may send the whole audience to the HLS broadcast.
    path = f"/api/sessions/{event_id}/audience"
    status, body = await s.call("PUT", path, pupil, {"hls_only": True})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await s.call("PUT", path, teacher, {"hls_only": "yes"})
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400,
        "invalid_input",
        "hls_only",
    )
    status, changed = await s.call("PUT", path, teacher, {"hls_only": True})
    assert (status, changed["hls_only"]) == (200, True)
    _, entry = await s.call("POST", f"/api/sessions/{event_id}/join", pupil)
    assert entry["hls"].startswith(f"/hls/{event_id}.") and entry["hls"].endswith("/live.m3u8")
    # The token carries it too, for the page to switch to when the room refuses it.
    assert jwt.decode(entry["token"], SECRET, algorithms=["HS256"])["hls"] == entry["hls"]

    # Over: the link is dead.
    await s.call("POST", f"/api/sessions/{event_id}/end", teacher)
    status, body = await s.call("GET", f"/api/events/{link['link']}")
    assert (status, body["error"]["code"]) == (409, "session_ended")
    status, body = await s.call("POST", f"/api/events/{link['link']}/join", json={"name": "Гость"})
    assert (status, body["error"]["code"]) == (409, "session_ended")
