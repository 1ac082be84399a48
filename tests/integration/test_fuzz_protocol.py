"""The WebSocket protocol fuzzed with hypothesis, against a real server over loopback.

Whatever a client sends (no JSON, JSON that is no object, unknown types, every documented
request with fields of the wrong type or missing, requests in the wrong order, binary and
oversized frames), each frame is answered as docs/protocol.md says: one response or one
error `{type, id, code, message}` with a documented code, never `internal`; the socket stays
open unless the protocol closes it; and afterwards the rooms still work.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from classroom.roles import Grants, Role, default_grants
from signaling.auth import TokenIssuer

from .conftest import RunningServer
from .offer import OFFER, OFFER_TRACKS
from .threaded_server import error_records, threaded_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
ROOMS = ("fuzz-a", "fuzz-b", "fuzz-c")
FUZZER_IDENTITIES = tuple(f"fuzzer-{i}" for i in range(6))
MAX_FRAME_BYTES = 65_536
RESPONSE_TYPES = {"ok", "error", "joined", "publish_answer", "waiting", "lobby"}
"""Messages that answer a request (and carry its `id`); everything else is an event."""
EXAMPLES = 1200
ANSWER_WITHIN = 5.0
"""Seconds a frame's answer may take; the server answers all in milliseconds."""


def documented_codes() -> frozenset[str]:
    """The error codes of the table in docs/protocol.md."""
    table = DOCS.read_text().split("### Error codes", 1)[1].split("\n## ", 1)[0]
    return frozenset(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))


CODES = documented_codes()
SERVER_FAULT = "internal"
FULL_OR_LOCKED = ("room_full", "room_locked")
CLOSE_REPLACED = 4001

# --- values ---------------------------------------------------------------------------------

safe_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
"""Text a client can send (a lone surrogate cannot be encoded as UTF-8)."""
scalars = st.none() | st.booleans() | st.integers() | st.floats() | safe_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(safe_text, inner, max_size=4),
    max_leaves=8,
)


@st.composite
def mutated_sdp(draw: st.DrawFn) -> str:
    """The browser's offer with lines dropped, repeated, cut or replaced."""
    lines = OFFER.split("\r\n")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "cut", "replace", "digits"]))
        if action == "drop":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[at])
        elif action == "cut":
            lines[at] = lines[at][: draw(st.integers(0, max(0, len(lines[at]) - 1)))]
        elif action == "replace":
            lines[at] = lines[at].split(":", 1)[0] + ":" + draw(safe_text)
        else:
            lines[at] = re.sub(r"\d+", str(draw(st.integers(-(2**40), 2**40))), lines[at])
        if not lines:
            lines = [""]
    text = "\r\n".join(lines)
    return text if text.startswith("v=0") else "v=0\r\n" + text


def tokens(secret: str) -> st.SearchStrategy[str]:
    """Room tokens: valid ones of every role (some for the lobby), expired, forged, signed
    with the server's secret but holding claims of the wrong type, or no JWT at all."""
    issuer = TokenIssuer(secret)
    roles = st.sampled_from(list(Role))
    valid = st.builds(
        lambda identity, room, role, lobby: issuer.issue(
            identity,
            identity.title(),
            room,
            role,
            default_grants(role),
            ttl=600,
            lobby=lobby,
        ),
        st.sampled_from(FUZZER_IDENTITIES),
        st.sampled_from(ROOMS),
        roles,
        st.sampled_from([False, False, False, True]),  # lobby
    )
    expired = st.builds(
        lambda identity: issuer.issue(identity, "Late", ROOMS[0], Role.PUPIL, Grants(), ttl=-10),
        st.sampled_from(FUZZER_IDENTITIES),
    )
    forged = st.builds(
        lambda identity: TokenIssuer("not-the-server-secret-0123456789abcdef").issue(
            identity, "Forger", ROOMS[0], Role.TEACHER, default_grants(Role.TEACHER), 600
        ),
        st.sampled_from(FUZZER_IDENTITIES),
    )
    claims = st.fixed_dictionaries(
        {},
        optional={
            "sub": json_values,
            "name": json_values,
            "room": json_values,
            "role": json_values | roles.map(str),
            "grants": json_values,
            "iat": json_values,
            "exp": json_values | st.just(int(time.time()) + 600),
            "lobby": json_values,
            "music": json_values,
            "typ": json_values,
        },
    )
    odd = claims.map(lambda c: jwt.encode(c, secret, algorithm="HS256"))
    return st.one_of(valid, valid, valid, valid, valid, valid, expired, forged, odd, safe_text)


