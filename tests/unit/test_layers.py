"""Temporal layer selection: what a consumer forwards, and that it stays gapless."""

from __future__ import annotations

from dataclasses import dataclass

from sfu import vp8
from sfu.layers import PAUSED, LayerFilter, Skips
from tests.unit.test_vp8 import descriptor_bytes

PATTERN = [0, 2, 1, 2]


@dataclass
class Sent:
    seq: int
    picture_id: int
    tl0: int
    tid: int


class Stream:
    """An L1T3 publisher: frames of two packets, layers 0 2 1 2, a keyframe when asked."""

    def __init__(self, seq: int = 65530, picture_id: int = 32760, tl0: int = 254) -> None:
        self.seq = seq
        self.picture_id = picture_id
        self.tl0 = tl0
        self.frame = 0

    def next_frame(self, keyframe: bool = False) -> list[tuple[int, bytes, bool]]:
        tid = 0 if keyframe else PATTERN[self.frame % 4]
        if keyframe:
            self.frame = 0
        if tid == 0:
            self.tl0 = (self.tl0 + 1) & 0xFF
        packets = []
        for part in range(2):
            descriptor = descriptor_bytes(self.picture_id, self.tl0, tid, start=part == 0)
            frame_tag = b"\x00" if keyframe else b"\x01"
            packets.append((self.seq, descriptor + frame_tag + b"data", keyframe and part == 0))
            self.seq = (self.seq + 1) & 0xFFFF
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        self.frame += 1
        return packets


def run(layers: LayerFilter, packets: list[tuple[int, bytes, bool]]) -> list[Sent]:
    sent = []
    for seq, payload, keyframe in packets:
        descriptor = vp8.parse(payload)
        admitted = layers.admit(seq, payload, descriptor, keyframe)
        if admitted is None:
            continue
        out_seq, prefix = admitted
        d = vp8.parse((prefix or b"") + payload[len(prefix or b"") :])
        assert d is not None and d.picture_id is not None and d.tl0 is not None
        sent.append(Sent(out_seq, d.picture_id, d.tl0, d.tid or 0))
    return sent


def frames(stream: Stream, count: int) -> list[tuple[int, bytes, bool]]:
    return [p for _ in range(count) for p in stream.next_frame()]


def assert_gapless(sent: list[Sent]) -> None:
    for a, b in zip(sent, sent[1:], strict=False):
        assert b.seq == (a.seq + 1) & 0xFFFF
        assert b.picture_id in (a.picture_id, (a.picture_id + 1) & 0x7FFF)
        assert b.tl0 in (a.tl0, (a.tl0 + 1) & 0xFF)


def test_all_layers_pass_unchanged_by_default() -> None:
    stream, layers = Stream(), LayerFilter()
    packets = stream.next_frame(keyframe=True) + frames(stream, 7)
    sent = run(layers, packets)
    assert [s.seq for s in sent] == [p[0] for p in packets]
    assert [s.tid for s in sent[::2]] == [0, 2, 1, 2, 0, 2, 1, 2]
    assert_gapless(sent)


def test_dropping_layer_2_halves_the_frames_and_leaves_no_gap_across_wraparounds() -> None:
    stream, layers = Stream(), LayerFilter()
    run(layers, stream.next_frame(keyframe=True) + frames(stream, 3))
    layers.target = 1
    sent = run(layers, frames(stream, 40))
    assert {s.tid for s in sent} == {0, 1}
    assert len(sent) == 40  # 20 frames of two packets: layers 0 and 1 only
    assert_gapless(sent)
    assert layers.frames_dropped == 20


def test_base_layer_only_and_back_up_at_a_base_frame() -> None:
    stream, layers = Stream(), LayerFilter()
    run(layers, stream.next_frame(keyframe=True))
    layers.target = 0
    low = run(layers, frames(stream, 8))  # frames 1..8: tids 2 1 2 0 2 1 2 0
    assert [s.tid for s in low[::2]] == [0, 0]
    layers.target = 2
    up = run(layers, frames(stream, 4))  # tids 2 1 2 0: only from the base frame on
    assert [s.tid for s in up[::2]] == [0]
    more = run(layers, frames(stream, 4))
    assert [s.tid for s in more[::2]] == [2, 1, 2, 0]
    assert_gapless(low + up + more)


def test_a_layer_sync_frame_allows_going_up_before_the_next_base_frame() -> None:
    layers = LayerFilter()
    layers.current = layers.target = 0
    layers.target = 2
    payload = descriptor_bytes(100, 5, 1, layer_sync=True) + b"\x01data"
    assert layers.admit(1000, payload, vp8.parse(payload), False) is not None
    assert layers.current == 2


def test_a_pause_drops_everything_and_resumes_gapless_at_a_keyframe() -> None:
    stream, layers = Stream(), LayerFilter()
    before = run(layers, stream.next_frame(keyframe=True) + frames(stream, 3))
    layers.target = PAUSED
    assert run(layers, frames(stream, 12)) == []
    layers.target = 2
    assert layers.waiting_keyframe
    assert run(layers, frames(stream, 4)) == []  # no keyframe yet
    after = run(layers, stream.next_frame(keyframe=True) + frames(stream, 3))
    assert not layers.waiting_keyframe
    assert [s.tid for s in after[::2]] == [0, 2, 1, 2]
    assert_gapless(before + after)


def test_a_stream_without_descriptor_layers_can_only_pause() -> None:
    layers = LayerFilter()
    layers.target = 0
    assert layers.admit(10, b"h264", None, False) == (10, None)
    layers.target = PAUSED
    assert layers.admit(11, b"h264", None, False) is None
    layers.target = 2
    assert layers.admit(12, b"h264", None, False) is None
    assert layers.admit(13, b"h264", None, True) == (11, None)


def test_skips_map_late_values_by_what_was_skipped_before_them() -> None:
    skips = Skips(16, 100)
    assert skips.map(10) == 10
    skips.skip(11)
    assert skips.map(12) == 11
    assert skips.map(9) == 9  # late, from before the skip: unchanged
    assert skips.map(0xFFFE) == 0xFFFE  # just before 0, across the wrap: unchanged
    assert skips.map((12 - 150) & 0xFFFF) is None  # older than the window
    assert skips.map(13) == 12
    for value in range(14, 400, 2):  # every other value skipped, far past the window
        skips.skip(value)
        assert skips.map(value + 1) == 12 + (value - 12) // 2
    assert skips.count == 1 + 193
