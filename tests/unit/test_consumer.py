"""Producer → consumer forwarding on real objects, with a sink that keeps what it is given."""

from __future__ import annotations

import asyncio

from aiortc.rtp import RtpPacket

from sfu import vp8
from sfu.consumer import REPAIR_BURST_OCTETS, RESEND_GAP, Consumer, ConsumerParams
from sfu.counters import Counters
from sfu.ids import ConsumerId, PeerId, TrackId
from sfu.layers import PAUSED
from sfu.producer import Producer, ProducerParams
from sfu.rtp import PACKET_OVERHEAD, RtpView, unwrap_rtx
from sfu.sink import VIDEO
from tests.unit.test_layers import Stream

KEYFRAME = b"\x10\x00\x00\x00"  # VP8 descriptor S=1 PID=0, frame tag P=0
DELTA = b"\x10\x01\x00\x00"


class ListSink:
    def __init__(self) -> None:
        self.rtp: list[RtpPacket] = []
        self.rtcp: list[bytes] = []

    def send_rtp(
        self, header: bytes | bytearray, payload: bytes | memoryview, kind: int = VIDEO
    ) -> None:
        self.rtp.append(RtpPacket.parse(bytes(header) + bytes(payload)))

    def send_rtcp(self, data: bytes) -> None:
        self.rtcp.append(data)


def now() -> float:
    """Arrival time on the loop's clock, which the consumer also reads when NACKs come."""
    return asyncio.get_running_loop().time()


def packet(seq: int, payload: bytes = DELTA, ssrc: int = 1111) -> RtpView:
    rtp = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 3000, ssrc=ssrc)
    rtp.payload = payload
    return RtpView(rtp.serialize())


def setup(rtx: bool = True) -> tuple[Producer, Consumer, ListSink, list[bytes]]:
    feedback: list[bytes] = []
    params = ProducerParams("video", "camera", "0", "video/VP8", 90000, 96, ssrc=1111)
    producer = Producer(
        TrackId("t_1"),
        PeerId("p_1"),
        params,
        feedback.append,
        9,
        Counters(),
        asyncio.get_running_loop(),
    )
    sink = ListSink()
    consumer = Consumer(ConsumerId("c_1"), PeerId("p_2"), producer, sink, Counters())
    consumer.configure(
        ConsumerParams(
            ssrc=2222,
            payload_type=100,
            rtx_ssrc=3333 if rtx else None,
            rtx_payload_type=101 if rtx else None,
        )
    )
    return producer, consumer, sink, feedback


async def test_video_waits_for_a_keyframe_and_asks_the_publisher_for_one() -> None:
    producer, _, sink, feedback = setup()
    producer.on_rtp(packet(10), now())
    assert sink.rtp == []
    assert len(feedback) == 1  # the new consumer's keyframe request became a PLI
    producer.on_rtp(packet(11, KEYFRAME), now())
    producer.on_rtp(packet(12), now())
    assert [(p.ssrc, p.payload_type) for p in sink.rtp] == [(2222, 100), (2222, 100)]
    assert sink.rtp[1].sequence_number == (sink.rtp[0].sequence_number + 1) & 0xFFFF


async def test_packets_that_overtook_the_keyframe_are_sent_after_it_in_order() -> None:
    producer, _, sink, _ = setup()
    producer.on_rtp(packet(21), now())  # the keyframe's second packet came first: dropped
    producer.on_rtp(packet(20, KEYFRAME), now())  # the keyframe starts: 20, then 21 again
    producer.on_rtp(packet(22), now())
    seqs = [p.sequence_number for p in sink.rtp]
    assert seqs == [seqs[0], (seqs[0] + 1) & 0xFFFF, (seqs[0] + 2) & 0xFFFF]
    assert [p.payload[:4] for p in sink.rtp] == [KEYFRAME, DELTA, DELTA]


