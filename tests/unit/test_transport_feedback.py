"""Transport-wide cc on the wire: the header extension, feedback packets, the sent record."""

import random
import struct

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtcpPacket, RtpPacket

from sfu import rtcp
from sfu.rtp import TRANSPORT_SEQ_AT, HeaderTemplate, RtpView
from sfu.transport_feedback import (
    TRANSPORT_CC_URI,
    FeedbackError,
    PacketResult,
    SentPackets,
    build,
    carries_transport_seq,
    is_feedback,
    parse,
    split_compound,
    stamp_transport_seq,
)

MID, AST, TCC = 1, 3, 5


def ticks(*values: int) -> tuple[float, ...]:
    return tuple(v / 4000 for v in values)


# --- the header extension ---------------------------------------------------------------


def extension_map() -> HeaderExtensionsMap:
    params = RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=MID, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
            RTCRtpHeaderExtensionParameters(
                id=AST, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
            ),
            RTCRtpHeaderExtensionParameters(id=TCC, uri=TRANSPORT_CC_URI),
        ]
    )
    ext = HeaderExtensionsMap()
    ext.configure(params)
    return ext


def test_template_puts_the_transport_seq_first_and_aiortc_reads_it_after_stamping() -> None:
    template = HeaderTemplate(0xCAFE, "4", MID, 0, AST, transport_seq_id=TCC)
    assert template.transport_seq_at == TRANSPORT_SEQ_AT == 17
    header = template.header(1, 96, 65535, 90_000, 0xCAFE, None, 0x123456)
    assert header[16] == (TCC << 4) | 1 and header[17:19] == b"\x00\x00"
    assert carries_transport_seq(header, TCC)
    assert not carries_transport_seq(header, TCC + 1)
    stamp_transport_seq(header, 0xBEEF)
    packet = RtpPacket.parse(bytes(header) + b"payload", extension_map())
    assert packet.extensions.transport_sequence_number == 0xBEEF
    assert packet.extensions.mid == "4"
    assert packet.extensions.abs_send_time == 0x123456
    assert (packet.sequence_number, packet.ssrc, packet.payload) == (65535, 0xCAFE, b"payload")
    assert RtpView(bytes(header)).extension(TCC) == b"\xbe\xef"


def test_template_without_transport_seq_is_unchanged() -> None:
    plain = HeaderTemplate(7, "4", MID, 0, AST)
    assert plain.transport_seq_at == -1
    header = plain.header(0, 96, 1, 2, 7, None, 5)
    assert len(header) == 24  # 12 + 4 + MID (2) + abs-send-time (4), padded to 8
    assert not carries_transport_seq(header, TCC)
    assert not carries_transport_seq(bytearray(12), TCC)


# --- parsing a packet made by hand ------------------------------------------------------


def hand_made() -> bytes:
    """34 packets from 65534 (the 16-bit wrap), reference time -1, feedback count 7.

    Chunks: a 1-bit vector (packets 0-13: 1101 1111 1111 10), a 2-bit vector (14-20:
    large, small, lost, large, small, small, small), a run of 10 lost (21-30) and a run
    of 3 small (31-33). Deltas: 4, 0, 8 × 10, -16 (large), 255, 256 (large), 1, 2, 3, 10,
    20, 30; 51 bytes, padded to 52 with the P bit.
    """
    chunks = bytes.fromhex("b7fe e495 000a 2003")
    deltas = bytes([4, 0]) + bytes([8] * 10) + b"\xff\xf0" + bytes([255]) + b"\x01\x00"
    deltas += bytes([1, 2, 3, 10, 20, 30])
    body = struct.pack("!IIHHI", 0x11111111, 0x22222222, 65534, 34, (0xFFFFFF << 8) | 7)
    body += chunks + deltas
    assert len(body) + 4 == 51
    body += b"\x01"
    return struct.pack("!BBH", 0xA0 | 15, 205, 12) + body


