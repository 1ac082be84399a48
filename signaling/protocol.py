"""Decoding and validating client messages (docs/protocol.md); nothing here does I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import (
    BAD_JSON,
    BAD_MESSAGE,
    FRAME_TOO_LARGE,
    UNKNOWN_TYPE,
    ProtocolError,
)

MAX_FRAME_BYTES = 65_536
MAX_SDP_FRAME_BYTES = 1_048_576
"""Frames that carry an SDP (`publish_offer`, `subscribe_answer`) may be larger: a pupil's
subscribe answer in a class of 30, before the page narrows it to what it shows, has ~56
m-lines (every camera and microphone), and the bench's bots' answers came to 66 KB: refused
at 64 KiB, those subscriptions never connected."""
SDP_TYPES = frozenset({"publish_offer", "subscribe_answer"})
"""Largest text frame we read; a publish offer with three tracks is ~10 KB."""
MAX_CHAT_CHARS = 2000
SOURCES = ("camera", "microphone", "screen")

RequestId = str | int | None


@dataclass
class Request:
    type: str
    id: RequestId
    body: dict[str, Any]


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ProtocolError(BAD_MESSAGE, f"'{name}' must be a {names}")
    return value


def _source(body: dict[str, Any]) -> str:
    source = _field(body, "source", str)
    if source not in SOURCES:
        raise ProtocolError(BAD_MESSAGE, f"'source' must be one of {', '.join(SOURCES)}")
    return str(source)


def _sdp(body: dict[str, Any]) -> str:
    sdp = _field(body, "sdp", str)
    if not sdp.startswith("v=0"):
        raise ProtocolError(BAD_MESSAGE, "'sdp' must be an SDP document starting with v=0")
    return str(sdp)


def _validate_join(body: dict[str, Any]) -> None:
    _field(body, "token", str)
    if body.get("resumeToken") is not None:
        _field(body, "resumeToken", str)
    if body.get("identities") is not None:
        _validate_set_subscriptions(body)


def _validate_publish_offer(body: dict[str, Any]) -> None:
    _sdp(body)
    tracks = _field(body, "tracks", list)
    mids = set()
    for track in tracks:
        if not isinstance(track, dict):
            raise ProtocolError(BAD_MESSAGE, "'tracks' must be a list of {mid, source}")
        mid = _field(track, "mid", str)
        _source(track)
        if mid in mids:
            raise ProtocolError(BAD_MESSAGE, f"mid {mid!r} is listed twice in 'tracks'")
        mids.add(mid)


def _validate_subscribe_answer(body: dict[str, Any]) -> None:
    _sdp(body)


def _validate_unpublish(body: dict[str, Any]) -> None:
    _source(body)


def _validate_mute(body: dict[str, Any]) -> None:
    _source(body)
    _field(body, "muted", bool)


def _validate_chat(body: dict[str, Any]) -> None:
    text = _field(body, "text", str)
    if not text.strip() or len(text) > MAX_CHAT_CHARS:
        raise ProtocolError(BAD_MESSAGE, f"'text' must have 1 to {MAX_CHAT_CHARS} characters")


MAX_SUBSCRIPTIONS = 1000


def _validate_set_subscriptions(body: dict[str, Any]) -> None:
    if "identities" not in body:
        raise ProtocolError(BAD_MESSAGE, "'identities' is required (a list of strings or null)")
    _identities(body, "identities")
    _identities(body, "video")


def _identities(body: dict[str, Any], name: str) -> None:
    """`name` is absent, null, or a list of at most MAX_SUBSCRIPTIONS identity strings."""
    identities = body.get(name)
    if identities is None:
        return
    if (
        not isinstance(identities, list)
        or len(identities) > MAX_SUBSCRIPTIONS
        or not all(isinstance(i, str) for i in identities)
    ):
        raise ProtocolError(
            BAD_MESSAGE,
            f"'{name}' must be null or a list of at most {MAX_SUBSCRIPTIONS} strings",
        )


MAX_VIDEO_SIZE = 16384


def _validate_set_video_sizes(body: dict[str, Any]) -> None:
    sizes = body.get("sizes")
    problem = (
        f"'sizes' must be an object of at most {MAX_SUBSCRIPTIONS} track ids, each "
        f"[width, height] in pixels (0 to {MAX_VIDEO_SIZE})"
    )
    if not isinstance(sizes, dict) or len(sizes) > MAX_SUBSCRIPTIONS:
        raise ProtocolError(BAD_MESSAGE, problem)
    for track, size in sizes.items():
        if (
            len(track) > 64
            or not isinstance(size, list)
            or len(size) != 2
            or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_VIDEO_SIZE
                for v in size
            )
        ):
            raise ProtocolError(BAD_MESSAGE, problem)


def _validate_nothing(body: dict[str, Any]) -> None:
    return None


def _participant_id(body: dict[str, Any]) -> None:
    _field(body, "participantId", str)


def _validate_mute_participant(body: dict[str, Any]) -> None:
    _participant_id(body)
    _source(body)
    _field(body, "allowUnmute", bool)


def _validate_mute_all(body: dict[str, Any]) -> None:
    _field(body, "allowUnmute", bool)


def _validate_lock_room(body: dict[str, Any]) -> None:
    _field(body, "locked", bool)


def _validate_lower_hand(body: dict[str, Any]) -> None:
    if body.get("participantId") is not None:
        _participant_id(body)
    if body.get("all") is not None:
        _field(body, "all", bool)


PIN_SOURCES = ("camera", "screen")


def _validate_pin(body: dict[str, Any]) -> None:
    if "participantId" not in body:
        raise ProtocolError(BAD_MESSAGE, "'participantId' is required (a string or null)")
    if body["participantId"] is not None:
        _participant_id(body)
    if body.get("source") is not None and body["source"] not in PIN_SOURCES:
        raise ProtocolError(BAD_MESSAGE, f"'source' must be one of {', '.join(PIN_SOURCES)}")


def _validate_poll_create(body: dict[str, Any]) -> None:
    _field(body, "question", str)
    options = _field(body, "options", list)
    if not all(isinstance(o, str) for o in options):
        raise ProtocolError(BAD_MESSAGE, "'options' must be a list of strings")
    _field(body, "multiple", bool)
    _field(body, "showResults", bool)
    correct = body.get("correct")
    if correct is not None and (not isinstance(correct, int) or isinstance(correct, bool)):
        raise ProtocolError(BAD_MESSAGE, "'correct' must be an option number or null")


def _validate_poll_answer(body: dict[str, Any]) -> None:
    _field(body, "pollId", str)
    choices = _field(body, "choices", list)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
        raise ProtocolError(BAD_MESSAGE, "'choices' must be a list of option numbers")


def _validate_poll_close(body: dict[str, Any]) -> None:
    _field(body, "pollId", str)


# --- materials (issue 18) ---
MAX_MATERIAL_PAGE = 1_000_000


def _page(body: dict[str, Any], required: bool) -> None:
    page = body.get("page")
    if page is None and not required:
        return
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_MATERIAL_PAGE:
        raise ProtocolError(BAD_MESSAGE, "'page' must be a page number, 1 or more")


def _validate_material_show(body: dict[str, Any]) -> None:
    material_id = _field(body, "materialId", str)
    if not 1 <= len(material_id) <= 64:
        raise ProtocolError(BAD_MESSAGE, "'materialId' must be a material's id")
    _page(body, required=False)


def _validate_material_page(body: dict[str, Any]) -> None:
    _page(body, required=True)


def _validate_material_zoom(body: dict[str, Any]) -> None:
    zoom = _field(body, "zoom", (int, float))
    if zoom != zoom or zoom in (float("inf"), float("-inf")):
        raise ProtocolError(BAD_MESSAGE, "'zoom' must be a number")


# --- end of materials ---
# --- whiteboard (issue 18): a stroke's own fields are checked by classroom.board, whose
# refusals have their own code (board_stroke_invalid); here only the message's shape. ---


def _validate_board_stroke(body: dict[str, Any]) -> None:
    _field(body, "tool", str)
    _field(body, "color", str)
    _field(body, "width", int)
    _field(body, "points", list)
    page = body.get("page")
    if page != "blank" and not isinstance(page, dict):
        raise ProtocolError(BAD_MESSAGE, "'page' must be \"blank\" or {materialId, page}")
    if body.get("text") is not None:
        _field(body, "text", str)


def _validate_board_undo(body: dict[str, Any]) -> None:
    seq = body.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 1):
        raise ProtocolError(BAD_MESSAGE, "'seq' must be a stroke's sequence number or absent")


def _validate_board_clear(body: dict[str, Any]) -> None:
    page = body.get("page")
    if page is not None and page != "blank" and not isinstance(page, dict):
        raise ProtocolError(BAD_MESSAGE, "'page' must be absent, \"blank\" or {materialId, page}")


def _validate_board_allow(body: dict[str, Any]) -> None:
    who = _field(body, "who", str)
    if not 1 <= len(who) <= 64:
        raise ProtocolError(BAD_MESSAGE, '\'who\' must be "none", "all" or a participant id')


def _validate_board_show(body: dict[str, Any]) -> None:
    _field(body, "shown", bool)


# --- breakout groups (issue 18): the groups' own rules are classroom.breakout's, whose
# refusals have their own codes (breakout_groups_invalid...); here only the message's shape. ---
BREAKOUT_MODES = ("random", "choose")
MAX_BREAKOUT_GROUPS = 50
MAX_GROUP_MEMBERS = 1000


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolError(BAD_MESSAGE, f"'{name}' must be a whole number from {low} to {high}")
    return value


def _seconds_field(body: dict[str, Any]) -> None:
    # The bounds (60 to 7200) are the server's to check: a test server may allow less.
    _whole(body, "seconds", 1, 7200)


def _validate_breakout_start(body: dict[str, Any]) -> None:
    _seconds_field(body)
    groups = body.get("groups")
    if groups is not None:
        if (
            not isinstance(groups, list)
            or len(groups) > MAX_BREAKOUT_GROUPS
            or not all(
                isinstance(g, list)
                and len(g) <= MAX_GROUP_MEMBERS
                and all(isinstance(i, str) for i in g)
                for g in groups
            )
        ):
            raise ProtocolError(BAD_MESSAGE, "'groups' must be a list of lists of identities")
        return
    _whole(body, "count", 0, MAX_BREAKOUT_GROUPS)
    if body.get("mode") not in BREAKOUT_MODES:
        raise ProtocolError(
            BAD_MESSAGE, "without 'groups', 'mode' must be \"random\" or \"choose\""
        )


def _group_number(body: dict[str, Any], nullable: bool) -> None:
    if nullable and "group" in body and body["group"] is None:
        return
    _whole(body, "group", 1, MAX_BREAKOUT_GROUPS)


def _validate_breakout_move(body: dict[str, Any]) -> None:
    _field(body, "identity", str)
    if "group" not in body:
        raise ProtocolError(BAD_MESSAGE, "'group' is required (a group's number or null)")
    _group_number(body, nullable=True)


def _validate_breakout_visit(body: dict[str, Any]) -> None:
    if "group" not in body:
        raise ProtocolError(BAD_MESSAGE, "'group' is required (a group's number or null)")
    _group_number(body, nullable=True)


def _validate_breakout_choose(body: dict[str, Any]) -> None:
    _group_number(body, nullable=False)


def _validate_breakout_speak(body: dict[str, Any]) -> None:
    _field(body, "on", bool)


def _validate_breakout_extend(body: dict[str, Any]) -> None:
    _seconds_field(body)


# --- end of breakout groups ---

VALIDATORS = {
    "join": _validate_join,
    "publish_offer": _validate_publish_offer,
    "subscribe_answer": _validate_subscribe_answer,
    "unpublish": _validate_unpublish,
    "mute": _validate_mute,
    "chat": _validate_chat,
    "set_subscriptions": _validate_set_subscriptions,
    "set_video_sizes": _validate_set_video_sizes,
    "leave": _validate_nothing,
    "mute_participant": _validate_mute_participant,
    "mute_all": _validate_mute_all,
    "allow_unmute": _participant_id,
    "remove_participant": _participant_id,
    "lock_room": _validate_lock_room,
    "admit": _participant_id,
    "admit_all": _validate_nothing,
    "end_session": _validate_nothing,
    "deny": _participant_id,
    "raise_hand": _validate_nothing,
    "lower_hand": _validate_lower_hand,
    "pin": _validate_pin,
    "poll_create": _validate_poll_create,
    "poll_answer": _validate_poll_answer,
    "poll_close": _validate_poll_close,
    "start_recording": _validate_nothing,
    "stop_recording": _validate_nothing,
    # materials (issue 18)
    "material_show": _validate_material_show,
    "material_page": _validate_material_page,
    "material_zoom": _validate_material_zoom,
    "material_stop": _validate_nothing,
    # whiteboard (issue 18)
    "board_stroke": _validate_board_stroke,
    "board_undo": _validate_board_undo,
    "board_clear": _validate_board_clear,
    "board_allow": _validate_board_allow,
    "board_show": _validate_board_show,
    # breakout groups (issue 18)
    "breakout_start": _validate_breakout_start,
    "breakout_choose": _validate_breakout_choose,
    "breakout_move": _validate_breakout_move,
    "breakout_visit": _validate_breakout_visit,
    "breakout_speak": _validate_breakout_speak,
    "breakout_extend": _validate_breakout_extend,
    "breakout_end": _validate_nothing,
}


def decode(text: str) -> Request:
    """Parse one text frame into a validated Request, or raise ProtocolError.

    The request id is recovered whenever the frame is a JSON object, so even an
    invalid request's error names the request it answers.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_SDP_FRAME_BYTES:
        raise ProtocolError(FRAME_TOO_LARGE, f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        if size > MAX_FRAME_BYTES:
            raise ProtocolError(
                FRAME_TOO_LARGE, f"frames are limited to {MAX_FRAME_BYTES} bytes"
            ) from exc
        raise ProtocolError(BAD_JSON, f"the frame is not valid JSON: {exc}") from exc
    if size > MAX_FRAME_BYTES and not (isinstance(body, dict) and body.get("type") in SDP_TYPES):
        raise ProtocolError(
            FRAME_TOO_LARGE,
            f"frames are limited to {MAX_FRAME_BYTES} bytes ({MAX_SDP_FRAME_BYTES} with an SDP)",
        )
    if not isinstance(body, dict):
        raise ProtocolError(BAD_JSON, "a message must be a JSON object")
    request_id = body.get("id")
    if request_id is not None and (
        not isinstance(request_id, str | int) or isinstance(request_id, bool)
    ):
        raise ProtocolError(BAD_MESSAGE, "'id' must be a string or an integer")
    message_type = body.get("type")
    validator = VALIDATORS.get(message_type) if isinstance(message_type, str) else None
    if validator is None:
        raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {message_type!r}", request_id)
    try:
        validator(body)
    except ProtocolError as error:
        error.request_id = request_id
        raise
    return Request(str(message_type), request_id, body)


def error_message(request_id: RequestId, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "code": code, "message": message}
