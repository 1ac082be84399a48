"""What a session description says about incoming streams: m-lines, codecs, SSRCs, the MID id."""

from dataclasses import dataclass, field

from aiortc.sdp import SessionDescription

MID_EXTENSION_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


@dataclass(frozen=True)
class MediaLine:
    """One m-line of a description, as a receiver needs it."""

    mid: str
    kind: str
    direction: str | None = None
    codecs: dict[int, str] = field(default_factory=dict)
    """Payload type to lower-case codec name (``vp8``, ``opus``, ``rtx`` …)."""
    ssrcs: list[int] = field(default_factory=list)
    """Media SSRCs announced with ``a=ssrc`` (RTX SSRCs excluded)."""
    rtx_ssrcs: dict[int, int] = field(default_factory=dict)
    """RTX SSRC to the media SSRC it repairs (``a=ssrc-group:FID``)."""


def media_lines(sdp: str) -> list[MediaLine]:
    """The audio and video m-lines of ``sdp``."""
    description = SessionDescription.parse(sdp)
    lines: list[MediaLine] = []
    for media in description.media:
        if media.kind not in ("audio", "video") or media.rtp.muxId is None:
            continue
        rtx_ssrcs: dict[int, int] = {}
        for group in media.ssrc_group:
            if group.semantic == "FID" and len(group.items) == 2:
                rtx_ssrcs[int(group.items[1])] = int(group.items[0])
        lines.append(
            MediaLine(
                mid=media.rtp.muxId,
                kind=media.kind,
                direction=media.direction,
                codecs={
                    c.payloadType: c.name.lower()
                    for c in media.rtp.codecs
                    if c.payloadType is not None
                },
                ssrcs=[s.ssrc for s in media.ssrc if s.ssrc not in rtx_ssrcs],
                rtx_ssrcs=rtx_ssrcs,
            )
        )
    return lines


def extension_id(sdp: str, uri: str) -> int | None:
    """The header extension id the description gives ``uri``, if any."""
    for media in SessionDescription.parse(sdp).media:
        for ext in media.rtp.headerExtensions:
            if ext.uri == uri:
                return ext.id
    return None


def mid_extension_id(sdp: str) -> int | None:
    """The header extension id the description gives the MID extension, if any."""
    return extension_id(sdp, MID_EXTENSION_URI)
