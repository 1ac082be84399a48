"""The feedback the bench generates itself ("cheap" receive mode) and the RTCP bytes it reads."""

import asyncio
import random
import struct

import pytest
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
)

from bench.feedback import NackList, ReceiverFeedback
from bench.rtcp_bytes import (
    PSFB_FIR,
    PSFB_PLI,
    keyframe_requests,
    nacked_sequences,
    pack_nack,
    sender_reports,
)
from bench.rtp_stats import RtpCounter
from bench.session_layout import MediaLine

from .test_bench_rtp_stats import MIDDLE, VIDEO, VIDEO_SSRC, rtp

AUDIO_SSRC = 3333
AUDIO = MediaLine(mid="0", kind="audio", codecs={111: "opus"}, ssrcs=[AUDIO_SSRC])
OWN_SSRC = {"0": 500, "1": 501}


def test_keyframe_requests_read_pli_media_ssrc_and_every_fir_entry() -> None:
    fir = RtcpPsfbPacket(
        fmt=RTCP_PSFB_FIR, ssrc=9, media_ssrc=0, fci=struct.pack("!IB3xIB3x", 77, 1, 78, 1)
    )
    pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=9, media_ssrc=0)
    rr = RtcpRrPacket(ssrc=9)
    data = bytes(rr) + bytes(fir) + bytes(pli)
    assert keyframe_requests(data) == [(PSFB_FIR, 77), (PSFB_FIR, 78), (PSFB_PLI, 0)]
    assert keyframe_requests(data[:-1]) == [(PSFB_FIR, 77), (PSFB_FIR, 78)]  # truncated: stop


def test_sender_reports_give_the_middle_of_the_ntp_time() -> None:
    sr = RtcpSrPacket(
        ssrc=42,
        sender_info=RtcpSenderInfo(
            ntp_timestamp=0x1122334455667788, rtp_timestamp=0, packet_count=0, octet_count=0
        ),
    )
    assert sender_reports(bytes(sr) + bytes(RtcpSdesPacket())) == [(42, 0x33445566)]


def test_a_nack_spans_the_sequence_wrap_and_parses_back() -> None:
    lost = [65534, 65535, 65536, 65540, 65551, 65552]  # extended numbers across the wrap
    data = pack_nack(500, VIDEO_SSRC, reversed(lost))
    assert nacked_sequences(data) == [65534, 65535, 0, 4, 15, 16]
    (packet,) = RtcpPacket.parse(data)
    assert isinstance(packet, RtcpRtpfbPacket)
    assert (packet.ssrc, packet.media_ssrc) == (500, VIDEO_SSRC)
    assert [seq & 0xFFFF for seq in packet.lost] == [65534, 65535, 0, 4, 15, 16]  # aiortc reads it


def test_the_nack_list_sends_each_gap_then_retries_it_once() -> None:
    nacks = NackList(retry_after=0.1, limit=5)
    nacks.add(1, 10, 11)
    assert nacks.take_new(now=0.0) == {1: [10, 11]}
    nacks.add(1, 20, 20)
    assert nacks.take_new(now=0.05) == {1: [20]}
    assert nacks.take_due(now=0.09) == {}
    assert nacks.take_due(now=0.1) == {1: [10, 11]}
    assert nacks.next_due() == pytest.approx(0.15)
    assert nacks.take_due(now=1.0) == {1: [20]}
    assert nacks.take_due(now=2.0) == {} and len(nacks) == 0
    nacks.add(1, 100, 107)  # more than the limit at once: only the newest 5 wait
    assert nacks.take_new(now=3.0) == {1: [103, 104, 105, 106, 107]}
    nacks.add(2, 1, 2)  # full: the oldest retries are given up
    assert len(nacks) == 5 and nacks.given_up == 2
    assert nacks.take_due(now=4.0) == {1: [105, 106, 107]}


async def settle() -> None:
    """Let scheduled callbacks and the tasks they start run."""
    for _ in range(3):
        await asyncio.sleep(0)


