"""Simulcast: the SDP that accepts it, the ladder of layers, and a consumer switching between
encodings of one track with sequence numbers, timestamps and VP8 numbering running on."""

from __future__ import annotations

import asyncio

from aiortc.rtp import RtpPacket

from sfu import rtcp, sdp, vp8
from sfu.allocation import Rung, ladder, spatial_cap
from sfu.consumer import Consumer, ConsumerParams
from sfu.counters import Counters
from sfu.ids import ConsumerId, PeerId, TrackId
from sfu.producer import Producer, ProducerParams
from sfu.rtp import RtpView
from tests.unit.test_consumer import ListSink, now
from tests.unit.test_layers import Stream

OFFER_SECTION = (
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "a=mid:0\r\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendonly\r\n"
    "a=rid:f send\r\n"
    "a=rid:q send\r\n"
    "a=rid:h send\r\n"
    "a=simulcast:send f;~q;h\r\n"
)
ANSWER_SECTION = (
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=recvonly\r\na=extmap:9 "
    "urn:ietf:params:rtp-hdrext:sdes:mid\r\na=mid:0\r\n"
)


def test_rids_are_read_smallest_first_whatever_the_offer_s_order() -> None:
    assert sdp.sent_rids(OFFER_SECTION) == ["q", "h", "f"]


def test_other_rids_keep_the_offer_s_order_and_a_single_rid_is_no_simulcast() -> None:
    section = "a=rid:lo send\r\na=rid:hi send\r\na=simulcast:send lo;hi,x\r\n"
    assert sdp.sent_rids(section) == ["lo", "hi"]
    assert sdp.sent_rids("a=rid:a send\r\na=simulcast:send a\r\n") == []
    assert sdp.sent_rids("a=rid:a send\r\na=simulcast:send a;b\r\n") == []  # b never declared


def test_the_answer_receives_the_offered_rids_and_their_extensions() -> None:
    answer = sdp.with_simulcast("v=0\r\n" + OFFER_SECTION, "v=0\r\n" + ANSWER_SECTION)
    added = answer.split(ANSWER_SECTION, 1)[1].split("\r\n")
    assert added == [
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "a=rid:f recv",
        "a=rid:q recv",
        "a=rid:h recv",
        "a=simulcast:recv f;q;h",
        "",
    ]


def test_an_answer_without_simulcast_in_the_offer_is_left_alone() -> None:
    offer = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n"
    assert sdp.with_simulcast(offer, "v=0\r\n" + ANSWER_SECTION) == "v=0\r\n" + ANSWER_SECTION


def test_the_ladder_climbs_the_small_layer_first_then_larger_pictures_at_full_rate() -> None:
    rates = [(50.0, 80.0, 100.0), (150.0, 250.0, 300.0), (400.0, 700.0, 900.0)]
    assert ladder(rates, [0, 1, 2]) == [
        Rung(0, 0, 50.0),
        Rung(0, 1, 80.0),
        Rung(0, 2, 100.0),
        Rung(1, 2, 300.0),
        Rung(2, 2, 900.0),
    ]
    assert ladder(rates, [1]) == [Rung(1, 0, 150.0), Rung(1, 1, 250.0), Rung(1, 2, 300.0)]
    # a layer measured cheaper than the one below counts at the lower one's rate
    assert ladder([(100.0,), (60.0,)], [0, 1]) == [Rung(0, 0, 100.0), Rung(1, 0, 100.0)]


def test_the_size_shown_picks_the_smallest_layer_that_covers_it() -> None:
    sizes = [(240, 135), (480, 270), (960, 540)]
    assert spatial_cap(sizes, None) == 2
    assert spatial_cap(sizes, (200, 120)) == 0
    assert spatial_cap(sizes, (270, 150)) == 0  # 240 covers 85 % of 270
    assert spatial_cap(sizes, (300, 169)) == 1
    assert spatial_cap(sizes, (1920, 1080)) == 2
    assert spatial_cap([None, None, (960, 540)], (300, 169)) == 1  # halves, as published
    assert spatial_cap([None, None, None], (300, 169)) == 2  # nothing known: everything


