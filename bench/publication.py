"""The sending side of a bot: a publish peer connection carrying pre-encoded camera and microphone.

The bot offers (``sendonly``), the server answers. Keyframe requests make the track they name
jump to the clip's next keyframe, so the server's PLI relay is really exercised; like a
browser, the bot honours them whatever their media SSRC field says: PLIs and FIRs are read at
the DTLS transport (a FIR names its target in its FCI, 0 in the media SSRC field, and aiortc
would route it nowhere), and a request naming no SSRC of ours goes to the camera. NACKs are
answered by aiortc from its own send history (RTX where negotiated). The offer's Opus has
Chrome's parameters and DTX (``with_browser_opus_fmtp``); a microphone whose answer asks for
DTX (``usedtx=1``) sends one packet per 400 ms while it announces silence, as a browser's does.
"""

import re
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from .candidates import point_candidates_at, udp_candidates
from .client_glue import (
    gather_only,
    observe_rtcp_data,
    observe_sender_rtcp,
    sender_ssrc,
    stamp_audio_level,
    stamp_sender_reports_when_sent,
)
from .encoded_track import EncodedTrack, Schedule
from .media import EncodedFrame
from .relay import UdpRelay
from .rtcp_bytes import PSFB_PLI, keyframe_requests
from .simulcast import CAMERA_LAYERS, SimulcastCamera, simulcast_offer
from .temporal_layers import send_layered_vp8

# The bench tone's loudness: a 0.3 full-scale sine has an RMS of -13 dBov (RFC 6465).
TONE_LEVEL_DBOV = -13
# What each source is sent with: browsers send VP8 (+RTX) camera video and Opus audio.
_CLOCK_RATES = {"audio": 48000, "video": 90000}
_CODECS = {"video": ("video/VP8", "video/rtx"), "audio": ("audio/opus",)}


@dataclass
class SenderFeedback:
    """RTCP a publisher received about one of its streams."""

    pli: int = 0
    fir: int = 0
    nack_packets: int = 0
    nacked_sequences: int = 0
    receiver_reports: int = 0
    last_fraction_lost: int | None = None
    """From the latest receiver report (0-255 = 0-100 %)."""
    last_remb_bps: int | None = None


@dataclass
class PublishedSource:
    """One published track: its source name, its track and the feedback it got."""

    source: str
    kind: str
    track: EncodedTrack
    transceiver: RTCRtpTransceiver
    feedback: SenderFeedback


