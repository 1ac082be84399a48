"""The bench's L1T3 video: layers that really drop out, marked as Chrome marks them."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from bench.media import EncodedFrame, VideoSpec, load_video_spec
from bench.temporal_layers import PATTERN, LayeredVp8Packer
from sfu import vp8

SPEC = VideoSpec(width=320, height=240, fps=30, seconds=4, keyframe_interval_s=2, bitrate=300_000)


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    spec = VideoSpec(**{**SPEC.__dict__, "temporal_layers": 3})
    return load_video_spec(spec, cache_dir=tmp_path_factory.mktemp("media"))


def luma(frames: list[EncodedFrame]) -> list[np.ndarray]:
    codec = av.CodecContext.create("libvpx", "r")
    return [p.to_ndarray(format="gray") for f in frames for p in codec.decode(av.Packet(f.data))]


def test_dropping_upper_layers_leaves_the_remaining_frames_exactly_as_they_were(
    layered: list[EncodedFrame],
) -> None:
    full = luma(layered)
    assert len(full) == 120
    for keep in (0, 1):
        kept = [f for f in layered if PATTERN[f.position % 4] <= keep]
        assert len(kept) == {0: 30, 1: 60}[keep]  # 7.5 and 15 of 30 frames per second
        for picture, frame in zip(luma(kept), kept, strict=True):
            assert np.array_equal(picture, full[frame.position]), (keep, frame.position)


def test_keyframes_fall_on_the_base_layer(layered: list[EncodedFrame]) -> None:
    assert [f.position for f in layered if f.keyframe] == [0, 60]


def test_the_spec_refuses_a_pattern_that_loops_out_of_step() -> None:
    with pytest.raises(ValueError):
        VideoSpec(seconds=5, keyframe_interval_s=1, fps=30, temporal_layers=3)
    with pytest.raises(ValueError):
        VideoSpec(temporal_layers=2)


def test_the_packer_marks_layer_tl0_and_sync_as_the_sfu_reads_them() -> None:
    packer = LayeredVp8Packer()
    seen = []
    for position in range(8):
        packet = av.Packet(b"\x01" + bytes(2000))  # a delta frame over two packets
        packet.pts = position * 3000
        packet.time_base = Fraction(1, 90000)
        packet.opaque = position
        payloads, timestamp = packer.pack(packet)
        assert timestamp == position * 3000
        assert len(payloads) == 2
        first, second = (vp8.parse(p) for p in payloads)
        assert first is not None and second is not None
        assert first.frame_start and not second.frame_start
        assert (first.picture_id, first.tl0, first.tid) == (
            second.picture_id,
            second.tl0,
            second.tid,
        )
        seen.append((first.tid, first.layer_sync, first.tl0, first.picture_id))
    assert [s[0] for s in seen] == [0, 2, 1, 2, 0, 2, 1, 2]
    assert [s[1] for s in seen] == [False, True, True, False] * 2
    tl0s = [s[2] for s in seen]
    assert tl0s[1:4] == [tl0s[0]] * 3 and tl0s[4] == (tl0s[0] + 1) & 0xFF
    ids = [s[3] for s in seen]
    assert all((b - a) % (1 << 15) == 1 for a, b in zip(ids, ids[1:], strict=False))


def test_the_plain_clip_keeps_its_cache_name() -> None:
    assert "l1t3" not in SPEC.file_name()
    assert VideoSpec(temporal_layers=3).file_name().endswith("_l1t3_v1.ivf")