def test_a_vp8_keyframe_tells_its_picture_size() -> None:
    payload = b"\x10" + b"\x50\x02\x00" + b"\x9d\x01\x2a" + (960).to_bytes(2, "little")
    payload += (540).to_bytes(2, "little") + b"rest"
    descriptor = vp8.parse(payload)
    assert descriptor is not None
    assert vp8.keyframe_size(payload, descriptor) == (960, 540)
    assert vp8.keyframe_size(b"\x10\x51\x02\x00rest-of-a-delta", descriptor) is None


class Layer:
    """One simulcast encoding of a publisher: its own SSRC, sequence, timestamps, PictureIDs."""

    def __init__(self, ssrc: int, rid: str, seq: int, ts: int, picture_id: int) -> None:
        self.ssrc = ssrc
        self.rid = rid
        self.stream = Stream(seq=seq, picture_id=picture_id, tl0=picture_id & 0xFF)
        self.ts = ts

    def frame(self, keyframe: bool = False) -> list[RtpView]:
        views = []
        self.ts = (self.ts + 3000) & 0xFFFFFFFF
        for seq, payload, _ in self.stream.next_frame(keyframe=keyframe):
            rtp = RtpPacket(payload_type=96, sequence_number=seq, timestamp=self.ts)
            rtp.ssrc = self.ssrc
            rtp.payload = payload
            views.append(RtpView(rtp.serialize()))
        return views


def simulcast_track() -> tuple[Producer, Consumer, ListSink, list[bytes], list[Layer]]:
    feedback: list[bytes] = []
    params = ProducerParams(
        "video", "camera", "0", "video/VP8", 90000, 96, rids=["q", "h", "f"], rid_id=10
    )
    producer = Producer(
        TrackId("t_1"), PeerId("p_1"), params, feedback.append, 9, Counters(),
        asyncio.get_running_loop(),
    )  # fmt: skip
    layers = [
        Layer(1000, "q", 100, 1_000_000, 10),
        Layer(2000, "h", 40_000, 2_000_000_000, 20_000),
        Layer(3000, "f", 65_000, 4_000_000_000, 30_000),
    ]
    for layer in layers:
        assert producer.learn_ssrc(layer.ssrc, layer.rid, rtx=False) is not None
    sink = ListSink()
    consumer = Consumer(ConsumerId("c_1"), PeerId("p_2"), producer, sink, Counters())
    consumer.configure(ConsumerParams(ssrc=2222, payload_type=100))
    return producer, consumer, sink, feedback, layers


def send(producer: Producer, views: list[RtpView]) -> None:
    for view in views:
        producer.on_rtp(view, now())


async def test_a_consumer_takes_the_largest_layer_and_only_its_packets() -> None:
    producer, consumer, sink, _, layers = simulcast_track()
    assert (consumer.spatial, consumer.spatial_target) == (2, 2)
    for layer in layers:
        send(producer, layer.frame(keyframe=True))
    assert {p.ssrc for p in sink.rtp} == {2222}
    assert len(sink.rtp) == 2  # the two packets of f's keyframe
    first = vp8.parse(sink.rtp[0].payload)
    assert first is not None and first.picture_id == 30_000


async def test_switching_down_waits_for_the_smaller_layer_s_keyframe_and_runs_on() -> None:
    producer, consumer, sink, feedback, (q, h, f) = simulcast_track()
    send(producer, f.frame(keyframe=True) + f.frame() + f.frame())
    feedback.clear()
    consumer.set_spatial(0)
    assert (consumer.spatial, consumer.spatial_target) == (2, 0)
    await asyncio.sleep(0)
    assert [rtcp.parse(p)[0].media_ssrc for p in feedback] == [1000]  # a PLI for q only
    send(producer, q.frame() + f.frame() + h.frame(keyframe=True))  # no keyframe of q yet
    assert consumer.spatial == 2 and len(sink.rtp) == 8
    send(producer, q.frame(keyframe=True) + f.frame() + q.frame())
    assert (consumer.spatial, consumer.spatial_switches) == (0, 1)
    assert consumer not in producer.encodings[2].consumers
    seqs = [p.sequence_number for p in sink.rtp]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]
    descriptors = [vp8.parse(p.payload) for p in sink.rtp]
    pictures = [d.picture_id for d in descriptors if d is not None]
    assert pictures == [30_000] * 2 + [30_001] * 2 + [30_002] * 2 + [30_003] * 2 + [
        30_004
    ] * 2 + [30_005] * 2  # fmt: skip
    tl0s = [d.tl0 for d in descriptors if d is not None]
    assert tl0s[8:] == [(tl0s[7] + 1) & 0xFF] * 4  # q's keyframe, then its layer-2 frame
    timestamps = [p.timestamp for p in sink.rtp]
    assert all(
        ((b - a) & 0xFFFFFFFF) < 0x8000_0000
        for a, b in zip(timestamps, timestamps[1:], strict=False)
    )


