"""A subscribe connection numbers each packet as it leaves, and paces what it sends once its
downlink's limit is known: audio first, video spread at the pacing rate, nothing lost."""

from __future__ import annotations

import asyncio

from pylibsrtp import Policy, Session

from sfu.aiortc_glue import Connection, Egress
from sfu.rtp import TRANSPORT_OVERHEAD, HeaderTemplate
from sfu.sink import AUDIO, VIDEO
from sfu.transport_feedback import TRANSPORT_SEQ_AT

KEY = bytes(range(30))


class Wire:
    def __init__(self) -> None:
        self.rx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_INBOUND))
        self.packets: list[bytes] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(self.rx.unprotect(data))


def connection_on(wire: Wire) -> Connection:
    connection = Connection(["127.0.0.1"], lambda data, now: None, lambda packets: None)
    tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    connection._egress = Egress(tx, wire, ("127.0.0.1", 5004))
    return connection


def header(template: HeaderTemplate, seq: int, ssrc: int = 1234) -> bytearray:
    return template.header(0, 96, seq, seq * 3000, ssrc)


async def test_packets_are_numbered_in_the_order_they_leave_and_recorded() -> None:
    wire = Wire()
    connection = connection_on(wire)
    connection.transport_seq_id = 5
    numbered = HeaderTemplate(1234, "0", 1, 0, 0, transport_seq_id=5)
    plain = HeaderTemplate(1234, "0", 1, 0, 0)
    for seq in range(3):
        connection.send_rtp(header(numbered, seq), b"x" * 100)
    connection.send_rtp(header(plain, 3), b"y" * 100)  # no slot: left as it is
    numbers = [p[TRANSPORT_SEQ_AT] << 8 | p[TRANSPORT_SEQ_AT + 1] for p in wire.packets[:3]]
    assert numbers == [0, 1, 2]
    assert wire.packets[3][:20] == bytes(header(plain, 3))[:20]
    assert connection.sent.sent == 3
    await connection.close()


async def test_paced_video_leaves_at_the_rate_and_audio_goes_first() -> None:
    wire = Wire()
    connection = connection_on(wire)
    connection.set_pacing(80_000)  # 10 KB a second
    video = HeaderTemplate(1111, None, 0, 0, 0)
    audio = HeaderTemplate(2222, None, 0, 0, 0)
    for seq in range(10):  # a 10 KB keyframe at once
        connection.send_rtp(header(video, seq, 1111), bytes(988), VIDEO)
    connection.send_rtp(header(audio, 0, 2222), bytes(100), AUDIO)
    assert 1 <= len(wire.packets) <= 3  # the burst allowance, then the queue
    assert connection.pacer_delay() >= 0.0
    await asyncio.sleep(0.05)
    ssrcs = [int.from_bytes(p[8:12], "big") for p in wire.packets]
    assert 2222 in ssrcs and ssrcs.index(2222) < 4  # audio is never held behind video
    assert len(wire.packets) < 6  # 10 KB at 80 kbit/s: not in 50 ms
    await asyncio.sleep(0.6)  # a queue is drained within its half-second limit
    assert len(wire.packets) == 11
    video_seqs = [int.from_bytes(p[2:4], "big") for p in wire.packets if p[8:12] == b"\0\0\x04W"]
    assert video_seqs == list(range(10))  # in order, none lost
    await connection.close()


async def test_pacing_ends_with_what_waits_sent_at_once() -> None:
    wire = Wire()
    connection = connection_on(wire)
    connection.set_pacing(80_000)
    video = HeaderTemplate(1111, None, 0, 0, 0)
    for seq in range(10):
        connection.send_rtp(header(video, seq, 1111), bytes(988), VIDEO)
    assert len(wire.packets) < 10
    connection.set_pacing(None)  # the limit is gone: whatever waits leaves now
    assert len(wire.packets) == 10 and connection.pacer is None
    connection.send_rtp(header(video, 10, 1111), bytes(988), VIDEO)
    assert len(wire.packets) == 11
    await connection.close()


def test_the_overhead_counted_is_srtp_udp_and_ip() -> None:
    assert TRANSPORT_OVERHEAD == 10 + 8 + 20
