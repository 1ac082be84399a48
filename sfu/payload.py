"""Codec payload inspection without decoding: is this RTP payload the start of a keyframe?"""

from __future__ import annotations


def vp8_is_keyframe(payload: bytes | memoryview) -> bool:
    """RFC 7741: a keyframe starts partition 0 (S=1, PID=0) and its frame tag's P bit is 0."""
    size = len(payload)
    if size < 1:
        return False
    b0 = payload[0]
    if not (b0 & 0x10) or (b0 & 0x07):
        return False
    pos = 1
    if b0 & 0x80:  # X: extended control bits follow
        if size < 2:
            return False
        x = payload[1]
        pos = 2
        if x & 0x80:  # I: PictureID, 7 or 15 bits
            if size <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if x & 0x40:  # L: TL0PICIDX
            pos += 1
        if x & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    return size > pos and not (payload[pos] & 0x01)


_H264_IDR = 5
_H264_SPS = 7


def h264_is_keyframe(payload: bytes | memoryview) -> bool:
    """RFC 6184: an IDR or SPS NAL unit, alone, aggregated in STAP-A, or starting a FU-A."""
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (_H264_IDR, _H264_SPS):
        return True
    if nal_type == 24:  # STAP-A: 16-bit size, then a NAL unit, repeated
        pos = 1
        while pos + 2 < len(payload):
            nalu_size = (payload[pos] << 8) | payload[pos + 1]
            if (payload[pos + 2] & 0x1F) in (_H264_IDR, _H264_SPS):
                return True
            pos += 2 + nalu_size
        return False
    if nal_type == 28 and len(payload) > 1:  # FU-A: start bit and the inner NAL type
        return bool(payload[1] & 0x80) and (payload[1] & 0x1F) in (_H264_IDR, _H264_SPS)
    return False


def is_keyframe(mime_type: str, payload: bytes | memoryview) -> bool:
    mime = mime_type.lower()
    if mime == "video/vp8":
        return vp8_is_keyframe(payload)
    if mime == "video/h264":
        return h264_is_keyframe(payload)
    return False