async def test_sender_reports_line_a_switch_up_to_the_same_capture_time() -> None:
    producer, consumer, sink, _, (q, h, f) = simulcast_track()
    consumer.set_spatial(0)
    send(producer, q.frame(keyframe=True))
    base = rtcp.ntp_now(1_700_000_000.0)
    # One capture instant: q's RTP time q.ts is h's h.ts (each layer has its own offset).
    producer.on_sender_report(base, q.ts, now(), 1_700_000_000.0, ssrc=q.ssrc)
    producer.on_sender_report(base, h.ts, now(), 1_700_000_000.0, ssrc=h.ssrc)
    last_out = sink.rtp[-1].timestamp
    consumer.set_spatial(1)
    send(producer, h.frame(keyframe=True))  # 3000 ticks (one frame) after the SRs' instant
    assert sink.rtp[-1].ssrc == 2222
    assert (sink.rtp[-1].timestamp - last_out) & 0xFFFFFFFF == 3000


async def test_a_tap_takes_the_largest_layer_that_still_arrives() -> None:
    from sfu.tap import Tap

    producer, _, _, _, (q, h, f) = simulcast_track()

    class Target:
        def __init__(self) -> None:
            self.sink = ListSink()

        def open_track(self, track: object) -> ListSink:
            return self.sink

        def close_track(self, track_id: str) -> None:
            return None

    target = Target()
    tap = Tap(target, Counters())
    tap.add(producer)
    (consumer,) = tap._consumers.values()
    assert consumer.spatial == 2
    start = now()
    for view in q.frame(keyframe=True) + h.frame(keyframe=True) + f.frame(keyframe=True):
        producer.on_rtp(view, start)
    tap.follow_layers(start)
    assert consumer.spatial_target == 2  # f arrives: kept
    tap.follow_layers(start + 2.0)  # nothing for 2 s: the first (smallest) is all there is
    assert consumer.spatial_target == 0
    for view in h.frame():
        producer.on_rtp(view, start + 2.0)
    tap.follow_layers(start + 2.0)  # f stopped, h arrives
    assert consumer.spatial_target == 1


async def test_a_paused_video_resumed_on_another_layer_starts_at_its_keyframe_gapless() -> None:
    from sfu.layers import PAUSED

    producer, consumer, sink, _, (q, h, f) = simulcast_track()
    send(producer, f.frame(keyframe=True) + f.frame())
    consumer.set_layer(PAUSED)  # the link fits nothing
    send(producer, f.frame() + q.frame())
    consumer.set_spatial(0)  # paused: the small layer is taken at once, from its keyframe
    assert (consumer.spatial, consumer.spatial_target) == (0, 0)
    consumer.set_layer(2)
    send(producer, q.frame() + q.frame(keyframe=True) + q.frame())
    assert len(sink.rtp) == 4 + 4  # f's two frames, then q's keyframe and the frame after
    seqs = [p.sequence_number for p in sink.rtp]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(8)]
    pictures = [d.picture_id for p in sink.rtp if (d := vp8.parse(p.payload)) is not None]
    assert pictures == [30_000, 30_000, 30_001, 30_001, 30_002, 30_002, 30_003, 30_003]


async def test_more_layers_watched_are_told_at_once_fewer_after_a_while() -> None:
    from sfu.producer import UNWATCHED_AFTER

    producer, _, _, _, _ = simulcast_track()
    assert producer.watch(2, 0.0) == 2  # first: what is watched
    assert producer.watch(2, 1.0) is None
    assert producer.watch(0, 2.0) is None  # fewer: not yet (a page turned back comes soon)
    assert producer.watch(1, 2.0 + UNWATCHED_AFTER - 0.1) is None
    assert producer.watch(1, 2.0 + UNWATCHED_AFTER) == 1
    assert producer.watch(2, 2.0 + UNWATCHED_AFTER + 0.5) == 2  # more: at once
