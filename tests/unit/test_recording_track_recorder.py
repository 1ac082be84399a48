"""A recorder's hidden consumer: a real SFU producer and consumer delivering into a file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av

from recording.track_recorder import TrackRecorder
from sfu import rtcp
from sfu.consumer import Consumer, ConsumerParams
from sfu.counters import Counters
from sfu.ids import ConsumerId, PeerId, TrackId
from sfu.producer import Producer, ProducerParams
from sfu.rtp import RtpView
from tests.recording_media import SSRC, encode_vp8, vp8_packets


def hidden_consumer(sink: TrackRecorder) -> tuple[Producer, Consumer, list[bytes]]:
    feedback: list[bytes] = []
    params = ProducerParams("video", "camera", "0", "video/VP8", 90000, 96, ssrc=SSRC)
    loop = asyncio.get_running_loop()
    producer = Producer(TrackId("t_1"), PeerId("p_1"), params, feedback.append, 9, Counters(), loop)
    consumer = Consumer(ConsumerId("c_rec"), PeerId("recorder"), producer, sink, Counters())
    consumer.configure(ConsumerParams(ssrc=4444, payload_type=96))
    return producer, consumer, feedback


async def test_a_hidden_consumer_records_from_the_first_keyframe_untranscoded(
    tmp_path: Path,
) -> None:
    frames = await asyncio.to_thread(encode_vp8, 75, 30)  # keyframes at 0, 30 and 60
    packets = vp8_packets(frames)
    moments = iter(float(n) for n in range(1000, 2000))
    path = tmp_path / "teacher.webm"
    recorder = TrackRecorder(path, "video/VP8", 96, clock=lambda: next(moments))
    producer, consumer, feedback = hidden_consumer(recorder)
    assert len(feedback) == 1  # it asked the publisher for a keyframe, as a subscriber does
    now = asyncio.get_running_loop().time()
    tenth = packets[0].timestamp + 10 * 3000
    start = next(i for i, p in enumerate(packets) if p.timestamp == tenth)
    for packet in packets[start:]:  # joined mid-stream: frames 10-29 are of no use
        producer.on_rtp(RtpView(packet.header + packet.payload), now)
    wall = 1_700_000_000.25
    producer.on_sender_report(rtcp.ntp_now(wall), packets[-1].timestamp, now, wall)
    report = consumer.sender_report(now, rtcp.ntp_now(wall))
    assert report is not None
    recorder.send_rtcp(report)

    result = await recorder.close()

    assert result.path == tmp_path / "teacher.webm"
    assert not (tmp_path / "teacher.webm.part").exists()
    assert result.frames == 45  # frames 30-74
    assert recorder.first_arrival == 1000.0
    # The consumer's own timeline (its random timestamp base), in which its sender report
    # is too: the report's instant is frame 74's, 44 frames after the file's first.
    assert recorder.first_timestamp is not None and recorder.sender_clock is not None
    ticks = (recorder.sender_clock.rtp_timestamp - recorder.first_timestamp) & 0xFFFFFFFF
    assert ticks == 44 * 3000
    assert abs(recorder.sender_clock.wall - wall) < 1e-6
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("vp8", 320, 240)
        decoded = list(container.decode(stream))
    assert len(decoded) == 45
    assert recorder.frames_dropped == 0  # joined mid-stream: the consumer waited itself


async def test_after_close_packets_are_ignored_and_close_again_gives_the_same_file(
    tmp_path: Path,
) -> None:
    frames = await asyncio.to_thread(encode_vp8, 10, 30)
    packets = vp8_packets(frames)
    recorder = TrackRecorder(tmp_path / "pupil.webm", "video/VP8", 96)
    for packet in packets[: len(packets) // 2]:
        recorder.send_rtp(packet.header, packet.payload)
    first = await recorder.close()
    for packet in packets[len(packets) // 2 :]:
        recorder.send_rtp(packet.header, packet.payload)
    assert await recorder.close() == first
    assert 0 < first.frames < 10