async def test_subscriptions_starting_together_share_one_keyframe_request() -> None:
    producer, _, _, feedback = setup()
    feedback.clear()
    await asyncio.sleep(0.4)  # past the floor between two PLIs
    first = Consumer(ConsumerId("c_2"), PeerId("p_3"), producer, ListSink(), Counters())
    second = Consumer(ConsumerId("c_3"), PeerId("p_4"), producer, ListSink(), Counters())
    first.configure(ConsumerParams(ssrc=4444, payload_type=100))
    assert (feedback, first.starting, second.starting) == ([], False, True)  # held back
    second.configure(ConsumerParams(ssrc=5555, payload_type=100))  # the last answer came
    assert len(feedback) == 1
    assert (producer.keyframes.requests, producer.keyframes.sent) == (3, 2)


async def test_dropped_layers_leave_no_gap_and_a_retransmission_repeats_what_was_sent() -> None:
    producer, consumer, sink, _ = setup()
    stream = Stream(seq=100, picture_id=500)
    packets = stream.next_frame(keyframe=True)
    consumer.set_layer(0)  # base layer only: frames 1-3 of every 4 are left out
    for _ in range(7):
        packets += stream.next_frame()
    for seq, payload, _ in packets:
        rtp = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 3000, ssrc=1111)
        rtp.payload = payload
        producer.on_rtp(RtpView(rtp.serialize()), now())
    sent = [(p.sequence_number, vp8.parse(p.payload)) for p in sink.rtp]
    assert len(sent) == 4  # frames 0 and 4, two packets each
    seqs = [seq for seq, _ in sent]
    assert seqs == [seqs[0] + i for i in range(4)]
    ids = [d.picture_id for _, d in sent if d is not None]
    assert ids == [500, 500, 501, 501]  # 504 became 501: the three left out are not missed
    consumer.on_nack([seqs[2]])
    rtx = sink.rtp[-1]
    assert rtx.ssrc == 3333
    again = vp8.parse(rtx.payload[2:])  # after RTX's original sequence number
    assert again is not None and again.picture_id == 501


async def test_the_subscribers_loss_counts_only_what_we_sent_and_it_did_not_get() -> None:
    producer, consumer, sink, _ = setup()
    producer.on_rtp(packet(100, KEYFRAME), now())
    first = sink.rtp[0].sequence_number
    assert consumer.downlink_loss(0, first, 0.0) is None  # the first report starts a window
    # 100 packets go out; the publisher's 10 lost on its uplink leave holes in what we send.
    for seq in range(101, 201):
        if seq % 10 != 5:
            producer.on_rtp(packet(seq), now())
    assert consumer.holes == 10
    # A report a fifth of a second later is too soon to say anything: the window goes on.
    assert consumer.downlink_loss(3, first + 20, 0.2) is None
    # The subscriber counts those 10 as lost, and 4 more that were lost on our leg.
    assert consumer.downlink_loss(14, first + 100, 1.0) == 0.04
    # A publisher's retransmission fills a hole late: it is no longer ours to blame.
    producer.on_rtp(packet(105), now())
    assert consumer.holes == 9
    for seq in range(201, 301):
        producer.on_rtp(packet(seq), now())
    assert consumer.downlink_loss(13, first + 200, 1.5) is None  # half a window
    assert consumer.downlink_loss(13, first + 200, 2.0) == 0.0
    assert consumer.downlink_loss(13, first + 210, 3.5) is None  # a second, but 10 packets


async def test_a_second_copy_of_a_retransmitted_packet_is_not_forwarded() -> None:
    producer, consumer, sink, _ = setup()
    for seq in (300, 301, 303, 302, 302, 304):  # 302 came late, then again (asked twice)
        producer.on_rtp(packet(seq, KEYFRAME if seq == 300 else DELTA), now())
    sent = [p.sequence_number - sink.rtp[0].sequence_number for p in sink.rtp]
    assert sent == [0, 1, 3, 2, 4]
    assert consumer.holes == 0  # the copy did not "fill" a hole that was not there
    assert producer._counters.duplicates_dropped == 1