def feedback_for(
    counter: RtpCounter, sent: list[tuple[str, bytes]], clock: list[float]
) -> ReceiverFeedback:
    async def send(mid: str, data: bytes) -> None:
        sent.append((mid, data))

    feedback = ReceiverFeedback(
        counter,
        send,
        OWN_SSRC.get,
        clock=lambda: clock[0],
        nack_retry=0.05,
        rng=random.Random(1),
    )
    counter.on_gap = feedback.on_gap
    return feedback


async def test_gaps_in_video_are_nacked_at_once_and_retried_if_still_missing() -> None:
    counter = RtpCounter()
    counter.configure([AUDIO, VIDEO], mid_extension_id=None)
    sent: list[tuple[str, bytes]] = []
    clock = [0.0]
    feedback = feedback_for(counter, sent, clock)
    try:
        for seq in (1, 2, 5, 6, 9):  # 3-4 and 7-8 missing, seen in one wake-up
            counter.add(rtp(seq, MIDDLE))
        for seq in (1, 3):  # audio: no NACK (browsers negotiate it for video only)
            counter.add(rtp(seq, b"\xfc", ssrc=AUDIO_SSRC, pt=111))
        await settle()
        assert [(mid, nacked_sequences(data)) for mid, data in sent] == [("1", [3, 4, 7, 8])]
        (nack,) = RtcpPacket.parse(sent[0][1])
        assert isinstance(nack, RtcpRtpfbPacket) and nack.ssrc == OWN_SSRC["1"]
        counter.add(rtp(4, MIDDLE))  # arrives late
        clock[0] = 0.05
        await asyncio.sleep(0.1)
        assert [nacked_sequences(data) for _, data in sent[1:]] == [[3, 7, 8]]
        await asyncio.sleep(0.1)
        assert len(sent) == 2  # one retry only
        assert (feedback.counters.nack_packets, feedback.counters.nacked_sequences) == (2, 7)
    finally:
        await feedback.close()


async def test_receiver_reports_carry_loss_highest_sequence_and_the_sr_echo() -> None:
    counter = RtpCounter()
    counter.configure([AUDIO, VIDEO], mid_extension_id=None)
    sent: list[tuple[str, bytes]] = []
    clock = [10.0]
    feedback = feedback_for(counter, sent, clock)
    try:
        for seq in (65530, 65531, 65535, 0, 1):  # 3 of 8 lost, across the wrap
            counter.add(rtp(seq, MIDDLE))
        counter.add(rtp(7, b"\xfc", ssrc=AUDIO_SSRC, pt=111))
        feedback.on_sender_report(VIDEO_SSRC, 0xABCD1234)
        clock[0] = 10.5
        await feedback.send_reports()
        reports = {mid: RtcpPacket.parse(data)[0] for mid, data in sent}
        video, audio = reports["1"], reports["0"]
        assert isinstance(video, RtcpRrPacket) and isinstance(audio, RtcpRrPacket)
        assert (video.ssrc, audio.ssrc) == (OWN_SSRC["1"], OWN_SSRC["0"])
        assert video.reports == [
            RtcpReceiverInfo(
                ssrc=VIDEO_SSRC,
                fraction_lost=3 * 256 // 8,
                packets_lost=3,
                highest_sequence=0x10001,
                jitter=0,
                lsr=0xABCD1234,
                dlsr=0x8000,  # half a second in 1/65536 s
            )
        ]
        assert audio.reports[0].packets_lost == 0 and audio.reports[0].lsr == 0
        # The next report's fraction covers only what happened since; late packets count.
        await settle()  # the NACK for the gap goes first
        sent.clear()
        counter.add(rtp(65533, MIDDLE))
        counter.add(rtp(2, MIDDLE))
        await feedback.send_reports()
        (video,) = [RtcpPacket.parse(data)[0] for mid, data in sent if mid == "1"]
        assert isinstance(video, RtcpRrPacket)
        assert (video.reports[0].fraction_lost, video.reports[0].packets_lost) == (0, 2)
    finally:
        await feedback.close()
