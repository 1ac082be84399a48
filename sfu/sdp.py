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
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

MAX_RIDS = 3
"""Simulcast layers taken from one track: what our web client sends (q, h, f)."""
RID_ORDER = {"q": 0, "h": 1, "f": 2}
"""Our web client's RIDs, quarter, half and full size; other RIDs keep the offer's order."""

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
    rids: list[str]
    """Simulcast: the RIDs it sends (offer) or receives (answer), smallest picture first."""


def parse(text: str) -> aiortc_sdp.SessionDescription:
    try:
        return aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc raises assorted errors on malformed input
        raise InvalidSdp(f"SDP could not be parsed: {exc}") from exc


def check_remote(text: str) -> None:
    """What aiortc assumes of a remote description without checking it: each audio or video
    m-line states its direction, and each m-line its DTLS role and fingerprint. Without them
    aiortc fails later, with no reason given: its answer on the missing direction, and its
    connection, in a task of its own, on the missing DTLS parameters. And a BUNDLE group names
    only m-lines there are: aiortc gives the others in the group its first's transport, None
    when no m-line has that mid, and fails on it from then on (even closing the connection)."""
    description = parse(text)
    mids = {media.rtp.muxId or str(i) for i, media in enumerate(description.media)}
    for group in description.group:
        if group.semantic == "BUNDLE":
            unknown = [item for item in group.items if item not in mids]
            if unknown:
                raise InvalidSdp(f"the BUNDLE group names m-line {unknown[0]}, which is not there")
    for index, media in enumerate(description.media):
        mid = media.rtp.muxId or str(index)
        if media.kind in ("audio", "video") and media.direction is None:
            raise InvalidSdp(
                f"m-line {mid} states no direction (sendonly, recvonly, sendrecv or inactive)"
            )
        if media.dtls is None:
            raise InvalidSdp(f"m-line {mid} has no DTLS role (a=setup)")
        if not media.dtls.fingerprints:
            raise InvalidSdp(f"m-line {mid} has no DTLS fingerprint")


def media_sections(text: str) -> list[MediaSection]:
    """The audio/video m-lines of an SDP, with the first (preferred) media codec of each."""
    sections = []
    texts = _sections(text)[1]
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
        rids = sent_rids(texts[index]) if index < len(texts) else []
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
                rids=rids,
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


MUSIC_OPUS = "stereo=1;sprop-stereo=1;maxaveragebitrate=256000;usedtx=0"
"""Music at an event: stereo, 256 kbit/s, and never silence suppression (DTX would cut the
quiet tail of a note)."""
STEREO_OPUS = "stereo=1;sprop-stereo=1"


def with_opus_fec(text: str, music: bool = False) -> str:
    """Ask the browser for in-band FEC (and music mode) on every Opus payload type.

    aiortc answers Opus with no fmtp at all, so Chrome would send mono without FEC at
    32 kbit/s. The sender follows the answer's fmtp: `stereo=1` makes Chrome encode both
    channels and `maxaveragebitrate` sets its Opus bitrate.

    Speech is sent with DTX (`usedtx=1`): a microphone that hears nothing sends a packet
    every 400 ms instead of 50 a second. In a class of 30 everyone hears everyone's
    microphone, and silent ones were most of a phone's downlink in the bench's `class`
    (24 × ~50 kbit/s at 25 pupils). The recording mixes a gap as silence (recording/mix.py).
    Music keeps every packet (`MUSIC_OPUS`: DTX would cut a note's quiet tail).
    """
    params = "minptime=10;useinbandfec=1" + (f";{MUSIC_OPUS}" if music else ";usedtx=1")
    return _set_opus_fmtp(text, params)


def with_stereo_opus(offer: str, mids: set[str]) -> str:
    """Mark the Opus of the m-lines `mids` stereo in a subscribe offer.

    A browser decodes a track in as many channels as its own answer's fmtp says, and it
    copies `stereo=1` into its answer only when asked (web_client/protocol.js): without
    this a stereo performer reaches the audience mixed down to mono.
    """
    if not mids:
        return offer
    head, *sections = re.split(r"(?=^m=)", offer, flags=re.MULTILINE)
    marked = []
    for section in sections:
        mid = re.search(r"^a=mid:(\S+)", section, re.MULTILINE)
        if mid is not None and mid.group(1) in mids:
            section = _set_opus_fmtp(section, f"minptime=10;useinbandfec=1;{STEREO_OPUS}")
        marked.append(section)
    return head + "".join(marked)


def _set_opus_fmtp(text: str, params: str) -> str:
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


_SIMULCAST = re.compile(r"^a=simulcast:\s*send\s+(?:rid=)?(\S+)", re.MULTILINE)
_RID = re.compile(r"^a=rid:(\S+) send\b", re.MULTILINE)
_RID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def _sections(text: str) -> tuple[str, list[str]]:
    head, *sections = re.split(r"(?=^m=)", text, flags=re.MULTILINE)
    return head, sections


def sent_rids(section: str) -> list[str]:
    """The simulcast RIDs an offer's m-section sends, smallest picture first (at most
    `MAX_RIDS`); [] without simulcast, or with a single RID (then it is one stream).

    `a=simulcast:send q;h;f` lists the layers, `~` marks one paused, `,` alternatives (the
    first is taken); each must have its `a=rid:<id> send`."""
    found = _SIMULCAST.search(section)
    if found is None:
        return []
    declared = set(_RID.findall(section))
    rids: list[str] = []
    for layer in found.group(1).split(";"):
        rid = layer.split(",")[0].lstrip("~")
        if _RID_NAME.match(rid) and rid in declared and rid not in rids:
            rids.append(rid)
    if any(r not in RID_ORDER for r in rids):
        ordered = rids
    else:
        ordered = sorted(rids, key=RID_ORDER.__getitem__)
    ordered = ordered[-MAX_RIDS:]
    return ordered if len(ordered) > 1 else []


def with_simulcast(offer: str, answer: str) -> str:
    """Accept the simulcast of every m-line that offers it: the answer names the RIDs it
    receives and the header extensions that carry them.

    aiortc knows no simulcast: its answer has neither `a=rid`/`a=simulcast` nor the RID
    extensions, and a browser given such an answer sends one encoding only."""
    _, offered = _sections(offer)
    head, sections = _sections(answer)
    out = []
    for index, section in enumerate(sections):
        source = offered[index] if index < len(offered) else ""
        rids = sent_rids(source)
        receiving = re.search(r"^a=(?:recvonly|sendrecv)", section, re.MULTILINE) is not None
        if rids and receiving:
            section = _accept_simulcast(source, section, rids)
        out.append(section)
    return head + "".join(out)


def _accept_simulcast(offer_section: str, section: str, rids: list[str]) -> str:
    found = _SIMULCAST.search(offer_section)
    assert found is not None
    order = [r.split(",")[0].lstrip("~") for r in found.group(1).split(";")]
    listed = [r for r in order if r in rids]  # the offer's order, as RFC 8853 asks
    eol = "\r\n" if "\r\n" in section else "\n"
    lines = []
    for uri in (RID_URI, REPAIRED_RID_URI):
        ext = re.search(rf"^a=extmap:(\d+)(?:/\w+)? {re.escape(uri)}\s*$", offer_section, re.M)
        if ext is not None and uri not in section:
            lines.append(f"a=extmap:{ext.group(1)} {uri}")
    lines += [f"a=rid:{rid} recv" for rid in listed]
    lines.append(f"a=simulcast:recv {';'.join(listed)}")
    block = eol.join(lines) + eol
    if not section.endswith(("\n", "\r")):
        section += eol
    return section + block