def test_parse_reads_every_chunk_kind_and_delta_size() -> None:
    feedback = parse(hand_made())
    assert (feedback.sender_ssrc, feedback.media_ssrc) == (0x11111111, 0x22222222)
    assert (feedback.base_seq, feedback.reference_time, feedback.count) == (65534, -1, 7)
    t = -256  # reference time -1: -64 ms
    expected: list[float | None] = []
    for delta in [4, 0, None, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, None]:
        if delta is None:
            expected.append(None)
        else:
            t += delta
            expected.append(t / 4000)
    for delta in [-16, 255, None, 256, 1, 2, 3]:
        if delta is None:
            expected.append(None)
        else:
            t += delta
            expected.append(t / 4000)
    expected += [None] * 10
    for delta in [10, 20, 30]:
        t += delta
        expected.append(t / 4000)
    assert feedback.arrivals == tuple(expected)
    assert feedback.arrivals[0] == -0.063 and feedback.arrivals[14] == ticks(-188)[0]
    seqs = [seq for seq, _ in feedback.packets()]
    assert seqs[:3] == [65534, 65535, 0] and seqs[-1] == 31


def test_symbols_past_the_status_count_are_ignored() -> None:
    # One 1-bit vector of 14 "received" symbols, but the count says 2: two deltas only.
    body = struct.pack("!IIHHI", 1, 2, 100, 2, 0) + bytes.fromhex("bfff") + bytes([1, 2])
    packet = struct.pack("!BBH", 0x8F, 205, 5) + body
    assert parse(packet).arrivals == ticks(1, 3)


def test_zero_padding_without_the_p_bit_is_accepted() -> None:
    body = struct.pack("!IIHHI", 1, 2, 100, 1, 0) + bytes.fromhex("2001") + bytes([5, 0])
    assert parse(struct.pack("!BBH", 0x8F, 205, 5) + body).arrivals == ticks(5)


# --- build and parse round trips --------------------------------------------------------


def test_round_trip_with_both_chunk_kinds_and_large_and_negative_deltas() -> None:
    arrivals = [
        *ticks(1000, 1001, 1001),  # small deltas (the first from reference time 3: 768)
        None,
        *ticks(995),  # negative: large
        *ticks(995 + 300),  # over 255: large
        *([None] * 20),  # a run of losses
        *ticks(1300),  # mixed, small deltas only
        None,
        *ticks(1301, 1302),
        None,
        *ticks(1310),
        *ticks(*range(1320, 1320 + 30 * 8, 8)),  # a run of small deltas
        *ticks(1320 + 29 * 8 + 32767),  # the largest delta there is
    ]
    packet = build(0xAAAA, 0xBBBB, 65530, arrivals, 300)
    feedback = parse(packet)
    assert feedback.arrivals == tuple(arrivals)
    assert (feedback.base_seq, feedback.count, feedback.reference_time) == (65530, 44, 3)
    assert len(packet) % 4 == 0
    # The chunks: a 2-bit vector (large deltas among the first 7: 1110220), a run of 19
    # losses, a 1-bit vector (10110111111111), then runs: 22 small, 1 large.
    assert packet[20:30] == bytes.fromhex("d528 0013 adff 2016 4001")
    seqs = [seq for seq, _ in feedback.packets()]
    assert seqs[:7] == [65530, 65531, 65532, 65533, 65534, 65535, 0]


def test_round_trip_of_long_runs_and_single_packets() -> None:
    arrivals: list[float | None] = [None] * 10_000 + [1.0]
    feedback = parse(build(1, 2, 0, arrivals, 0))
    assert feedback.arrivals == tuple(arrivals)
    assert parse(build(1, 2, 9, [None], 0)).arrivals == (None,)
    assert parse(build(1, 2, 9, [2.5], 0)).arrivals == (2.5,)


def test_negative_arrivals_and_reference_times_past_24_bits() -> None:
    assert parse(build(1, 2, 0, [-1.0, -0.99], 0)).arrivals == (-1.0, -0.99)
    wrapped = parse(build(1, 2, 0, [(1 << 23) * 0.064 + 0.01], 0))
    assert wrapped.reference_time == -(1 << 23)
    assert wrapped.arrivals == (-(1 << 23) * 0.064 + 0.01,)