# --- requests: each documented field, valid or broken ---------------------------------------


@dataclass(frozen=True)
class Field:
    valid: st.SearchStrategy[Any]
    broken: st.SearchStrategy[Any]
    """Values the protocol refuses with bad_message."""
    required: bool = True


def _not(kind: type | tuple[type, ...]) -> st.SearchStrategy[Any]:
    return json_values.filter(lambda v: not isinstance(v, kind) or isinstance(v, bool))


PARTICIPANT = st.sampled_from(["$self", "$peer", "$peer-lobby"]) | st.just("p_000000000000")
"""A participant id: `$…` stands for one found at run time (this client, the bystander)."""
STRING = Field(safe_text, _not(str))
NOT_NULL_STR = _not(str).filter(lambda v: v is not None)
"""Where null means absent: anything else that is no string."""
BOOL = Field(st.booleans(), json_values.filter(lambda v: not isinstance(v, bool)))
SOURCE = Field(
    st.sampled_from(["camera", "microphone", "screen"]),
    json_values.filter(lambda v: v not in ("camera", "microphone", "screen")),
)
SDP = Field(
    st.one_of(st.just(OFFER), st.just(OFFER), mutated_sdp()),
    _not(str) | safe_text.filter(lambda s: not s.startswith("v=0")),
)
TRACKS = Field(
    st.one_of(st.just(OFFER_TRACKS), st.just(OFFER_TRACKS[:1]), st.just(OFFER_TRACKS))
    | st.lists(
        st.fixed_dictionaries(
            {"mid": safe_text, "source": st.sampled_from(["camera", "microphone", "screen"])}
        ),
        max_size=3,
        unique_by=lambda t: t["mid"],
    ),
    _not(list)
    | st.lists(_not(dict), min_size=1, max_size=3)
    | st.just([{"mid": "0", "source": "camera"}, {"mid": "0", "source": "screen"}])
    | st.just([{"mid": 0, "source": "camera"}])
    | st.just([{"mid": "0", "source": "tv"}]),
)
IDENTITIES = Field(
    st.none() | st.lists(st.sampled_from(FUZZER_IDENTITIES) | safe_text, max_size=4),
    _not(list).filter(lambda v: v is not None) | st.lists(_not(str), min_size=1, max_size=3),
)
POLL = Field(st.just("$poll") | safe_text, _not(str))
NOT_NULL_INT_BROKEN = _not(int).filter(lambda v: v is not None)
"""Where null means absent: anything else that is no integer."""

BOARD_PAGE = Field(
    st.just("blank")
    | st.fixed_dictionaries({"materialId": safe_text, "page": st.integers(-1, 3) | safe_text}),
    json_values.filter(lambda v: v != "blank" and not isinstance(v, dict)),
)
"""A whiteboard stroke's page: "blank" or {materialId, page} (its values checked further)."""