async def test_a_nack_is_answered_as_rtx_once_per_round_trip() -> None:
    producer, consumer, sink, _ = setup()
    for seq in range(20, 30):
        producer.on_rtp(packet(seq, KEYFRAME if seq == 20 else DELTA), now())
    lost = sink.rtp[3].sequence_number
    consumer.on_nack([lost])
    consumer.on_nack([lost])  # repeated at once: ignored
    rtx = sink.rtp[10:]
    assert [(p.ssrc, p.payload_type) for p in rtx] == [(3333, 101)]
    assert unwrap_rtx(rtx[0].payload) == (lost, DELTA)
    assert rtx[0].timestamp == sink.rtp[3].timestamp
    assert consumer.retransmitted == 1
    await asyncio.sleep(RESEND_GAP)
    consumer.on_nack([lost])
    assert consumer.retransmitted == 2


async def test_without_rtx_the_packet_is_resent_as_it_was() -> None:
    producer, consumer, sink, _ = setup(rtx=False)
    producer.on_rtp(packet(1, KEYFRAME), now())
    consumer.on_nack([sink.rtp[0].sequence_number])
    assert sink.rtp[1].sequence_number == sink.rtp[0].sequence_number
    assert sink.rtp[1].payload == KEYFRAME


async def test_retransmissions_are_capped_by_what_was_forwarded() -> None:
    producer, consumer, sink, _ = setup()
    for seq in range(1000):
        producer.on_rtp(packet(seq, KEYFRAME if seq == 0 else DELTA), now())
    sent = [p.sequence_number for p in sink.rtp]
    consumer.on_nack(sent[:400])
    assert consumer.retransmitted == 200  # the budget's ceiling
    assert consumer.retransmissions_skipped == 200


async def test_retransmissions_keep_within_the_repair_rate_the_downlink_allows() -> None:
    producer, consumer, sink, _ = setup()
    big = DELTA + bytes(1150)  # packets of a real picture's size
    for seq in range(100):
        producer.on_rtp(packet(seq, KEYFRAME if seq == 0 else big), now())
    sent = [p.sequence_number for p in sink.rtp]
    size = len(big) + PACKET_OVERHEAD
    burst = REPAIR_BURST_OCTETS // size  # a slow rate still repairs a keyframe's tail at once
    consumer.repair_rate = 1.0
    consumer.on_nack(sent[1:50])
    assert consumer.retransmitted == burst
    assert consumer.retransmissions_skipped == 49 - burst
    consumer.repair_rate = None  # no budget known: the packet share alone
    consumer.on_nack(sent[50:60])
    assert consumer.retransmitted == burst + 10


async def test_a_muted_producer_forwards_nothing_and_resumes_without_a_gap() -> None:
    producer, _, sink, _ = setup()
    producer.on_rtp(packet(1, KEYFRAME), now())
    producer.set_muted(True)
    producer.on_rtp(packet(2), now())
    producer.set_muted(False)
    producer.on_rtp(packet(3), now())  # not a keyframe: the subscriber waits for one
    producer.on_rtp(packet(4, KEYFRAME), now())
    assert [p.sequence_number - sink.rtp[0].sequence_number for p in sink.rtp] == [0, 1]


async def test_closing_the_producer_closes_its_consumers() -> None:
    producer, consumer, _, _ = setup()
    producer.close()
    producer.close()
    assert consumer.closed and producer.consumers == []


def ntp_of(unix: float) -> int:
    seconds = int(unix)
    return ((seconds + 2208988800) << 32) | int((unix - seconds) * (1 << 32))


