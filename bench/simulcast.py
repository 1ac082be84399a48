"""A bot's camera in three sizes (simulcast), sent the way Chrome sends the web client's.

The web client publishes its camera as three RTP streams in one video m-line (RIDs ``q``,
``h``, ``f``: 240x135, 480x270 and 960x540, each L1T3; web_client/protocol.js
CAMERA_LAYERS). aiortc can neither offer that nor send it, so here:

- three pre-encoded clips of one picture (drawn at 960x540, scaled down; keyframes at the
  same frames), played on one capture clock;
- the camera transceiver's own sender carries the first layer, and one more
  ``RTCRtpSender`` per further layer rides the same (bundled) DTLS transport, started in the
  same step as aiortc starts the transceiver's: each has its own SSRC, RTX SSRC, sequence
  numbers, RTP timestamps, PictureIDs, SRs and NACK history;
- every packet carries the MID and its RID (RTX packets the repaired RID) in the header
  extensions whose ids the offer adds;
- the offer is rewritten: ``a=rid:<rid> send`` lines, ``a=simulcast:send q;h;f``, the RID
  and repaired-RID ``a=extmap`` lines, and no ``a=ssrc`` lines in the video section (as
  Chrome's simulcast offers: a receiver learns each layer's SSRC from its RID).

A keyframe request (PLI / FIR) for one layer's SSRC makes that layer alone jump to its
clip's next keyframe (``Publication`` routes it by SSRC). ``set_active`` stops and starts
layers as the web client does when the server says which are watched (``publish_layers``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters
from aiortc.rtcrtpsender import RTP_HISTORY_SIZE
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket

from .client_glue import stamp_sender_reports_when_sent
from .encoded_track import EncodedTrack
from .media import EncodedFrame, VideoSpec, load_video_spec
from .temporal_layers import send_layered_vp8

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"


@dataclass(frozen=True)
class Layer:
    rid: str
    width: int
    height: int
    bitrate: int


CAMERA_LAYERS = (
    Layer("q", 240, 135, 150_000),
    Layer("h", 480, 270, 500_000),
    Layer("f", 960, 540, 1_200_000),
)
"""The web client's (protocol.js CAMERA_LAYERS): smallest first, as the offer lists them."""
DRAWN_AT = (960, 540)


def layer_spec(layer: Layer) -> VideoSpec:
    """One layer's clip: L1T3, 30 frames/s, keyframes every 10 s, drawn at 960x540."""
    return VideoSpec(
        width=layer.width,
        height=layer.height,
        bitrate=layer.bitrate,
        temporal_layers=3,
        drawn_at=DRAWN_AT,
    )


def load_simulcast(layers: tuple[Layer, ...] = CAMERA_LAYERS) -> list[list[EncodedFrame]]:
    """The clips of ``layers``, smallest first (encoded on first use: ~10 s in all)."""
    return [load_video_spec(layer_spec(layer)) for layer in layers]


@functools.cache
def shared_clips() -> list[list[EncodedFrame]]:
    """``CAMERA_LAYERS``' clips, loaded once per process and shared by every publisher of
    every step (read-only)."""
    return load_simulcast()


# --- the offer ------------------------------------------------------------------------------


def _sections(sdp: str) -> tuple[str, list[str]]:
    parts = re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)
    return parts[0], parts[1:]


def _mid(section: str) -> str | None:
    found = re.search(r"^a=mid:(\S+)", section, re.MULTILINE)
    return found.group(1) if found else None


def _eol(sdp: str) -> str:
    return "\r\n" if "\r\n" in sdp else "\n"


def simulcast_offer(sdp: str, mid: str, rids: list[str]) -> str:
    """``sdp`` with the video section ``mid`` offered as simulcast of ``rids`` (in order)."""
    head, sections = _sections(sdp)
    eol = _eol(sdp)
    out = []
    for section in sections:
        if _mid(section) == mid:
            lines = [
                line
                for line in section.split(eol)
                if not line.startswith(("a=ssrc:", "a=ssrc-group:"))
            ]
            while lines and not lines[-1]:
                lines.pop()
            used = {int(m) for m in re.findall(r"^a=extmap:(\d+)", section, re.MULTILINE)}
            free = [i for i in range(1, 15) if i not in used]
            lines += [f"a=extmap:{free[0]} {RID_URI}", f"a=extmap:{free[1]} {REPAIRED_RID_URI}"]
            lines += [f"a=rid:{rid} send" for rid in rids]
            lines.append(f"a=simulcast:send {';'.join(rids)}")
            section = eol.join(lines) + eol
        out.append(section)
    return head + "".join(out)


def extension_ids(sdp: str, mid: str) -> tuple[int, int]:
    """The ids the RID and repaired-RID extensions have in ``sdp``'s section ``mid`` (0: none)."""
    for section in _sections(sdp)[1]:
        if _mid(section) == mid:
            ids = []
            for uri in (RID_URI, REPAIRED_RID_URI):
                found = re.search(
                    rf"^a=extmap:(\d+)(?:/\w+)? {re.escape(uri)}\s*$", section, re.MULTILINE
                )
                ids.append(int(found.group(1)) if found else 0)
            return ids[0], ids[1]
    return 0, 0


def accepted_rids(sdp: str, mid: str) -> list[str]:
    """The RIDs an answer's section ``mid`` receives (``a=rid:<rid> recv``)."""
    for section in _sections(sdp)[1]:
        if _mid(section) == mid:
            return re.findall(r"^a=rid:(\S+) recv", section, re.MULTILINE)
    return []