REQUESTS: dict[str, dict[str, Field]] = {
    "join": {
        "token": Field(st.just("$token"), _not(str)),
        "resumeToken": Field(st.just("$resume") | safe_text, NOT_NULL_STR, required=False),
        "identities": Field(IDENTITIES.valid, IDENTITIES.broken, required=False),
    },
    "publish_offer": {"sdp": SDP, "tracks": TRACKS},
    "subscribe_answer": {"sdp": SDP},
    "unpublish": {"source": SOURCE},
    "mute": {"source": SOURCE, "muted": BOOL},
    "chat": {
        "text": Field(
            safe_text.filter(lambda s: bool(s.strip())) | st.just("x" * 2000),
            _not(str) | st.just("") | st.just("   ") | st.just("x" * 2001),
        )
    },
    "set_subscriptions": {"identities": IDENTITIES},
    "leave": {},
    "mute_participant": {
        "participantId": Field(PARTICIPANT, _not(str)),
        "source": SOURCE,
        "allowUnmute": BOOL,
    },
    "mute_all": {"allowUnmute": BOOL},
    "allow_unmute": {"participantId": Field(PARTICIPANT, _not(str))},
    "remove_participant": {"participantId": Field(PARTICIPANT, _not(str))},
    "lock_room": {"locked": BOOL},
    "admit": {"participantId": Field(PARTICIPANT, _not(str))},
    "admit_all": {},
    "deny": {"participantId": Field(PARTICIPANT, _not(str))},
    "raise_hand": {},
    "lower_hand": {
        "participantId": Field(PARTICIPANT, NOT_NULL_STR, required=False),
        "all": Field(st.booleans(), BOOL.broken.filter(lambda v: v is not None), False),
    },
    "pin": {
        "participantId": Field(st.none() | PARTICIPANT, NOT_NULL_STR),
        "source": Field(
            st.sampled_from(("camera", "screen")),
            NOT_NULL_STR | st.just("microphone"),
            required=False,
        ),
    },
    "poll_create": {
        "question": STRING,
        "options": Field(
            st.lists(safe_text, min_size=2, max_size=10) | st.lists(safe_text, max_size=12),
            _not(list) | st.lists(_not(str), min_size=1, max_size=3),
        ),
        "multiple": BOOL,
        "showResults": BOOL,
    },
    "poll_answer": {
        "pollId": POLL,
        "choices": Field(
            st.lists(st.integers(-2, 12), max_size=4),
            _not(list) | st.lists(_not(int), min_size=1, max_size=3),
        ),
    },
    "poll_close": {"pollId": POLL},
    "start_recording": {},
    "stop_recording": {},
    # materials (issue 18): the fuzzed room is no class's lesson, so none is found to show
    "material_show": {
        "materialId": Field(safe_text.filter(bool), _not(str) | st.just("") | st.just("m" * 65)),
        "page": Field(st.integers(1, 12), NOT_NULL_INT_BROKEN | st.integers(-2, 0), False),
    },
    "material_page": {"page": Field(st.integers(1, 12), _not(int) | st.integers(-2, 0))},
    "material_zoom": {"zoom": Field(st.integers(0, 5) | st.floats(0.25, 5), _not((int, float)))},
    "material_stop": {},
    # whiteboard (issue 18): the stroke's values are checked past their types
    # (board_stroke_invalid), so valid-typed values range over good and bad ones alike
    "board_stroke": {
        "page": BOARD_PAGE,
        "tool": Field(st.sampled_from(("pen", "rect", "text", "spray")), _not(str)),
        "color": Field(st.sampled_from(("#000000", "#e53935", "red")), _not(str)),
        "width": Field(st.integers(-1, 70), _not(int)),
        "points": Field(
            st.lists(st.integers(-2000, 4000) | st.floats(-10, 10), max_size=8)
            | st.lists(scalars, max_size=4),
            _not(list),
        ),
        "text": Field(safe_text, NOT_NULL_STR, required=False),
    },
    "board_undo": {
        "seq": Field(st.integers(1, 6), NOT_NULL_INT_BROKEN | st.integers(-2, 0), False)
    },
    "board_clear": {
        "page": Field(BOARD_PAGE.valid, BOARD_PAGE.broken.filter(lambda v: v is not None), False)
    },
    "board_allow": {
        "who": Field(
            st.sampled_from(["none", "all"]) | PARTICIPANT,
            _not(str) | st.just("") | st.just("w" * 65),
        )
    },
    "board_show": {"shown": BOOL},
}
"""Every client request of docs/protocol.md and its fields."""


@dataclass(frozen=True)
class Frame:
    """One frame to send, and what the protocol says of it where that is certain."""

    text: str | None = None
    binary: bytes | None = None
    body: Any = None
    """The JSON sent (when `text` and `binary` are None)."""
    broken: bool = False
    """A documented field has the wrong type or is missing: bad_message."""
    reconnect: str | None = None
    """Not a frame: the client comes back on a new socket with its token and resume token,
    after closing the old one ("drop") or with it still open ("overlap")."""

    def __repr__(self) -> str:
        if self.reconnect is not None:
            return f"Reconnect({self.reconnect})"
        sent = repr(self.binary) if self.binary is not None else self.encoded()
        shown = sent if len(sent) < 300 else f"{sent[:300]}… ({len(sent)} characters)"
        return f"Frame({shown}{', broken' if self.broken else ''})"

    def encoded(self) -> str:
        return self.text if self.text is not None else json.dumps(self.body)

    @property
    def oversized(self) -> bool:
        return self.binary is None and len(self.encoded().encode()) > MAX_FRAME_BYTES

    @property
    def request_type(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("type"), str):
            return str(self.body["type"])
        return None

    @property
    def request_id(self) -> Any:
        """The id an answer must carry (null when the frame has none the server can read)."""
        if self.text is not None or not isinstance(self.body, dict) or self.oversized:
            return None
        value = self.body.get("id")
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        return value


