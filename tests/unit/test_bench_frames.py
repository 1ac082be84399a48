"""Complete frames, their references and freezes, from RTP headers: what a subscriber could
have shown."""

import pytest

from bench.frame_assembly import MAX_PENDING, FrameAssembly, FrameHead
from bench.references import references_kept
from bench.rtp_stats import RtpCounter
from bench.smoothness import smoothness
from bench.temporal_layers import LAYER_SYNC, PATTERN

from .test_bench_rtp_stats import INTERFRAME_TAG, MIDDLE, RTX_SSRC, START, VIDEO, VIDEO_SSRC, rtp

# RTP timestamps of 30 fps video.
TICK = 3000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counter(clock: Clock) -> RtpCounter:
    c = RtpCounter(clock=clock)
    c.configure([VIDEO], mid_extension_id=None)
    return c


def frame_packets(first_seq: int, ts: int, count: int = 3) -> list[bytes]:
    """A frame of ``count`` packets: start (S bit), middles, marker."""
    packets = [rtp(first_seq & 0xFFFF, START + INTERFRAME_TAG, ts=ts, marker=count == 1)]
    for k in range(1, count):
        seq = (first_seq + k) & 0xFFFF
        packets.append(rtp(seq, MIDDLE + b"\x00" * 4, ts=ts, marker=k == count - 1))
    return packets


def rtx_of(seq: int, original: bytes, rtx_seq: int) -> bytes:
    """``original`` (a media packet) retransmitted by RTX (RFC 4588)."""
    header = 12
    ts = int.from_bytes(original[4:8], "big")
    marker = bool(original[1] & 0x80)
    payload = seq.to_bytes(2, "big") + original[header:]
    return rtp(rtx_seq, payload, ssrc=RTX_SSRC, pt=97, ts=ts, marker=marker)


def test_a_frame_is_complete_once_first_to_marker_arrived_in_any_order() -> None:
    clock = Clock()
    c = counter(clock)
    f1, f2, f3, f4, f5 = (frame_packets(100 + 3 * k, 9000 + TICK * k) for k in range(5))

    def send(packet: bytes, at: float) -> None:
        clock.now = at
        c.add(packet)

    for packet in f1:  # whole: complete at its marker
        send(packet, 1.0)
    send(f2[0], 2.0)  # its middle packet is lost: never complete
    send(f2[2], 2.0)
    send(f3[1], 3.0)  # its first packet is lost: never complete
    send(f3[2], 3.0)
    send(f4[2], 4.0)  # reordered: the marker first, the start last
    send(f4[1], 4.1)
    send(f4[0], 4.2)
    send(f4[0], 4.3)  # a duplicate counts nothing more
    send(f5[0], 5.0)  # its middle comes back by RTX later
    send(f5[2], 5.0)
    send(rtx_of(113, f5[1], 7), 5.5)
    send(rtx_of(113, f5[1], 8), 5.6)  # retransmitted twice: one frame still

    stream = c.streams[VIDEO_SSRC]
    assembly = stream.assembly
    assert assembly is not None
    assert (assembly.complete, assembly.completed_at) == (3, [1.0, 4.2, 5.5])
    assert stream.frames == 5  # marker bits (the old count) include the broken frames
    assert stream.summary()["complete_frames"] == 3


def test_frames_complete_across_the_sequence_wrap_and_single_packet_frames() -> None:
    clock = Clock()
    c = counter(clock)
    for packet in frame_packets(65534, 9000, count=4):  # 65534, 65535, 0, 1
        c.add(packet)
    c.add(frame_packets(2, 9000 + TICK, count=1)[0])
    assembly = c.streams[VIDEO_SSRC].assembly
    assert assembly is not None and assembly.complete == 2


def test_frames_never_completed_are_given_up_after_a_while() -> None:
    assembly = FrameAssembly()
    for k in range(MAX_PENDING + 10):  # every frame's marker packet lost
        assert not assembly.add(10 * k, k, marker=False, head=FrameHead(), now=float(k))
    assert (assembly.complete, assembly.given_up) == (0, 10)
    # A frame completed long ago does not start again from a late duplicate.
    assert assembly.add(5000, 777, marker=True, head=FrameHead(), now=1.0)
    assert not assembly.add(5000, 777, marker=True, head=FrameHead(), now=2.0)
    assert assembly.complete == 1


def test_thirty_frames_a_second_with_an_outage_make_one_freeze() -> None:
    """3 s of 30 fps through the counter; frames 40-54 (0.5 s) lose their middle packet."""
    clock = Clock()
    c = counter(clock)
    for k in range(90):
        clock.now = k / 30
        for index, packet in enumerate(frame_packets(1000 + 3 * k, 9000 + TICK * k)):
            if 40 <= k < 55 and index == 1:
                continue
            c.add(packet)
    assembly = c.streams[VIDEO_SSRC].assembly
    assert assembly is not None
    played = smoothness(assembly.completed_at, start=1.0, end=3.0)
    # Frames 30-89 are inside the window; 15 of them are broken.
    assert played.frames == 45
    assert played.fps == pytest.approx(22.5)
    # One interval of 16 frame times (frame 39 to 55): 0.533 s ≥ max(0.1, 0.183).
    assert played.freezes == 1
    assert played.frozen_s == pytest.approx(16 / 30)
    assert played.longest_gap_s == pytest.approx(16 / 30)


