"""The IVF container (VP8 frames with a 12-byte header each): write and read, no PyAV needed."""

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FILE_HEADER = struct.Struct("<4sHH4sHHIIII")
FRAME_HEADER = struct.Struct("<IQ")
SIGNATURE = b"DKIF"


@dataclass(frozen=True)
class IvfHeader:
    """What an IVF file header says about its stream."""

    fourcc: bytes
    """Codec, e.g. ``b"VP80"``."""
    width: int
    height: int
    rate: int
    """Time base denominator: timestamps count ``scale / rate`` seconds."""
    scale: int
    frame_count: int


def write_ivf(path: Path, header: IvfHeader, frames: Iterable[tuple[int, bytes]]) -> None:
    """Write ``(timestamp, frame)`` pairs to ``path``; frame_count is taken from the frames."""
    items = list(frames)
    with path.open("wb") as out:
        out.write(
            FILE_HEADER.pack(
                SIGNATURE,
                0,
                FILE_HEADER.size,
                header.fourcc,
                header.width,
                header.height,
                header.rate,
                header.scale,
                len(items),
                0,
            )
        )
        for timestamp, data in items:
            out.write(FRAME_HEADER.pack(len(data), timestamp))
            out.write(data)


def read_ivf(path: Path) -> tuple[IvfHeader, list[tuple[int, bytes]]]:
    """Read an IVF file into its header and ``(timestamp, frame)`` pairs."""
    blob = path.read_bytes()
    if len(blob) < FILE_HEADER.size:
        raise ValueError("IVF file is too short")
    signature, _version, header_size, fourcc, width, height, rate, scale, count, _ = (
        FILE_HEADER.unpack_from(blob)
    )
    if signature != SIGNATURE:
        raise ValueError("IVF signature is invalid")
    header = IvfHeader(fourcc, width, height, rate, scale, count)
    return header, list(_frames(blob, header_size))


def _frames(blob: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    view = memoryview(blob)
    while offset < len(blob):
        if offset + FRAME_HEADER.size > len(blob):
            raise ValueError("IVF frame header is truncated")
        size, timestamp = FRAME_HEADER.unpack_from(blob, offset)
        offset += FRAME_HEADER.size
        if offset + size > len(blob):
            raise ValueError("IVF frame is truncated")
        yield timestamp, bytes(view[offset : offset + size])
        offset += size
