"""What the SFU reads from SDP, and the few edits it makes to the SDP a browser sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from .errors import InvalidSdp

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
PLAYOUT_DELAY_URI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

FORWARDED_CODECS = {"audio/opus", "video/vp8", "video/h264"}


@dataclass
class MediaSection:
    """One m-line as negotiated: the codec in use and the IDs needed to route and rewrite."""

    index: int
    mid: str
    kind: str
    direction: str
    codec: RTCRtpCodecParameters | None
    rtx_payload_type: int | None
    ssrc: int | None
    rtx_ssrc: int | None
    extensions: dict[str, int]


def parse(text: str) -> aiortc_sdp.SessionDescription:
    try:
        return aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc raises assorted errors on malformed input
        raise InvalidSdp(f"SDP could not be parsed: {exc}") from exc


def media_sections(text: str) -> list[MediaSection]:
    """The audio/video m-lines of an SDP, with the first (preferred) media codec of each."""
    sections = []
    for index, media in enumerate(parse(text).media):
        if media.kind not in ("audio", "video"):
            continue
        codec = next((c for c in media.rtp.codecs if not _is_rtx(c)), None)
        rtx_pt = None
        if codec is not None:
            rtx_pt = next(
                (
                    c.payloadType
                    for c in media.rtp.codecs
                    if _is_rtx(c) and c.parameters.get("apt") == codec.payloadType
                ),
                None,
            )
        ssrc, rtx_ssrc = _ssrcs(media)
        sections.append(
            MediaSection(
                index=index,
                mid=media.rtp.muxId or str(index),
                kind=media.kind,
                direction=media.direction or "sendrecv",
                codec=codec,
                rtx_payload_type=rtx_pt,
                ssrc=ssrc,
                rtx_ssrc=rtx_ssrc,
                extensions={x.uri: x.id for x in media.rtp.headerExtensions},
            )
        )
    return sections


def _is_rtx(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower().endswith("/rtx")


def _ssrcs(media: aiortc_sdp.MediaDescription) -> tuple[int | None, int | None]:
    for group in media.ssrc_group:
        if group.semantic == "FID" and len(group.items) == 2:
            return int(group.items[0]), int(group.items[1])
    if media.ssrc:
        return media.ssrc[0].ssrc, None
    return None, None


_OPUS_RTPMAP = re.compile(r"^a=rtpmap:(\d+) opus/48000(?:/2)?\r?$", re.IGNORECASE | re.MULTILINE)


def with_opus_fec(text: str, stereo: bool = False) -> str:
    """Ask the browser for in-band FEC (and stereo for music) on every Opus payload type.

    aiortc answers Opus with no fmtp at all, so Chrome would send mono without FEC.
    """
    params = "minptime=10;useinbandfec=1" + (";stereo=1;sprop-stereo=1" if stereo else "")
    for pt in _OPUS_RTPMAP.findall(text):
        fmtp = re.compile(rf"^a=fmtp:{pt} [^\r\n]*", re.MULTILINE)
        if fmtp.search(text):
            text = fmtp.sub(f"a=fmtp:{pt} {params}", text)
        else:
            text = re.sub(
                rf"^(a=rtpmap:{pt} opus/48000(?:/2)?)(\r?)$",
                rf"\1\2\na=fmtp:{pt} {params}\2",
                text,
                count=1,
                flags=re.IGNORECASE | re.MULTILINE,
            )
    return text