ids = st.integers(-(2**53), 2**53) | safe_text
bad_ids = (
    st.floats()
    | st.booleans()
    | st.lists(scalars, max_size=2)
    | st.dictionaries(safe_text, scalars, max_size=2)
)


@st.composite
def requests(draw: st.DrawFn, message_type: str, intact: bool = False) -> Frame:
    """A documented request; unless `intact`, perhaps with a field broken or a bad id; perhaps
    with fields the protocol does not know."""
    fields = REQUESTS[message_type]
    body: dict[str, Any] = {"type": message_type}
    which = draw(st.sampled_from(["id", "id", "id", "no id", *([] if intact else ["bad id"])]))
    if which == "id":
        body["id"] = draw(ids)
    elif which == "bad id":
        body["id"] = draw(bad_ids)
    broken_field = (
        None if intact or not fields else draw(st.sampled_from([None, None, None, *fields]))
    )
    for name, spec in fields.items():
        if name == broken_field:
            if not (spec.required and draw(st.booleans())):  # else: missing
                body[name] = draw(spec.broken)
        elif spec.required or draw(st.booleans()):
            body[name] = draw(spec.valid)
    if draw(st.booleans()):  # fields the protocol does not know are ignored
        known = {"id", "type", *fields}
        extra = st.dictionaries(safe_text.filter(lambda k: k not in known), json_values, max_size=2)
        body.update(draw(extra))
    return Frame(body=body, broken=broken_field is not None or which == "bad id")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


known_requests = st.sampled_from(sorted(REQUESTS)).flatmap(requests)
reconnects = st.sampled_from([Frame(reconnect="drop"), Frame(reconnect="overlap")])
intact = st.sampled_from(sorted(REQUESTS)).flatmap(lambda t: requests(t, intact=True))
intact_requests = st.one_of(intact, intact, intact, intact, intact, intact, reconnects)
"""Well-formed requests, in any order (publish before join, answers without offers, a second
join, requests after leave…), and now and then the client back on a new socket."""
not_json = safe_text.filter(lambda s: not _is_json(s)).map(lambda s: Frame(text=s))
json_not_objects = json_values.filter(lambda v: not isinstance(v, dict)).map(
    lambda v: Frame(body=v)
)
unknown_types = st.fixed_dictionaries(
    {"type": json_values.filter(lambda t: not (isinstance(t, str) and t in REQUESTS))},
    optional={"id": ids, "text": json_values},
).map(lambda v: Frame(body=v))
no_types = st.dictionaries(safe_text.filter(lambda k: k != "type"), json_values, max_size=3).map(
    lambda v: Frame(body=v)
)
binary_frames = st.binary(max_size=64).map(lambda b: Frame(binary=b))
oversized = st.integers(MAX_FRAME_BYTES, 2 * MAX_FRAME_BYTES).map(
    lambda n: Frame(body={"type": "chat", "id": n, "text": "x" * n})
)
frames = st.one_of(
    reconnects,
    known_requests,
    known_requests,
    known_requests,
    known_requests,
    not_json,
    json_not_objects,
    unknown_types,
    no_types,
    binary_frames,
    oversized,
)


# --- one client, and what it may receive -----------------------------------------------------