def test_count_wraps_at_8_bits() -> None:
    assert parse(build(1, 2, 0, [1.0], 255)).count == 255
    assert parse(build(1, 2, 0, [1.0], 256 + 5)).count == 5


def test_build_refuses_what_cannot_be_said() -> None:
    with pytest.raises(ValueError):
        build(1, 2, 0, [], 0)
    with pytest.raises(ValueError):
        build(1, 2, 0, [1.0, 1.0 + 8.2], 0)
    with pytest.raises(ValueError):
        build(1, 2, 0, [1.0, 1.0 - 8.2], 0)


# --- malformed input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        hand_made()[:19],  # shorter than the fixed part
        bytes([0x4F]) + hand_made()[1:],  # version 1
        bytes([0xAE]) + hand_made()[1:],  # FMT 14
        hand_made()[:1] + bytes([206]) + hand_made()[2:],  # PSFB
        hand_made()[:-4],  # the length says more than there is
        hand_made()[:-1] + b"\x00",  # P bit, padding length 0
        hand_made()[:-1] + b"\x40",  # P bit, padding longer than the packet
        # count 0
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 0, 0)
        + bytes.fromhex("2001")
        + b"\x05\x00",
        # count 40, chunks for 14 only
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 40, 0)
        + bytes.fromhex("8000")
        + b"\x00\x00",
        # three received, two deltas
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 3, 0)
        + bytes.fromhex("2003")
        + b"\x05\x06",
        # a small delta, then one byte of a large one
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 2, 0)
        + bytes.fromhex("d800")
        + b"\x05\x00",
        # reserved symbol in a run, in a 2-bit vector
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 1, 0)
        + bytes.fromhex("6001")
        + b"\x05\x00",
        struct.pack("!BBH", 0x8F, 205, 5)
        + struct.pack("!IIHHI", 1, 2, 0, 1, 0)
        + bytes.fromhex("f000")
        + b"\x05\x00",
    ],
)
def test_malformed_feedback_raises_feedback_error(packet: bytes) -> None:
    with pytest.raises(FeedbackError):
        parse(packet)


def test_every_truncation_and_random_damage_raises_feedback_error_or_parses() -> None:
    good = hand_made()
    for end in range(len(good)):
        with pytest.raises(FeedbackError):
            parse(good[:end])
    rng = random.Random(7)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(3000):
        damaged = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            parse(bytes(damaged))
            outcomes["parsed"] += 1
        except FeedbackError:
            outcomes["refused"] += 1
    assert outcomes["parsed"] > 0 and outcomes["refused"] > 0
    for _ in range(2000):
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 80)))
        try:
            parse(bytes([0x8F, 205]) + noise)
        except FeedbackError:
            pass


# --- inside compound RTCP ---------------------------------------------------------------


def test_split_compound_rescues_the_rest_from_aiortcs_parser() -> None:
    receiver_report = rtcp.receiver_report(1, [])
    nack = rtcp.nack(1, 2, [10, 12])
    feedback = build(1, 2, 100, [1.0, None, 1.001, 1.002], 9)
    assert feedback[0] & 0x20  # padded: aiortc cannot read it…
    compound = receiver_report + feedback + nack
    with pytest.raises(ValueError):
        RtcpPacket.parse(compound)  # …and loses the NACK with it
    found, rest = split_compound(compound)
    assert found == [feedback] and is_feedback(found[0])
    assert rest == receiver_report + nack
    assert [type(p).__name__ for p in rtcp.parse(rest)] == ["RtcpRrPacket", "RtcpRtpfbPacket"]
    assert split_compound(receiver_report) == ([], receiver_report)


def test_split_compound_refuses_broken_framing() -> None:
    with pytest.raises(FeedbackError):
        split_compound(rtcp.receiver_report(1, []) + b"\x80\xc9")
    with pytest.raises(FeedbackError):
        split_compound(build(1, 2, 0, [1.0], 0)[:-4])


# --- the record of what was sent --------------------------------------------------------


