"""Hidden consumers (sfu/tap.py) on real producers: what the target is told, and what it gets."""

from __future__ import annotations

import asyncio

from aiortc.rtp import RtcpSrPacket

from sfu import rtcp
from sfu.counters import Counters
from sfu.ids import PeerId, TrackId
from sfu.producer import Producer, ProducerParams
from sfu.tap import TAP_PEER, Tap, TapTrack
from tests.unit.test_consumer import DELTA, KEYFRAME, ListSink, packet


class Target:
    """A RoomTap that keeps what it is told."""

    def __init__(self) -> None:
        self.opened: list[TapTrack] = []
        self.closed: list[str] = []
        self.sinks: dict[str, ListSink] = {}

    def open_track(self, track: TapTrack) -> ListSink:
        self.opened.append(track)
        sink = self.sinks[track.id] = ListSink()
        return sink

    def close_track(self, track_id: str) -> None:
        self.closed.append(track_id)


def producer(
    track: str, kind: str = "video", stereo: bool = False, counters: Counters | None = None
) -> Producer:
    if kind == "video":
        params = ProducerParams("video", "camera", "0", "video/VP8", 90000, 96, ssrc=1111)
    else:
        fmtp: dict[str, object] = {"stereo": 1} if stereo else {}
        params = ProducerParams(
            "audio", "microphone", "1", "audio/opus", 48000, 111, ssrc=2222, codec_parameters=fmtp
        )
    return Producer(
        TrackId(track), PeerId("p_teacher"), params, [].append, 9, counters or Counters(),
        asyncio.get_running_loop(),
    )  # fmt: skip


async def test_a_tap_gets_every_track_whole_and_hears_when_each_ends() -> None:
    target = Target()
    tap = Tap(target, Counters())
    camera, microphone = producer("t_cam"), producer("t_mic", "audio", stereo=True)
    tap.add(camera)
    tap.add(microphone)
    tap.add(camera)  # once is enough
    assert target.opened == [
        TapTrack("t_cam", "p_teacher", "video", "camera", "video/VP8", 90000, 96, 0),
        TapTrack(
            "t_mic", "p_teacher", "audio", "microphone", "audio/opus", 48000, 111, 2, {"stereo": 1}
        ),
    ]
    now = asyncio.get_running_loop().time()
    camera.on_rtp(packet(1, DELTA), now)  # before a keyframe: nothing a file could start with
    for seq, payload in ((2, KEYFRAME), (3, DELTA), (4, DELTA)):
        camera.on_rtp(packet(seq, payload), now)
    received = target.sinks["t_cam"].rtp
    assert [p.sequence_number - received[0].sequence_number for p in received] == [0, 1, 2]
    assert {p.payload_type for p in received} == {96}
    assert camera.consumers[0].peer_id == TAP_PEER

    camera.on_sender_report(rtcp.ntp_now(1_700_000_000.0), 3 * 3000, now, 1_700_000_000.0)
    tap.send_reports(now, rtcp.ntp_now())
    (report,) = rtcp.parse(target.sinks["t_cam"].rtcp[0])
    assert isinstance(report, RtcpSrPacket)
    assert report.ssrc == received[0].ssrc

    camera.close()  # unpublished, or its participant left
    assert target.closed == ["t_cam"]
    tap.close()
    assert target.closed == ["t_cam", "t_mic"]
    tap.add(producer("t_late"))  # a closed tap takes nothing more
    assert len(target.opened) == 2


async def test_the_sfu_counts_the_opus_packets_coded_in_stereo() -> None:
    """Music mode is checked where it flows: the `s` bit of each Opus packet's TOC byte."""
    counters = Counters()
    microphone = producer("t_mic", "audio", stereo=True, counters=counters)
    assert microphone.stereo and not producer("t_m2", "audio").stereo
    assert not producer("t_cam").stereo
    now = asyncio.get_running_loop().time()
    # TOC 0xFC: config 31 (CELT FB 20 ms), s=1, c=0; 0x78: config 15 (hybrid FB 20 ms), s=0.
    for seq, toc in ((1, 0xFC), (2, 0xFC), (3, 0x78)):
        microphone.on_rtp(packet(seq, bytes([toc, 0x01, 0x02]), ssrc=2222), now)
    assert (counters.opus_packets, counters.opus_stereo_packets) == (3, 2)
