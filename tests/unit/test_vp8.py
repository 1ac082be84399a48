"""The VP8 payload descriptor: read, and rewritten with new PictureID and TL0PICIDX."""

from sfu import vp8


def descriptor_bytes(
    picture_id: int | None = 0x1234,
    tl0: int | None = 7,
    tid: int | None = 2,
    layer_sync: bool = False,
    start: bool = True,
    long_id: bool = True,
) -> bytes:
    out = bytearray([0x80 | (0x10 if start else 0)])
    x = (0x80 if picture_id is not None else 0) | (0x40 if tl0 is not None else 0)
    x |= 0x20 if tid is not None else 0
    out.append(x)
    if picture_id is not None:
        out += (
            bytes([0x80 | picture_id >> 8, picture_id & 0xFF]) if long_id else bytes([picture_id])
        )
    if tl0 is not None:
        out.append(tl0)
    if tid is not None:
        out.append(tid << 6 | (0x20 if layer_sync else 0))
    return bytes(out)


def test_an_l1t3_descriptor_is_read_field_by_field() -> None:
    payload = descriptor_bytes(layer_sync=True) + b"\x9d\x01\x2a"
    d = vp8.parse(payload)
    assert d is not None
    assert (d.size, d.frame_start, d.picture_id, d.long_picture_id) == (6, True, 0x1234, True)
    assert (d.tl0, d.tid, d.layer_sync) == (7, 2, True)


def test_a_minimal_descriptor_has_no_layers() -> None:
    d = vp8.parse(b"\x10\x00")
    assert d is not None
    assert (d.size, d.frame_start, d.picture_id, d.tl0, d.tid) == (1, True, None, None, None)


def test_a_middle_packet_is_not_a_frame_start() -> None:
    d = vp8.parse(descriptor_bytes(start=False) + b"x")
    assert d is not None and not d.frame_start


def test_truncated_descriptors_are_refused() -> None:
    full = descriptor_bytes()
    for cut in range(len(full) + 1):  # no frame data after the descriptor is truncated too
        assert vp8.parse(full[:cut]) is None, cut


def test_rewrite_keeps_the_format_and_changes_only_the_two_fields() -> None:
    payload = descriptor_bytes(picture_id=0x7FFF, tl0=255) + b"frame"
    d = vp8.parse(payload)
    assert d is not None
    new = vp8.rewrite(payload, d, 0x0102, 3)
    assert new == descriptor_bytes(picture_id=0x0102, tl0=3)
    short = descriptor_bytes(picture_id=100, long_id=False) + b"frame"
    ds = vp8.parse(short)
    assert ds is not None and not ds.long_picture_id
    assert vp8.rewrite(short, ds, 130, None) == descriptor_bytes(picture_id=2, long_id=False)