def test_sent_packets_pair_feedback_with_send_times_and_sizes() -> None:
    sent = SentPackets()
    assert [sent.add(1000 + i, 10.0 + i * 0.01) for i in range(5)] == [0, 1, 2, 3, 4]
    results = sent.on_feedback(parse(build(1, 2, 1, [5.0, None, 5.02], 0)))
    assert results == [
        PacketResult(1, 10.01, 5.0, 1001),
        PacketResult(2, 10.02, None, 1002),
        PacketResult(3, 10.03, 5.02, 1003),
    ]
    # Reported again: received ones never again; the lost one once more only as received.
    again = sent.on_feedback(parse(build(1, 2, 1, [5.0, 5.03, 5.02, 5.04], 1)))
    assert again == [PacketResult(2, 10.02, 5.03, 1002), PacketResult(4, 10.04, 5.04, 1004)]
    assert sent.on_feedback(parse(build(1, 2, 2, [None], 2))) == []
    # Packets never sent are left out.
    assert sent.on_feedback(parse(build(1, 2, 4, [5.1, 5.2], 3))) == []
    assert sent.unknown == 1


def test_sent_packets_unwrap_the_16_bit_sequence() -> None:
    sent = SentPackets(capacity=1024)
    for i in range(70_000):
        seq = sent.add(100, i * 0.001)
    assert seq == (70_000 - 1) & 0xFFFF == 4463
    results = sent.on_feedback(parse(build(1, 2, 4460, [1.0, 1.001, 1.002, 1.003], 0)))
    assert [r.seq for r in results] == [69_996, 69_997, 69_998, 69_999]
    assert results[0].send_time == 69.996
    # Across the wrap: 65534, 65535, 0, 1 of the second cycle.
    sent = SentPackets()
    for i in range(65_538):
        sent.add(100, i * 0.001)
    results = sent.on_feedback(parse(build(1, 2, 65534, [1.0, 1.001, 1.002, 1.003], 0)))
    assert [r.seq for r in results] == [65_534, 65_535, 65_536, 65_537]


def test_sent_packets_forget_beyond_their_capacity() -> None:
    sent = SentPackets(capacity=16)
    for i in range(40):
        sent.add(100, i * 0.001)
    results = sent.on_feedback(parse(build(1, 2, 20, [1.0 + i / 1000 for i in range(20)], 0)))
    assert [r.seq for r in results] == list(range(24, 40))
    assert sent.unknown == 4
    with pytest.raises(ValueError):
        SentPackets(capacity=0x8001)


def test_feedback_count_wraps_duplicates_are_dropped_and_gaps_counted() -> None:
    sent = SentPackets()
    for i in range(10):
        sent.add(100, i * 0.01)
    assert len(sent.on_feedback(parse(build(1, 2, 0, [1.0], 254)))) == 1
    assert sent.on_feedback(parse(build(1, 2, 1, [1.01], 254))) == []  # a duplicate
    assert len(sent.on_feedback(parse(build(1, 2, 1, [1.01], 255)))) == 1
    assert len(sent.on_feedback(parse(build(1, 2, 2, [1.02], 0)))) == 1  # 255 → 0: no gap
    assert sent.feedback_missing == 0
    assert len(sent.on_feedback(parse(build(1, 2, 3, [1.03], 3)))) == 1  # 1 and 2 missing
    assert sent.feedback_missing == 2
    assert len(sent.on_feedback(parse(build(1, 2, 4, [1.04], 2)))) == 1  # late, still read
    assert sent.feedback_missing == 2


def test_arrival_times_continue_across_the_reference_time_wrap() -> None:
    sent = SentPackets()
    for i in range(4):
        sent.add(100, i * 0.01)
    top = ((1 << 23) - 1) * 0.064  # the last reference time before the sign flips
    first = sent.on_feedback(parse(build(1, 2, 0, [top + 0.010, top + 0.020], 0)))
    second = sent.on_feedback(parse(build(1, 2, 2, [top + 0.070, top + 0.080], 1)))
    arrivals = [r.arrival for r in first + second]
    assert arrivals[2] is not None and arrivals[1] is not None
    assert arrivals[2] - arrivals[1] == pytest.approx(0.050)
    assert arrivals[3] == pytest.approx(top + 0.080)