# --- sending --------------------------------------------------------------------------------


class _RidExtensions(HeaderExtensionsMap):
    """Writes the layer's RID into every packet that names neither RID (a new packet)."""

    def __init__(self, rid: str) -> None:
        super().__init__()
        self.rid = rid

    def set(self, values: HeaderExtensions) -> tuple[int, bytes]:
        if values.rtp_stream_id is None and values.repaired_rtp_stream_id is None:
            values.rtp_stream_id = self.rid
        return super().set(values)


def _mark_layer(sender: RTCRtpSender, rid: str) -> None:
    """Make ``sender`` write ``rid`` into its packets, the repaired RID into its RTX.

    aiortc's retransmission copies the packet's extensions object; the packet in the history
    has been sent, so its extensions are swapped for the RTX's before it is wrapped."""
    setattr(sender, "_RTCRtpSender__rtp_header_extensions_map", _RidExtensions(rid))  # noqa: B010
    history: dict[int, RtpPacket] = sender._RTCRtpSender__rtp_history  # type: ignore[attr-defined]
    original: Callable[[int], Awaitable[None]] = sender._retransmit

    async def retransmit(sequence_number: int) -> None:
        packet = history.get(sequence_number % RTP_HISTORY_SIZE)
        if packet is not None and packet.extensions.rtp_stream_id is not None:
            packet.extensions = replace(
                packet.extensions, rtp_stream_id=None, repaired_rtp_stream_id=rid
            )
        await original(sequence_number)

    setattr(sender, "_retransmit", retransmit)  # noqa: B010


@dataclass
class LayerSender:
    """One layer: its RID, its track and the sender that carries it."""

    rid: str
    track: EncodedTrack
    sender: RTCRtpSender


class SimulcastCamera:
    """Sends ``tracks`` (smallest first) as the simulcast layers ``rids`` of the camera
    transceiver whose sender is ``first``; ``first`` carries ``tracks[0]`` already.

    Call ``answered(answer_sdp)`` with the publish answer before the connection starts
    sending (before ``setRemoteDescription`` returns is fine: aiortc starts senders after
    ICE and DTLS)."""

    def __init__(
        self, first: RTCRtpSender, tracks: list[EncodedTrack], rids: list[str], clock_rate: int
    ) -> None:
        if len(tracks) != len(rids) or not tracks:
            raise ValueError("one track per RID")
        self.rids = rids
        self.layers = [LayerSender(rids[0], tracks[0], first)]
        self._tracks = tracks
        self._clock_rate = clock_rate
        self._ids = (0, 0)
        self._receiving = list(rids)
        send_layered_vp8(first)
        original: Callable[[RTCRtpSendParameters], Awaitable[None]] = first.send

        async def send(parameters: RTCRtpSendParameters) -> None:
            parameters = self._with_rid(parameters)
            _mark_layer(first, rids[0])
            await original(parameters)
            await self._start_others(first, parameters)

        setattr(first, "send", send)  # noqa: B010

    def answered(self, answer_sdp: str, offer_sdp: str, mid: str) -> None:
        """Take the extension ids (the answer's, else the offer's) and the RIDs received."""
        ids = extension_ids(answer_sdp, mid)
        if not ids[0]:
            ids = extension_ids(offer_sdp, mid)
        self._ids = ids
        self._receiving = accepted_rids(answer_sdp, mid) or [self.rids[0]]

    def set_active(self, rids: list[str]) -> list[str]:
        """Send only the layers ``rids`` names, as the web client does on ``publish_layers``
        (``RTCRtpSender.setParameters`` with ``active`` per encoding): the others stop until
        named again, then start with a keyframe. Returns the RIDs sending now."""
        for rid, track in zip(self.rids, self._tracks, strict=True):
            track.set_active(rid in rids)
        return [rid for rid, track in zip(self.rids, self._tracks, strict=True) if track.active]

    def sender_for(self, ssrc: int) -> LayerSender | None:
        return next(
            (
                layer
                for layer in self.layers
                if ssrc in (layer.sender._ssrc, layer.sender._rtx_ssrc)
            ),
            None,
        )

    async def stop(self) -> None:
        for layer in self.layers[1:]:
            await layer.sender.stop()

    def _with_rid(self, parameters: RTCRtpSendParameters) -> RTCRtpSendParameters:
        rid_id, repaired_id = self._ids
        extensions = [
            e for e in parameters.headerExtensions if e.uri not in (RID_URI, REPAIRED_RID_URI)
        ]
        if rid_id:
            extensions.append(RTCRtpHeaderExtensionParameters(id=rid_id, uri=RID_URI))
        if repaired_id:
            extensions.append(RTCRtpHeaderExtensionParameters(id=repaired_id, uri=REPAIRED_RID_URI))
        return RTCRtpSendParameters(
            codecs=parameters.codecs,
            headerExtensions=extensions,
            muxId=parameters.muxId,
            rtcp=parameters.rtcp,
        )

    async def _start_others(self, first: RTCRtpSender, parameters: RTCRtpSendParameters) -> None:
        for rid, track in zip(self.rids[1:], self._tracks[1:], strict=True):
            if rid not in self._receiving:
                continue  # the answer declined it: a browser would not send it either
            sender = RTCRtpSender(track, first.transport)
            send_layered_vp8(sender)
            _mark_layer(sender, rid)
            stamp_sender_reports_when_sent(sender, self._clock_rate)
            self.layers.append(LayerSender(rid, track, sender))
            await sender.send(parameters)