class Publication:
    """Owns the publish peer connection."""

    def __init__(
        self,
        *,
        video: list[EncodedFrame] | None,
        audio: list[EncodedFrame] | None,
        relay: UdpRelay | None = None,
        audio_level: int | None = TONE_LEVEL_DBOV,
        layered_video: bool = False,
        simulcast: list[list[EncodedFrame]] | None = None,
    ) -> None:
        """Publish ``video`` as the camera and ``audio`` as the microphone (None: not sent).

        Frame lists are read-only and may be shared by many publishers. ``audio_level`` is
        what the audio-level extension says (change it on the track to "fall silent").
        ``layered_video``: ``video`` was encoded with three temporal layers; send them marked.
        ``simulcast``: the camera is these clips instead (L1T3 each, smallest first, one per
        ``simulcast.CAMERA_LAYERS`` RID), sent as simulcast layers (``bench.simulcast``).
        """
        self.relay = relay
        self.sources: dict[str, PublishedSource] = {}
        self.simulcast: SimulcastCamera | None = None
        self._offer_sdp = ""
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        # One capture clock for both, so a flash and a beep sent together leave together.
        schedule = Schedule()
        # Audio first, as browsers order getUserMedia tracks.
        if audio is not None:
            microphone = self._add("microphone", EncodedTrack("audio", audio, schedule))
            microphone.track.audio_level = audio_level
            stamp_audio_level(microphone.transceiver.sender, lambda: microphone.track.audio_level)
        if simulcast is not None:
            tracks = [EncodedTrack("video", clip, schedule) for clip in simulcast]
            camera = self._add("camera", tracks[0])
            rids = [layer.rid for layer in CAMERA_LAYERS[: len(tracks)]]
            self.simulcast = SimulcastCamera(
                camera.transceiver.sender, tracks, rids, _CLOCK_RATES["video"]
            )
        elif video is not None:
            camera = self._add("camera", EncodedTrack("video", video, schedule))
            if layered_video:
                send_layered_vp8(camera.transceiver.sender)

    @property
    def pc(self) -> RTCPeerConnection:
        return self._pc

    def senders(self) -> list[RTCRtpSender]:
        """Every RTP sender: the connection's, and a simulcast camera's further layers'."""
        senders = list(self._pc.getSenders())
        if self.simulcast is not None:
            senders += [layer.sender for layer in self.simulcast.layers[1:]]
        return senders

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState

    async def offer(self) -> tuple[str, list[dict[str, str]]]:
        """The publish offer (ICE gathered) and its ``tracks`` list for ``publish_offer``."""
        gather_only(self._pc)
        await self._pc.setLocalDescription(await self._pc.createOffer())
        sdp = self._pc.localDescription.sdp
        if self.simulcast is not None:
            sdp = simulcast_offer(sdp, self._camera_mid(), self.simulcast.rids)
        sdp = with_browser_opus_fmtp(sdp)
        self._offer_sdp = sdp
        if self.relay is not None:
            await self.relay.start()
            sdp = point_candidates_at(sdp, self.relay.upstream_address)
        tracks = [
            {"mid": str(s.transceiver.mid), "source": s.source} for s in self.sources.values()
        ]
        return sdp, tracks

    async def accept(self, answer_sdp: str) -> None:
        """Apply the server's ``publish_answer``."""
        if self.relay is not None:
            server = udp_candidates(answer_sdp)
            if server:
                self.relay.set_target(server[0])
            answer_sdp = point_candidates_at(answer_sdp, self.relay.address)
        if self.simulcast is not None:
            self.simulcast.answered(answer_sdp, self._offer_sdp, self._camera_mid())
        microphone = self.sources.get("microphone")
        if microphone is not None:
            microphone.track.dtx = opus_dtx(answer_sdp, str(microphone.transceiver.mid))
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
        # After the answer: bundling has chosen the transport that carries the RTCP.
        observe_rtcp_data(self._pc, self._on_rtcp_data)

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            s.source: {"kind": s.kind, **vars(s.track.counters), **vars(s.feedback)}
            for s in self.sources.values()
        }
        if self.simulcast is not None:  # the camera's own counters are its first layer's
            summary["camera_layers"] = {
                layer.rid: vars(layer.track.counters).copy() for layer in self.simulcast.layers
            }
        return summary

    async def close(self) -> None:
        """Close the peer connection. Idempotent."""
        if self.simulcast is not None:
            await self.simulcast.stop()
        await self._pc.close()

    def _camera_mid(self) -> str:
        return str(self.sources["camera"].transceiver.mid)

    def _add(self, source: str, track: EncodedTrack) -> PublishedSource:
        transceiver = self._pc.addTransceiver(track, direction="sendonly")
        capabilities = RTCRtpSender.getCapabilities(track.kind).codecs
        transceiver.setCodecPreferences(
            [c for name in _CODECS[track.kind] for c in capabilities if c.mimeType == name]
        )
        published = PublishedSource(source, track.kind, track, transceiver, SenderFeedback())
        observe_sender_rtcp(transceiver.sender, lambda p: self._on_rtcp(published, p))
        stamp_sender_reports_when_sent(transceiver.sender, _CLOCK_RATES[track.kind])
        self.sources[source] = published
        return published

    def _on_rtcp_data(self, data: bytes) -> None:
        for fmt, ssrc in keyframe_requests(data):
            layer = self.simulcast.sender_for(ssrc) if self.simulcast is not None else None
            if layer is not None:  # one simulcast layer: that layer's clip jumps
                self._count_request(self.sources["camera"], fmt, layer.track)
                continue
            published = next(
                (s for s in self.sources.values() if sender_ssrc(s.transceiver.sender) == ssrc),
                None,
            )
            if published is None:  # 0 or an SSRC we do not send: the camera is meant
                published = self.sources.get("camera")
            if published is None:
                continue
            self._count_request(published, fmt, published.track)

    @staticmethod
    def _count_request(published: PublishedSource, fmt: int, track: EncodedTrack) -> None:
        if fmt == PSFB_PLI:
            published.feedback.pli += 1
        else:
            published.feedback.fir += 1
        track.request_keyframe()

    @staticmethod
    def _on_rtcp(published: PublishedSource, packet: AnyRtcpPacket) -> None:
        """Feedback aiortc routed to this sender (PLI / FIR are taken in ``_on_rtcp_data``)."""
        feedback = published.feedback
        if isinstance(packet, RtcpPsfbPacket):
            if packet.fmt == RTCP_PSFB_APP:
                try:
                    feedback.last_remb_bps = unpack_remb_fci(packet.fci)[0]
                except ValueError:
                    pass
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            feedback.nack_packets += 1
            feedback.nacked_sequences += len(packet.lost)
        elif isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            ssrc = sender_ssrc(published.transceiver.sender)
            for report in packet.reports:
                if report.ssrc == ssrc:
                    feedback.receiver_reports += 1
                    feedback.last_fraction_lost = report.fraction_lost


def opus_dtx(sdp: str, mid: str) -> bool:
    """Whether ``sdp`` asks for Opus DTX (``usedtx=1`` in its fmtp) on the m-line ``mid``."""
    for section in re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)[1:]:
        if not re.search(rf"^a=mid:{re.escape(mid)}\s*$", section, re.MULTILINE):
            continue
        opus = re.findall(r"^a=rtpmap:(\d+) opus/", section, re.MULTILINE | re.IGNORECASE)
        for payload_type in opus:
            found = re.search(rf"^a=fmtp:{payload_type} (.*)$", section, re.MULTILINE)
            params = found.group(1).strip().replace(" ", "").split(";") if found else []
            if "usedtx=1" in params:
                return True
    return False


BROWSER_OPUS_FMTP = "minptime=10;useinbandfec=1;usedtx=1"
"""What Chrome's offer says of its Opus (aiortc's says nothing), with DTX asked for as an
application that wants it munges it in: our server asks for DTX in its answer whatever the
offer says; Janus (1.1.2) echoes the offer's ``useinbandfec`` and ``usedtx`` in its answer
and asks for nothing the offer did not."""


def with_browser_opus_fmtp(sdp: str) -> str:
    """``sdp`` with ``BROWSER_OPUS_FMTP`` on every Opus payload type that has no fmtp line
    (the publisher sends what the answer says: ``opus_dtx``)."""
    eol = "\r\n" if "\r\n" in sdp else "\n"
    lines = sdp.split(eol)
    have = {m.group(1) for line in lines if (m := re.match(r"a=fmtp:(\d+) ", line))}
    out: list[str] = []
    for line in lines:
        out.append(line)
        found = re.match(r"a=rtpmap:(\d+) opus/", line, re.IGNORECASE)
        if found and found.group(1) not in have:
            out.append(f"a=fmtp:{found.group(1)} {BROWSER_OPUS_FMTP}")
    return eol.join(out)
