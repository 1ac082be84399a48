"""The bench's simulcast publishing: the offer it rewrites and the RIDs its packets carry."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import (
    RTCRtcpParameters,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from bench import weak_simulcast
from bench.bots import PublisherBot
from bench.encoded_track import EncodedTrack
from bench.frame_assembly import CompleteFrame, FrameHead
from bench.gallery import COMPUTER, PHONE, PageSize
from bench.group_stats import _sized_in
from bench.janus import JanusTarget
from bench.janus.participant import JanusParticipant
from bench.media import EncodedFrame
from bench.rtp_stats import vp8_frame_head
from bench.scenarios import SCENARIOS, WEAK_WARMUP, Media, weak
from bench.simulcast import (
    REPAIRED_RID_URI,
    RID_URI,
    SimulcastCamera,
    _mark_layer,
    accepted_rids,
    extension_ids,
    simulcast_offer,
)
from bench.target import JoinSpec

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=ssrc:11 cname:x",
        "m=video 9 UDP/TLS/RTP/SAVPF 97 98",
        "a=mid:1",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=rtpmap:97 VP8/90000",
        "a=ssrc-group:FID 22 23",
        "a=ssrc:22 cname:x",
        "a=ssrc:23 cname:x",
        "",
    ]
)


def test_the_offer_sends_three_rids_with_their_extensions_and_no_ssrc_lines() -> None:
    sdp = simulcast_offer(OFFER, "1", ["q", "h", "f"])
    audio, video = sdp.split("m=video")
    assert audio == OFFER.split("m=video")[0]  # the audio section is untouched
    assert "a=ssrc" not in video
    assert "a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send q;h;f\r\n" in video
    # The first free ids (1 and 3 are taken).
    assert f"a=extmap:2 {RID_URI}\r\n" in video and f"a=extmap:4 {REPAIRED_RID_URI}\r\n" in video
    assert extension_ids(sdp, "1") == (2, 4)
    assert extension_ids(sdp, "0") == (0, 0)
    assert sdp.endswith("\r\n") and "\r\n\r\n" not in sdp


def test_the_answers_rids_are_read() -> None:
    answer = OFFER.replace("a=mid:1", "a=mid:1\r\na=rid:q recv\r\na=rid:f recv")
    assert accepted_rids(answer, "1") == ["q", "f"]
    assert accepted_rids(OFFER, "1") == []


class _Transport:
    state = "connected"

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)

    def _register_rtp_sender(self, *args: Any) -> None:
        pass

    def _unregister_rtp_sender(self, *args: Any) -> None:
        pass


def test_packets_carry_the_rid_and_retransmissions_the_repaired_rid() -> None:
    async def run() -> None:
        transport = _Transport()
        sender = RTCRtpSender("video", transport)  # type: ignore[arg-type]
        _mark_layer(sender, "h")
        parameters = RTCRtpSendParameters(
            codecs=[
                RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97),
                RTCRtpCodecParameters(
                    mimeType="video/rtx", clockRate=90000, payloadType=98, parameters={"apt": 97}
                ),
            ],
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(id=2, uri=RID_URI),
                RTCRtpHeaderExtensionParameters(id=4, uri=REPAIRED_RID_URI),
            ],
            muxId="1",
            rtcp=RTCRtcpParameters(cname="x"),
        )
        await sender.send(parameters)
        # What _run_rtp does per packet, then a NACK for it.
        packet = RtpPacket(payload_type=97, sequence_number=7, timestamp=1, ssrc=sender._ssrc)
        packet.payload = b"\x90\x80\x01payload"
        packet.extensions.mid = "1"
        history = sender._RTCRtpSender__rtp_history  # type: ignore[attr-defined]
        history[7] = packet
        stamped = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
        await transport._send_rtp(packet.serialize(stamped))
        await sender._retransmit(7)
        await sender.stop()

        ids = HeaderExtensionsMap()
        ids.configure(parameters)
        first, rtx = (RtpPacket.parse(data, ids) for data in transport.sent[:2])
        assert (first.ssrc, first.extensions.mid, first.extensions.rtp_stream_id) == (
            sender._ssrc,
            "1",
            "h",
        )
        assert first.extensions.repaired_rtp_stream_id is None
        assert (rtx.ssrc, rtx.payload_type) == (sender._rtx_ssrc, 98)
        assert rtx.extensions.repaired_rtp_stream_id == "h"
        assert rtx.extensions.rtp_stream_id is None and rtx.extensions.mid == "1"

    asyncio.run(run())


def test_a_keyframe_s_first_packet_tells_its_picture_size() -> None:
    # VP8 keyframe header (RFC 6386 9.1): tag (3 bytes, P bit 0), start code, 14-bit sizes.
    frame = bytes([0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A]) + (240).to_bytes(2, "little")
    frame += (135 | 0x4000).to_bytes(2, "little") + b"rest"  # a scale bit set: ignored
    head = vp8_frame_head(b"\x10" + frame, 0)  # S bit, no extensions
    assert head is not None and (head.keyframe, head.width, head.height) == (True, 240, 135)
    inter = vp8_frame_head(b"\x10" + bytes([0x51]) + frame[1:], 0)
    assert inter is not None and (inter.keyframe, inter.width) == (False, 0)
    # A keyframe's first packet too short to hold the sizes: a keyframe of unknown size.
    short = vp8_frame_head(b"\x10" + frame[:6], 0)
    assert short is not None and (short.keyframe, short.width) == (True, 0)


def test_frames_take_the_size_of_the_keyframe_before_them() -> None:
    def at(t: float, size: tuple[int, int] | None = None) -> CompleteFrame:
        if size is None:
            return CompleteFrame(t, FrameHead())
        return CompleteFrame(t, FrameHead(True, None, None, 0, False, *size))

    frames = [at(0.0, (960, 540)), at(1.0), at(2.0), at(3.0, (240, 135)), at(4.0), at(5.0)]
    # Window [1, 5): two frames at 960x540, two at 240x135.
    assert _sized_in(frames, 1.0, 5.0) == (2, {(960, 540), (240, 135)})
    assert _sized_in(frames, 3.0, 9.0) == (0, {(240, 135)})
    assert _sized_in([at(0.0), at(1.0)], 0.0, 9.0) == (0, {(0, 0)})  # shown as "unknown"


def test_weak_simulcast_the_teacher_sends_layers_and_janus_pages_ask_for_their_link_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = EncodedFrame(b"\x00", 0, 3000, True, Fraction(1, 90000))
    clips = [[frame], [frame], [frame]]
    monkeypatch.setattr(weak_simulcast, "shared_clips", lambda: clips)
    media = Media(video_720p=[], video_360p=[], audio=[frame], layered_720p=[frame])
    plan = SCENARIOS["weak-simulcast"](6, media)
    assert plan.scenario == "weak-simulcast" and plan.min_warmup == WEAK_WARMUP
    teacher, *pupils = plan.joins
    assert teacher.publish is not None
    assert teacher.publish.simulcast is clips and teacher.publish.video is None
    assert teacher.publish.audio == [frame]
    plain = weak(6, media)
    assert [(p.group, p.downlink, p.link_seed) for p in pupils] == [
        (p.group, p.downlink, p.link_seed) for p in plain.joins[1:]
    ]
    assert [p.substream for p in pupils] == [2, 1, 0, 2, 1, 0]
    assert all(p.publish is None for p in pupils)


# Layers nobody watches are stopped (publish_layers), as the web client stops them.


def numbered(count: int, keyframes: tuple[int, ...]) -> list[EncodedFrame]:
    """Frames at 30 frames/s whose data is their index."""
    return [
        EncodedFrame(bytes([k]), k * 3000, 3000, k in keyframes, Fraction(1, 90000), k)
        for k in range(count)
    ]


async def test_a_stopped_layer_sends_nothing_and_comes_back_with_a_keyframe_on_time() -> None:
    track = EncodedTrack("video", numbered(60, (0, 30)))
    first = [await track.recv() for _ in range(3)]
    assert [p.pts for p in first] == [0, 3000, 6000]
    track.set_active(False)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    track.set_active(True)
    packet = await waiting
    # The capture clock went on (≥ 0.3 s: 9 frames), the clip jumped to its next keyframe.
    assert packet.pts is not None and packet.pts // 3000 >= 3 + 9
    assert bytes(packet) == bytes([30])
    assert track.counters.pauses == 1 and track.counters.frames_skipped >= 9
    assert track.counters.frames_sent == 4  # what was sent, not the slots that went by
    # Stopped while stopped: recv() ends as for any stopped track.
    track.set_active(False)
    waiting = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    track.stop()
    with pytest.raises(MediaStreamError):
        await waiting


def layered_camera() -> tuple[SimulcastCamera, list[EncodedTrack]]:
    """A simulcast camera of three layers q / h / f (its senders never started)."""
    tracks = [EncodedTrack("video", numbered(3, (0,))) for _ in range(3)]
    first = RTCRtpSender(tracks[0], _Transport())  # type: ignore[arg-type]
    return SimulcastCamera(first, tracks, ["q", "h", "f"], 90000), tracks


async def test_the_camera_sends_the_layers_named_and_the_bot_follows_publish_layers() -> None:
    camera, tracks = layered_camera()
    assert camera.set_active(["q", "h"]) == ["q", "h"]
    assert [t.active for t in tracks] == [True, True, False]

    bot = PublisherBot("http://127.0.0.1:9", "token", simulcast=True)
    bot._publication = SimpleNamespace(simulcast=camera)  # type: ignore[assignment]
    await bot._on_publish_layers({"type": "publish_layers", "source": "camera", "rids": ["q"]})
    await bot._on_publish_layers({"type": "publish_layers", "source": "screen", "rids": []})
    assert bot.layer_requests == [["q"]]
    assert [t.active for t in tracks] == [True, False, False]
    await bot._on_publish_layers(
        {"type": "publish_layers", "source": "camera", "rids": ["q", "h", "f"]}
    )
    assert [t.active for t in tracks] == [True, True, True]


async def test_janus_pages_ask_for_their_tiles_layer_and_publishers_send_up_to_it() -> None:
    def participant(identity: str, page: PageSize | None, feed: int) -> JanusParticipant:
        spec = JoinSpec("r", identity, page=page)
        found = JanusParticipant(None, "http://x", 1, spec)  # type: ignore[arg-type]
        found.feed_id = feed
        return found

    phone = participant("pupil-0", PHONE, 1)
    computer = participant("teacher", COMPUTER, 2)
    for page in (phone.gallery, computer.gallery):
        assert page is not None
        for k in range(9):
            page.add(str(10 + k), f"pupil-{k + 1}", "pupil")
    assert phone.page_substream() == 0  # 192x128: 240x135
    assert computer.page_substream() == 0  # 224x128: 240x135
    assert participant("p", None, 3).page_substream() is None  # Janus's default

    # The target has each publisher send the layers up to the largest asked of it.
    target = JanusTarget()
    cameras = {}
    for feed in (10, 11, 12):
        publisher = participant(f"pupil-{feed}", PHONE, feed)
        camera, tracks = layered_camera()
        publisher.publication = SimpleNamespace(simulcast=camera)  # type: ignore[assignment]
        target.participants.append(publisher)
        cameras[feed] = tracks

    def active() -> dict[int, list[bool]]:
        return {feed: [t.active for t in tracks] for feed, tracks in cameras.items()}

    target._asked(phone, {10: 1, 11: 1})
    target._asked(computer, {10: 0, 11: 0, 12: 0})
    assert active() == {10: [True, True, False], 11: [True, True, False], 12: [True, False, False]}
    target._asked(phone, {12: 1})  # the phone's page turned
    assert active() == {10: [True, False, False], 11: [True, False, False], 12: [True, True, False]}
