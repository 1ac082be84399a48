"""Which complete VP8 frames had every frame they reference: what a decoder could really show.

From the frames' heads alone (`bench.frame_assembly.FrameHead`), with the references of
Chrome's L1T3 as the bench sends it (`bench.temporal_layers`): a base-layer frame (TID 0)
references the base-layer frame before it (TL0PICIDX − 1), a layer-1 frame and a layer-sync
layer-2 frame (Y bit) the base-layer frame of their TL0PICIDX, the other layer-2 frame that
and the layer-1 frame of its TL0PICIDX. Without TL0PICIDX every frame references the one
before it (PictureID − 1). A keyframe references nothing. A frame's references are kept if
they completed at any time and theirs were kept, back to a keyframe: a receiver that waits
as long as it takes (an upper bound on what it decodes). Frames with neither index are
counted as kept (nothing to tell). Each keyframe starts the indexes afresh, so a frame
of before a keyframe that completes after it is judged among the keyframe's followers.
"""

from __future__ import annotations

from collections.abc import Sequence

from .frame_assembly import FrameHead

_TL0_SPAN = 1 << 8
_PICTURE_ID_SPAN = 1 << 15


def references_kept(heads: Sequence[FrameHead]) -> list[bool]:
    """For each complete frame (in completion order): were its references all complete?"""
    layered = any(h.tl0 is not None for h in heads)
    span = _TL0_SPAN if layered else _PICTURE_ID_SPAN
    # Indexes unwrapped from the latest keyframe's on (each keyframe starts an epoch, so
    # that a pause longer than half the index's span cannot confuse the unwrapping).
    bases: list[tuple[int, int] | None] = []
    epoch = 0
    last: int | None = None
    for head in heads:
        raw = head.tl0 if layered else head.picture_id
        if raw is None:
            bases.append(None)
            continue
        if head.keyframe:
            epoch += 1
            last = raw
        last = raw if last is None else _unwrap(raw, last, span)
        bases.append((epoch, last))
    # Complete base-layer frames (every frame, without layers): index → is it a keyframe.
    base_frames: dict[tuple[int, int], bool] = {}
    layer_1: set[tuple[int, int]] = set()
    for head, base in zip(heads, bases, strict=True):
        if base is None:
            continue
        if head.tid == 0 or not layered:
            base_frames[base] = base_frames.get(base, False) or head.keyframe
        elif head.tid == 1:
            layer_1.add(base)
    chained: dict[tuple[int, int], bool] = {}
    for base in sorted(base_frames):
        chained[base] = base_frames[base] or chained.get(_before(base), False)
    kept: list[bool] = []
    for head, base in zip(heads, bases, strict=True):
        if base is None or head.keyframe:
            kept.append(True)
        elif head.tid == 0 or not layered:
            kept.append(chained.get(_before(base), False))
        elif head.tid == 1 or head.sync:
            kept.append(chained.get(base, False))
        else:
            kept.append(chained.get(base, False) and base in layer_1)
    return kept


def _before(base: tuple[int, int]) -> tuple[int, int]:
    return base[0], base[1] - 1


def _unwrap(raw: int, near: int, span: int) -> int:
    """The value ≡ ``raw`` (mod ``span``) closest to ``near``."""
    candidate = near - near % span + raw
    if candidate - near > span // 2:
        candidate -= span
    elif near - candidate > span // 2:
        candidate += span
    return candidate