@dataclass
class Client:
    """A raw WebSocket client: sends anything, collects everything."""

    ws: aiohttp.ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    probes: itertools.count[int] = field(default_factory=itertools.count)
    close_code: int | None = None
    """The code of the server's close frame. (Not `ws.close_code`: aiohttp's server drops
    the connection right after its close frame, and aiohttp's client, failing to answer it,
    then reports 1006.)"""

    async def receive(self) -> dict[str, Any] | None:
        """The next message; None once the socket is closed."""
        try:
            message = await self.ws.receive(timeout=ANSWER_WITHIN)
        except TimeoutError:
            raise AssertionError(f"nothing received within {ANSWER_WITHIN} s") from None
        if message.type == aiohttp.WSMsgType.CLOSE:
            self.close_code = int(message.data)
        if message.type != aiohttp.WSMsgType.TEXT:
            return None
        data: dict[str, Any] = json.loads(message.data)
        return data

    async def send(self, frame: Frame) -> bool:
        """False when the socket is closed already."""
        if self.ws.closed:
            return False
        try:
            if frame.binary is not None:
                await self.ws.send_bytes(frame.binary)
            else:
                await self.ws.send_str(frame.encoded())
        except ConnectionError:
            return False
        return True

    async def exchange(self, frame: Frame) -> list[dict[str, Any]]:
        """Send `frame`, then a probe whose answer is certain (unknown_type with its id):
        everything received up to that answer (or up to the socket's close)."""
        await self.send(frame)
        probe_id = f"probe-{next(self.probes)}"
        await self.send(Frame(body={"type": "fuzz-probe", "id": probe_id}))
        start = len(self.received)
        while True:
            data = await self.receive()
            if data is None:
                return self.received[start:]
            if data.get("type") == "error" and data.get("id") == probe_id:
                assert data["code"] == "unknown_type", data
                return self.received[start:]
            self.received.append(data)

    async def answers(self, frame: Frame) -> list[dict[str, Any]]:
        """The answers to `frame` (messages with an `id`; events have none)."""
        return [m for m in await self.exchange(frame) if "id" in m]


def check_answer(answer: dict[str, Any], frame: Frame) -> None:
    """The shape every answer has, whatever the request."""
    assert answer["type"] in RESPONSE_TYPES, answer
    assert answer["id"] == frame.request_id, (answer, frame)
    if answer["type"] == "error":
        assert set(answer) == {"type", "id", "code", "message"}, answer
        assert answer["code"] != SERVER_FAULT, (answer, frame)
        assert answer["code"] in CODES, answer
        assert isinstance(answer["message"], str) and answer["message"], answer


SUCCESS = {"join": {"joined", "lobby", "waiting"}, "publish_offer": {"publish_answer"}}
"""The answers besides `ok` (and errors)."""


def expected_code(frame: Frame, state: str) -> str | None:
    """The error the protocol prescribes for this frame in this state (None: not certain)."""
    if frame.binary is not None:
        return "bad_json"
    if frame.oversized:
        return "frame_too_large"
    if frame.text is not None or not isinstance(frame.body, dict):
        return "bad_json"
    if frame.body.get("id") is not None and frame.request_id is None:
        return "bad_message"
    if frame.request_type not in REQUESTS:
        return "unknown_type"
    if frame.broken:
        return "bad_message"
    if frame.request_type == "join":
        return "already_joined" if state in ("joined", "waiting") else None
    if state == "waiting" and frame.request_type == "leave":
        return None
    if state != "joined":
        return "not_joined"
    return None


# --- the fuzzing -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the fuzzing did, for the report."""

    examples: int = 0
    frames: int = 0
    reconnects: int = 0
    answers: dict[str, int] = field(default_factory=dict)

    def count(self, answer: dict[str, Any]) -> None:
        kind = str(answer.get("code", answer["type"]))
        self.answers[kind] = self.answers.get(kind, 0) + 1


@dataclass(frozen=True)
class Example:
    sequence: list[Frame]
    token: str
    """What `join` requests carry (`$token`)."""
    join_first: bool
    leave_at_end: bool
    room: str
    bystander_lobby: bool


def _resolved(frame: Frame, names: dict[str, Any]) -> Frame:
    """`$…` placeholders replaced by what they stand for now."""
    if not isinstance(frame.body, dict):
        return frame
    body = {k: names[v] if isinstance(v, str) and v in names else v for k, v in frame.body.items()}
    return replace(frame, body=body)