async def test_sender_reports_keep_a_publishers_audio_and_video_in_sync() -> None:
    """The publisher's clock is an hour behind ours and its video SR arrives 45 ms later than
    its audio SR would; both tracks' SRs must still name the same instant."""
    from aiortc.rtp import RtcpPacket, RtcpSrPacket

    from sfu.producer import PublisherClock

    loop = asyncio.get_running_loop()
    clock = PublisherClock()
    consumers = {}
    for kind, rate, pt in (("audio", 48000, 111), ("video", 90000, 96)):
        mime = "audio/opus" if kind == "audio" else "video/VP8"
        params = ProducerParams(kind, kind, "0", mime, rate, pt, ssrc=7)
        producer = Producer(
            TrackId("t_" + kind), PeerId("p_1"), params, lambda b: None, 9, Counters(), loop, clock
        )
        consumer = Consumer(
            ConsumerId("c_" + kind), PeerId("p_2"), producer, ListSink(), Counters()
        )
        consumer.configure(ConsumerParams(ssrc=100, payload_type=pt))
        producer.on_rtp(packet(1, KEYFRAME), now())
        consumers[kind] = (producer, consumer, rate)
    t0, behind = 1_000_000.0, 3600.0  # publisher wall time; its clock is this far behind ours
    for kind, sent, late in (("audio", t0, 0.005), ("video", t0 + 0.2, 0.050)):
        producer, _, rate = consumers[kind]
        rtp_now = int((sent - (t0 - 10)) * rate)  # both tracks started at t0 - 10 s
        producer.on_sender_report(ntp_of(sent), rtp_now, now(), sent + behind + late)
    assert clock.offset is not None and abs(clock.offset - 3600.005) < 1e-6
    report_at = t0 + behind + 0.005 + 1.0  # our clock: publisher time t0 + 1 s
    for kind in ("audio", "video"):
        _, consumer, rate = consumers[kind]
        data = consumer.sender_report(now(), ntp_of(report_at))
        assert data is not None
        (sr,) = RtcpPacket.parse(data)
        assert isinstance(sr, RtcpSrPacket)
        rtp = (sr.sender_info.rtp_timestamp - consumer.rewriter.ts_offset) & 0xFFFFFFFF
        assert abs(rtp - 11 * rate) <= 2, kind  # NTP fractions round; 45 ms would be 4050


async def test_keyframes_are_counted_apart_and_in_the_layer_rates() -> None:
    producer, _, _, _ = setup()
    first = RtpPacket(payload_type=96, sequence_number=10, timestamp=9000, ssrc=1111)
    first.payload = KEYFRAME + bytes(996)
    rest = RtpPacket(payload_type=96, sequence_number=11, timestamp=9000, ssrc=1111)
    rest.payload = b"\x00" + bytes(999)  # S=0: the keyframe's second packet
    producer.on_rtp(RtpView(first.serialize()), now())
    producer.on_rtp(RtpView(rest.serialize()), now())
    for seq in (12, 13):
        producer.on_rtp(packet(seq, DELTA + bytes(96)), now())
    assert producer.keyframe_octets == 2000
    assert producer.keyframe_size == 2000  # still arriving, as far as the producer knows
    assert producer.layer_octets == [2200 + 4 * PACKET_OVERHEAD, 0, 0]  # as on the wire
    producer.sample_rates(1.0)
    assert producer.layer_rates == ((2200 + 4 * PACKET_OVERHEAD) * 8.0,) * 3


async def test_a_pli_from_a_subscriber_without_video_yet_or_paused_asks_nothing_more() -> None:
    producer, consumer, _, _ = setup()
    asked = producer.keyframes.requests  # the new subscription's own request
    consumer.on_keyframe_request()  # still waiting for that keyframe
    assert producer.keyframes.requests == asked
    producer.on_rtp(packet(10, KEYFRAME), now())
    consumer.on_keyframe_request()
    assert producer.keyframes.requests == asked + 1
    consumer.set_layer(PAUSED)
    consumer.on_keyframe_request()
    assert producer.keyframes.requests == asked + 1
    assert consumer.waiting_keyframe is False