def test_freezes_follow_the_mean_interval() -> None:
    # 7.5 fps: a 0.35 s interval is no freeze (threshold max(0.4, 0.283)), 0.45 s is.
    times = [k * 0.125 for k in range(10)]  # 0 .. 1.125
    times += [1.125 + 0.35, 1.125 + 0.35 + 0.45]
    played = smoothness(times, start=0.0, end=2.0)
    assert (played.frames, played.freezes) == (12, 1)
    assert played.frozen_s == pytest.approx(0.45)
    # Before 5 intervals are known, nothing is called a freeze.
    assert smoothness([0.0, 0.1, 0.2, 1.5], start=0.0, end=2.0).freezes == 0


def test_frames_before_the_window_give_the_mean_but_are_not_counted() -> None:
    times = [k / 30 for k in range(30)] + [1.5]  # a 0.53 s gap ending inside the window
    played = smoothness(times, start=1.0, end=2.0)
    assert (played.frames, played.freezes) == (1, 1)
    assert played.fps == 1.0
    assert played.frozen_s == pytest.approx(0.5)  # only its part inside the window
    assert played.longest_gap_s == pytest.approx(0.5)  # from 1.5 to the window's end


def test_a_stream_without_frames_shows_the_whole_window_as_its_gap() -> None:
    played = smoothness([], start=10.0, end=14.0)
    assert (played.frames, played.fps, played.freezes, played.longest_gap_s) == (0, 0.0, 0, 4.0)


# References: what a decoder could show of the complete frames.


def l1t3(count: int, *, first_tl0: int = 0, lost: tuple[int, ...] = ()) -> list[FrameHead]:
    """``count`` frames of the bench's L1T3 pattern (layers 0 2 1 2), frame 0 a keyframe;
    the frames at the ``lost`` positions never completed."""
    heads = []
    tl0 = first_tl0 - 1
    for k in range(count):
        tid = PATTERN[k % 4]
        if tid == 0:
            tl0 = (tl0 + 1) % 256
        if k not in lost:
            heads.append(FrameHead(k == 0, k, tl0, tid, LAYER_SYNC[k % 4]))
    return heads


def test_with_every_frame_complete_every_reference_is_kept() -> None:
    assert references_kept(l1t3(12, first_tl0=254)) == [True] * 12  # TL0PICIDX wraps


def test_a_lost_base_frame_breaks_everything_after_it_until_a_keyframe() -> None:
    heads = l1t3(12, lost=(4,))  # the second base frame (TL0PICIDX 1)
    # 0 key, 1-3 ok; 5-7 belong with the lost base frame, 8-11 with the next, which
    # references it.
    assert references_kept(heads) == [True] * 4 + [False] * 7
    restart = FrameHead(True, 12, 3, 0, False)
    after = [restart, FrameHead(False, 13, 3, 2, True)]
    assert references_kept([*heads, *after])[-2:] == [True, True]


def test_a_lost_upper_frame_breaks_only_what_references_it() -> None:
    # Frame 2 (layer 1) lost: frame 3 (layer 2, not a sync frame) references it.
    assert references_kept(l1t3(8, lost=(2,))) == [True, True, False, True, True, True, True]
    # Frame 1 or 3 (layer 2) lost: nothing references it.
    assert all(references_kept(l1t3(8, lost=(1, 3))))


def test_without_layers_each_frame_references_the_one_before() -> None:
    heads = [FrameHead(k == 0, (32766 + k) % 32768) for k in range(6)]  # PictureID wraps
    assert references_kept(heads) == [True] * 6
    assert references_kept(heads[:2] + heads[3:]) == [True, True, False, False, False]
    # Nothing before the first keyframe can be shown; frames without indexes are kept.
    assert references_kept(heads[1:]) == [False] * 5
    assert references_kept([FrameHead(), FrameHead()]) == [True, True]


def test_a_base_frame_completed_late_by_a_retransmission_still_counts() -> None:
    heads = l1t3(8)
    late = [*heads[:4], *heads[5:], heads[4]]  # frame 4 completed last
    assert references_kept(late) == [True] * 8


def test_the_head_is_read_from_the_frame_s_first_packet() -> None:
    clock = Clock()
    c = counter(clock)
    # X=1 S=1 PID 0; I, L, T present; PictureID 0x0123; TL0PICIDX 5; TID 2 with Y.
    layered_start = bytes([0x90, 0xE0, 0x81, 0x23, 0x05, 0xA0])
    c.add(rtp(1, layered_start + INTERFRAME_TAG, ts=9000))
    c.add(rtp(2, MIDDLE + b"\x00", ts=9000, marker=True))
    assembly = c.streams[VIDEO_SSRC].assembly
    assert assembly is not None
    assert assembly.frames[0].head == FrameHead(
        keyframe=False, picture_id=0x0123, tl0=5, tid=2, sync=True
    )
    assert c.streams[VIDEO_SSRC].layer_frames == [0, 0, 1]