async def fuzz_one(
    server: RunningServer,
    http: aiohttp.ClientSession,
    example: Example,
    serial: int,
    tally: Tally,
    log: list[str],
) -> None:
    # A bystander in the room: its participant id is a target of the fuzzer's host requests.
    bystander = Client(await http.ws_connect(server.url + "/ws"))
    token = TokenIssuer(server.config.secret).issue(
        f"bystander-{serial}",
        "Bystander",
        example.room,
        Role.PARENT,
        default_grants(Role.PARENT),
        600,
        lobby=example.bystander_lobby,
    )
    (entered,) = await bystander.answers(Frame(body={"type": "join", "id": "b", "token": token}))
    assert entered["type"] in ("joined", "lobby") or entered["code"] in FULL_OR_LOCKED, entered
    names: dict[str, Any] = {
        "$peer": entered.get("self", {}).get("id", "p_absent"),
        "$peer-lobby": entered.get("participantId", "p_absent"),
        "$poll": "q_absent",
        "$resume": "absent",
        "$self": "p_absent",
        "$token": example.token,
    }

    client = Client(await http.ws_connect(server.url + "/ws", max_msg_size=0))
    state = "fresh"
    turned_away: str | None = None
    """What the fuzzer, as a host, did to the bystander: "removed" or "lobby_denied"."""
    sequence = list(example.sequence)
    if example.join_first:
        sequence.insert(0, Frame(body={"type": "join", "id": "first", "token": "$token"}))
    for template in sequence:
        if template.reconnect is not None:
            log.append(f"{state}: {template}")
            client, state = await come_back(client, state, template.reconnect, server, http, names)
            tally.reconnects += 1
            continue
        frame = _resolved(template, names)
        log.append(f"{state}: {frame}")
        answers = await client.answers(frame)
        tally.frames += 1
        if client.ws.closed:
            # Only `leave` closes the socket (code 1000), once answered.
            assert frame.request_type == "leave", (frame, client.ws.close_code, answers)
            assert [a["type"] for a in answers] == ["ok"], answers
            assert client.close_code == aiohttp.WSCloseCode.OK, client.close_code
            state = "left"
            break
        if frame.request_type == "subscribe_answer" and frame.request_id is None and not answers:
            continue  # answered only when it fails
        assert len(answers) == 1, (frame, answers)
        (answer,) = answers
        check_answer(answer, frame)
        tally.count(answer)
        code = expected_code(frame, state)
        if code is not None:
            assert answer.get("code") == code, (frame, state, answer)
        elif answer["type"] != "error":
            assert answer["type"] in SUCCESS.get(frame.request_type or "", {"ok"}), answer
        if answer["type"] == "joined":
            state = "joined"
            names["$self"] = answer["self"]["id"]
            names["$resume"] = answer["resumeToken"]
        elif answer["type"] in ("lobby", "waiting"):
            state = "waiting"
        elif frame.request_type == "poll_create" and answer["type"] == "ok":
            names["$poll"] = answer["pollId"]
        elif answer["type"] == "ok" and frame.request_type in ("remove_participant", "deny"):
            turned_away = (
                "removed" if frame.request_type == "remove_participant" else "lobby_denied"
            )

    if not client.ws.closed and example.leave_at_end:
        answers = await client.answers(Frame(body={"type": "leave", "id": "bye"}))
        if state in ("joined", "waiting"):
            assert answers == [{"type": "ok", "id": "bye"}], answers
            assert client.close_code == aiohttp.WSCloseCode.OK, client.close_code
        else:
            assert [a.get("code") for a in answers] == ["not_joined"], answers
    await client.ws.close()

    # The bystander was told only of events, unless a host turned it away: then it reads
    # why, and its socket is closed with 4003. (Read, not sent to: aiohttp's server drops
    # the connection right after its close frame; a client still sending meets a reset.)
    if turned_away is not None:
        told = []
        while (message := await bystander.receive()) is not None:
            told.append(message)
        assert told and told[-1] == {"type": turned_away}, told
        assert bystander.close_code == 4003, bystander.close_code
    else:
        told = await bystander.exchange(Frame(body={"type": "raise_hand", "id": "hand"}))
        assert not bystander.ws.closed, (bystander.ws.close_code, told)
        await bystander.answers(Frame(body={"type": "leave", "id": "bye"}))
    errors = [m for m in told if m["type"] == "error" and m["id"] != "hand"]
    assert not errors, errors
    await bystander.ws.close()
    tally.examples += 1


