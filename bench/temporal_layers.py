"""Pre-encoded VP8 with three temporal layers, sent the way Chrome sends `L1T3`.

libvpx encodes the clip with FFmpeg's temporal layering mode 3 (layers 0 2 1 2, every four
frames) in error-resilient mode, so a frame never depends on a frame of a higher layer nor
on the entropy state one left behind: dropping layer 2, or 1 and 2, leaves a stream that
decodes exactly as before at those frames (checked in tests/unit/test_bench_media.py).
aiortc's packetizer writes only a PictureID; `LayeredVp8Packer` adds TL0PICIDX and TID with
the layer-sync bit, as RFC 7741 and Chrome do, so an SFU can tell the layers apart.
"""

from __future__ import annotations

import random

from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import PACKET_MAX, VpxPayloadDescriptor
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase
from aiortc.rtcrtpsender import RTCRtpSender
from av.packet import Packet

PATTERN = (0, 2, 1, 2)
"""Temporal layer of frame i: PATTERN[i % 4] (keyframes fall on multiples of 4)."""
LAYER_SYNC = (False, True, True, False)
"""Frames 1 and 2 of the pattern reference only the base frame before them (RFC 7741 "Y")."""


def ffmpeg_options(bitrate: int) -> dict[str, str]:
    """libvpx options for L1T3 at `bitrate` (layer targets: half, three quarters, all)."""
    kbps = bitrate // 1000
    targets = f"{kbps // 2},{kbps * 3 // 4},{kbps}"
    return {
        "error-resilient": "default",
        "ts-parameters": (
            f"ts_number_layers=3:ts_target_bitrate={targets}:ts_rate_decimator=4,2,1:"
            "ts_periodicity=4:ts_layer_id=0,2,1,2:ts_layering_mode=3"
        ),
    }


class LayeredVp8Packer(Encoder):
    """Packetizes pre-encoded VP8 whose packets carry their pattern position in `opaque`."""

    def __init__(self) -> None:
        self.picture_id = random.randint(0, (1 << 15) - 1)
        self.tl0 = random.randint(0, 255)

    def encode(self, frame: object, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise NotImplementedError("the bench sends pre-encoded frames only")

    def pack(self, packet: Packet) -> tuple[list[bytes], int]:
        position = packet.opaque if isinstance(packet.opaque, int) else 0
        tid = PATTERN[position % 4]
        if tid == 0:
            self.tl0 = (self.tl0 + 1) & 0xFF
        descriptor = VpxPayloadDescriptor(
            partition_start=1,
            partition_id=0,
            picture_id=self.picture_id,
            tl0picidx=self.tl0,
            tid=(tid, int(LAYER_SYNC[position % 4])),
        )
        data = bytes(packet)
        payloads = []
        pos = 0
        while pos < len(data):
            head = bytes(descriptor)
            size = min(len(data) - pos, PACKET_MAX - len(head))
            payloads.append(head + data[pos : pos + size])
            descriptor.partition_start = 0
            pos += size
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        assert packet.pts is not None and packet.time_base is not None
        return payloads, convert_timebase(packet.pts, packet.time_base, VIDEO_TIME_BASE)


def send_layered_vp8(sender: RTCRtpSender) -> None:
    """Make `sender` packetize with `LayeredVp8Packer` (aiortc only builds its own encoder
    when none is set)."""
    setattr(sender, "_RTCRtpSender__encoder", LayeredVp8Packer())  # noqa: B010
