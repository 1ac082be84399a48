"""Client messages are validated with stable error codes, and keep their request id."""

import json

import pytest

from signaling import protocol
from signaling.errors import ProtocolError

SDP = "v=0\r\n"


def error_of(text: str) -> tuple[str, object]:
    with pytest.raises(ProtocolError) as info:
        protocol.decode(text)
    return info.value.code, info.value.request_id


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        (json.dumps({"id": 1}), "unknown_type"),
        (json.dumps({"id": 1, "type": "dance"}), "unknown_type"),
        (json.dumps({"id": 1, "type": "join"}), "bad_message"),
        (json.dumps({"id": 1, "type": "join", "token": 5}), "bad_message"),
        (json.dumps({"id": 1, "type": "chat", "text": ""}), "bad_message"),
        (json.dumps({"id": 1, "type": "chat", "text": "x" * 2001}), "bad_message"),
        (json.dumps({"id": 1, "type": "mute", "source": "camera", "muted": 1}), "bad_message"),
        (json.dumps({"id": 1, "type": "unpublish", "source": "tv"}), "bad_message"),
        (
            json.dumps({"id": 1, "type": "publish_offer", "sdp": "hello", "tracks": []}),
            "bad_message",
        ),
        (
            json.dumps({"id": 1, "type": "publish_offer", "sdp": SDP, "tracks": [{"mid": 0}]}),
            "bad_message",
        ),
        (
            json.dumps(
                {
                    "id": 1,
                    "type": "publish_offer",
                    "sdp": SDP,
                    "tracks": [{"mid": "0", "source": "camera"}, {"mid": "0", "source": "screen"}],
                }
            ),
            "bad_message",
        ),
        (json.dumps({"id": True, "type": "leave"}), "bad_message"),
        (json.dumps({"id": 1, "type": "set_subscriptions"}), "bad_message"),
        (json.dumps({"id": 1, "type": "set_subscriptions", "identities": "all"}), "bad_message"),
        (json.dumps({"id": 1, "type": "set_subscriptions", "identities": [7]}), "bad_message"),
        (
            json.dumps({"id": 1, "type": "set_subscriptions", "identities": None, "video": "x"}),
            "bad_message",
        ),
        (
            json.dumps(
                {"id": 1, "type": "set_subscriptions", "identities": None, "video": ["a"] * 1001}
            ),
            "bad_message",
        ),
    ],
)
def test_bad_messages_get_their_code(message: str, code: str) -> None:
    assert error_of(message)[0] == code


def test_the_request_id_survives_a_validation_error() -> None:
    assert error_of(json.dumps({"id": "r9", "type": "chat", "text": 7})) == ("bad_message", "r9")


def test_frames_over_64_kib_are_too_large() -> None:
    text = json.dumps({"id": 1, "type": "chat", "text": "x" * 70_000})
    assert error_of(text)[0] == "frame_too_large"
    assert error_of("[" * 70_000)[0] == "frame_too_large"  # not JSON, and too long anyway


def test_an_sdp_answer_of_a_whole_class_may_pass_64_kib_up_to_1_mib() -> None:
    sdp = "v=0\r\n" + "a=candidate:x\r\n" * 6000  # ~96 KB
    request = protocol.decode(json.dumps({"id": 2, "type": "subscribe_answer", "sdp": sdp}))
    assert (request.type, request.body["sdp"]) == ("subscribe_answer", sdp)
    huge = json.dumps({"id": 3, "type": "subscribe_answer", "sdp": "v=0" + "x" * 1_100_000})
    assert error_of(huge)[0] == "frame_too_large"


def test_a_valid_publish_offer_decodes() -> None:
    request = protocol.decode(
        json.dumps(
            {
                "id": 3,
                "type": "publish_offer",
                "sdp": SDP,
                "tracks": [{"mid": "0", "source": "microphone"}],
            }
        )
    )
    assert (request.type, request.id, request.body["tracks"][0]["source"]) == (
        "publish_offer",
        3,
        "microphone",
    )


def test_video_subscriptions_are_optional_and_named_in_their_error() -> None:
    both = protocol.decode(
        json.dumps({"id": 1, "type": "set_subscriptions", "identities": None, "video": ["t"]})
    )
    assert both.body["video"] == ["t"]
    plain = protocol.decode(json.dumps({"id": 2, "type": "set_subscriptions", "identities": ["t"]}))
    assert "video" not in plain.body
    with pytest.raises(ProtocolError) as raised:
        protocol.decode(
            json.dumps({"id": 3, "type": "set_subscriptions", "identities": None, "video": [1]})
        )
    assert raised.value.message == "'video' must be null or a list of at most 1000 strings"