async def come_back(
    old: Client,
    state: str,
    how: str,
    server: RunningServer,
    http: aiohttp.ClientSession,
    names: dict[str, Any],
) -> tuple[Client, str]:
    """The client on a new socket, joining again with its token and resume token; the old
    socket closed first ("drop") or left open ("overlap": the server closes it with 4001
    once the new one is in, unless it is still waiting to enter)."""
    if how == "drop":
        await old.ws.close()
    client = Client(await http.ws_connect(server.url + "/ws", max_msg_size=0))
    join = Frame(
        body={
            "type": "join",
            "id": "again",
            "token": names["$token"],
            "resumeToken": names["$resume"],
        }
    )
    (answer,) = await client.answers(join)
    check_answer(answer, join)
    if how == "overlap" and not old.ws.closed:
        if answer["type"] == "joined" and state == "joined":
            while await old.receive() is not None:
                pass
            assert old.close_code == CLOSE_REPLACED, old.close_code
        await old.ws.close()
    if answer["type"] == "joined":
        names["$self"] = answer["self"]["id"]
        names["$resume"] = answer["resumeToken"]
        return client, "joined"
    return client, "waiting" if answer["type"] in ("lobby", "waiting") else "fresh"


async def _http() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def test_no_frame_gets_a_server_fault_and_the_rooms_work_on(tmp_path: Path) -> None:
    tally = Tally()
    # Who drops off keeps their place for a second, not 30: the rooms do not fill up with
    # the fuzzer's closed sockets.
    with error_records() as logged, threaded_server(tmp_path, resume_grace=1.0) as running:
        server, looping = running.server, running.looping
        http = looping.run(_http())
        serials = itertools.count()

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # Each example is a few round trips: shrinking would take minutes. A failure
            # prints the frames of its example instead.
            phases=[Phase.explicit, Phase.generate],
        )
        @given(
            st.builds(
                Example,
                sequence=st.lists(frames, min_size=1, max_size=12)
                | st.lists(intact_requests, min_size=1, max_size=12),
                token=tokens(server.config.secret),
                join_first=st.sampled_from([True, True, True, False]),
                leave_at_end=st.booleans(),
                room=st.sampled_from(ROOMS),
                bystander_lobby=st.booleans(),
            )
        )
        def fuzz(example: Example) -> None:
            log: list[str] = []
            try:
                looping.run(fuzz_one(server, http, example, next(serials), tally, log))
            finally:
                note("\n".join(["sent (state: frame):", *log]))

        try:
            fuzz()
            looping.run(rooms_still_work(server, http))
        finally:
            looping.run(http.close())
        print(f"\nWebSocket fuzzing: {tally}")
        assert server.state.errors_sent.get(SERVER_FAULT, 0) == 0
    assert logged.described() == []


async def rooms_still_work(server: RunningServer, http: aiohttp.ClientSession) -> None:
    """Two new hosts in a fuzzed room, and two pupils in a new one, see each other join and
    chat."""
    for room, role in [(ROOMS[0], Role.TEACHER), ("after-fuzzing", Role.PUPIL)]:
        first = Client(await http.ws_connect(server.url + "/ws"))
        second = Client(await http.ws_connect(server.url + "/ws"))
        for client, who in [(first, "first"), (second, "second")]:
            token = server.token(f"{who}-{room}", role, room=room)
            (joined,) = await client.answers(
                Frame(body={"type": "join", "id": who, "token": token})
            )
            assert joined["type"] == "joined", joined
        answers = await second.answers(Frame(body={"type": "chat", "id": 1, "text": "still here"}))
        assert answers == [{"type": "ok", "id": 1}]
        told = await first.exchange(Frame(body={"type": "raise_hand", "id": 2}))
        events = [m for m in told if m["type"] in ("participant_joined", "chat")]
        assert [m["type"] for m in events] == ["participant_joined", "chat"], told
        assert events[0]["participant"]["identity"] == f"second-{room}"
        assert (events[1]["text"], events[1]["from"]["id"]) == (
            "still here",
            events[0]["participant"]["id"],
        )
        for client in (first, second):
            await client.ws.close()


# --- beyond what the generator is trusted to reach -----------------------------------------


async def test_a_frame_above_the_transport_limit_closes_the_socket_with_1009(
    server: RunningServer,
) -> None:
    async with aiohttp.ClientSession() as http:
        client = Client(await http.ws_connect(server.url + "/ws", max_msg_size=0))
        below = Frame(body={"type": "chat", "id": 1, "text": "x" * (4 * 1024 * 1024 - 100)})
        assert await client.answers(below) == [
            {
                "type": "error",
                "id": None,
                "code": "frame_too_large",
                "message": "frames are limited to 65536 bytes",
            }
        ]
        above = Frame(body={"type": "chat", "id": 2, "text": "x" * (4 * 1024 * 1024)})
        assert await client.answers(above) == []
        assert client.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
