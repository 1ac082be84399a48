"""Protocol errors with the stable codes of docs/protocol.md."""

from __future__ import annotations


class ProtocolError(Exception):
    """A request that gets `{type: "error", code, message}`; the connection lives on."""

    def __init__(self, code: str, message: str, request_id: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        """The id of the request this answers, when it could be read."""


BAD_JSON = "bad_json"
FRAME_TOO_LARGE = "frame_too_large"
UNKNOWN_TYPE = "unknown_type"
BAD_MESSAGE = "bad_message"
BAD_TOKEN = "bad_token"
TOKEN_EXPIRED = "token_expired"
SIGNED_OUT = "signed_out"
"""The token came from a sign-in that has ended (signed out, new password, deactivated)."""
NOT_JOINED = "not_joined"
ALREADY_JOINED = "already_joined"
NOT_ALLOWED = "not_allowed"
BAD_SDP = "bad_sdp"
ROOM_FULL = "room_full"
USE_HLS = "use_hls"
"""An event's audience watches its HLS (the organiser chose so): the client switches."""
INTERNAL = "internal"
REMOVED = "removed"
ROOM_LOCKED = "room_locked"
NOT_HOST = "not_host"
NOT_RECORDING = "not_recording"
RECORDING_UNAVAILABLE = "recording_unavailable"
NO_NODE = "no_node"
"""A district whose every node is draining or gone cannot open a new room: try again later."""
# --- materials (issue 18) ---
MATERIAL_NOT_FOUND = "material_not_found"
"""`material_show` named no material of the lesson's class (another class's, or none)."""
PAGE_OUT_OF_RANGE = "page_out_of_range"
"""A page the shown material does not have."""
NO_MATERIAL = "no_material"
"""A page turned or a zoom changed while no material is shown."""