def keyframe_of(seq: int, timestamp: int, size: int) -> list[RtpView]:
    """A VP8 keyframe of `size` payload bytes, in 1000-byte packets."""
    views = []
    for index in range(size // 1000):
        rtp = RtpPacket(payload_type=96, sequence_number=seq + index, timestamp=timestamp)
        rtp.ssrc = 1111
        rtp.payload = (KEYFRAME if index == 0 else b"\x00") + bytes(996 if index == 0 else 999)
        views.append(RtpView(rtp.serialize()))
    return views


async def test_large_keyframes_stretch_the_interval_between_subscribers_plis() -> None:
    producer, _, _, _ = setup()
    for view in keyframe_of(10, 9000, 50_000) + keyframe_of(60, 12000, 10_000):
        producer.on_rtp(view, now())
    assert producer.keyframe_size == 50_000  # the larger of the last two
    for seq in range(70, 70 + 400):  # and 400 KB of delta frames, in the second measured
        producer.on_rtp(packet(seq, DELTA + bytes(996)), now())
    producer.sample_rates(1.0)  # ~3.9 Mbit/s (3.68 of payload, and the packets' overhead)
    assert producer.keyframes.interval == 1.0  # 400 kbit of keyframe: a ninth of that
    for seq in range(470, 470 + 100):
        producer.on_rtp(packet(seq, DELTA + bytes(996)), now())
    producer.sample_rates(1.0)  # smoothed: ~2.4 Mbit/s
    assert producer.keyframes.interval == 1.0  # 0.67 s: the floor
    producer.sample_rates(1.0)  # nothing arrives: half of that, ~1.2 Mbit/s
    assert 1.15e6 < producer.layer_rates[-1] < 1.25e6
    assert producer.keyframes.interval == 50_000 * 8 / (0.25 * producer.layer_rates[-1])
    producer.sample_rates(1.0)
    producer.sample_rates(1.0)
    assert producer.keyframes.interval == 3.0  # 5.7 s, capped


async def test_whole_frames_forwarded_are_counted_for_the_subscribers_metrics() -> None:
    producer, consumer, sink, _ = setup()

    def part(seq: int, payload: bytes, last: bool) -> RtpView:
        rtp = RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq // 2 * 3000, ssrc=1111)
        rtp.marker = last
        rtp.payload = payload
        return RtpView(rtp.serialize())

    producer.on_rtp(part(1, DELTA, True), now())  # before a keyframe: not forwarded
    for seq, payload, last in ((2, KEYFRAME, False), (3, DELTA, True), (4, DELTA, True)):
        producer.on_rtp(part(seq, payload, last), now())
    assert len(sink.rtp) == 3
    assert consumer.frames_sent == 2


async def test_padding_goes_as_padding_only_rtx_packets_and_touches_no_media_numbering() -> None:
    producer, consumer, sink, _ = setup()
    producer.on_rtp(packet(30, KEYFRAME), now())
    media = sink.rtp[-1]
    counters = consumer._counters
    # 1,000 bytes on the wire: three packets of 255 bytes of padding + 70 of overhead.
    assert consumer.send_padding(1_000) == 3 * (255 + PACKET_OVERHEAD)
    padding = sink.rtp[1:]
    assert [(p.ssrc, p.payload_type, p.padding_size, p.payload) for p in padding] == [
        (3333, 101, 255, b"")
    ] * 3
    assert [p.timestamp for p in padding] == [media.timestamp] * 3
    seqs = [p.sequence_number for p in padding]
    assert seqs == [(seqs[0] + k) & 0xFFFF for k in range(3)]
    assert (consumer.padding_sent, counters.padding_packets) == (3, 3)
    producer.on_rtp(packet(31), now())  # the media stream runs on without a gap
    assert sink.rtp[-1].sequence_number == (media.sequence_number + 1) & 0xFFFF
    assert consumer.send_padding(300) == 0  # less than one packet


async def test_without_rtx_no_padding_is_sent() -> None:
    producer, consumer, sink, _ = setup(rtx=False)
    producer.on_rtp(packet(30, KEYFRAME), now())
    assert consumer.send_padding(10_000) == 0
    assert len(sink.rtp) == 1
