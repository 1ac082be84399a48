"""Transport-wide congestion control on the wire: the sequence number we stamp on every packet,
the feedback a subscriber sends about them, and our record of what was sent.

draft-holmer-rmcat-transport-wide-cc-extensions-01. Every RTP packet of a connection (all
its SSRCs, retransmissions too) carries a 16-bit transport-wide sequence number in a header
extension (`TRANSPORT_CC_URI`); the receiver answers every 50-100 ms with RTCP RTPFB FMT=15
telling, for each number, when the packet arrived (on its own clock) or that it did not.
Our send times against its arrival times are the delay signal of `bandwidth.py`.

Sending side, per connection::

    sent = SentPackets()
    # where the packet is handed to the socket, after the pacer, never earlier:
    if carries_transport_seq(header, ext_id):
        stamp_transport_seq(header, sent.add(len(header) + len(payload), loop.time()))

`HeaderTemplate(…, transport_seq_id=ext_id)` puts the extension first in the block, so its
value sits at the fixed offset `TRANSPORT_SEQ_AT` and stamping writes two bytes. The number
is given when the packet leaves, not when a consumer builds its header: packets must be
numbered in the order they really went out, and their send time must not include the time
they waited in the pacer (see `bandwidth.py`).

Receiving side::

    feedbacks, rest = split_compound(rtcp_bytes)   # before aiortc's parser sees `rest`
    for raw in feedbacks:
        try:
            results = sent.on_feedback(parse(raw))
        except FeedbackError:
            continue                               # malformed: count it, drop it
        estimator.on_feedback(results, loop.time())

aiortc's `RtcpPacket.parse` reads an RTPFB packet's FCI as NACK pairs: a feedback comes out
as nonsense, and one whose length needs padding (libwebrtc pads with the P bit) raises and
takes the whole compound with it — NACKs, PLIs and receiver reports included. Hence
`split_compound`, which walks the compound on the raw bytes.

`build` writes a feedback packet (tests, bench bots). `parse` never crashes on bad input: any
malformed or truncated packet raises `FeedbackError`, a `ValueError`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .rtp import TRANSPORT_SEQ_AT

TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
RTCP_RTPFB = 205
FMT_TRANSPORT_FEEDBACK = 15

TICKS_PER_SECOND = 4000
"""Receive deltas count 250 µs."""
TICKS_PER_REFERENCE = 256
"""The reference time counts 64 ms: 256 deltas."""
REFERENCE_RANGE = 1 << 24
"""The reference time is 24 bits (signed): it wraps after ~12.4 days."""
MAX_RUN = 0x1FFF
"""Packets one run-length chunk can cover (13 bits)."""

NOT_RECEIVED, SMALL_DELTA, LARGE_DELTA = 0, 1, 2
"""Packet status symbols; 3 is reserved."""

_HEADER = struct.Struct("!BBH")
_FIXED = struct.Struct("!IIHHI")
"""Sender SSRC, media SSRC, base sequence, status count, reference time << 8 | fb count."""
_CHUNK = struct.Struct("!H")
_LARGE = struct.Struct("!h")
_MIN_SIZE = _HEADER.size + _FIXED.size


class FeedbackError(ValueError):
    """A transport feedback packet, or the RTCP compound around it, is malformed."""


# --- the header extension ---------------------------------------------------------------


def stamp_transport_seq(header: bytearray, seq: int) -> None:
    """Write transport-wide sequence number `seq` into a `HeaderTemplate`'s header made with
    `transport_seq_id` (check with `carries_transport_seq` if unsure)."""
    header[TRANSPORT_SEQ_AT] = (seq >> 8) & 0xFF
    header[TRANSPORT_SEQ_AT + 1] = seq & 0xFF


def carries_transport_seq(header: bytes | bytearray, ext_id: int) -> bool:
    """Whether `header` has room for the transport-wide sequence number with ID `ext_id` at
    `TRANSPORT_SEQ_AT` (the first element of a one-byte extension block, no CSRC)."""
    return (
        len(header) > TRANSPORT_SEQ_AT + 1
        and header[0] & 0x1F == 0x10
        and header[12] == 0xBE
        and header[13] == 0xDE
        and header[16] == (ext_id << 4) | 1
    )


# --- feedback packets -------------------------------------------------------------------


@dataclass(frozen=True)
class TransportFeedback:
    """One RTCP transport feedback packet, read."""

    sender_ssrc: int
    media_ssrc: int
    base_seq: int
    """Transport-wide sequence number of the first packet reported."""
    reference_time: int
    """Signed 24-bit, in 64 ms units of the receiver's clock."""
    count: int
    """The feedback packet count (8 bits, wraps): gaps show lost feedback."""
    arrivals: tuple[float | None, ...]
    """For packets base_seq, base_seq + 1, …: the arrival time in seconds on the receiver's
    clock (reference time plus deltas), or None when it was not received."""

    def packets(self) -> list[tuple[int, float | None]]:
        """(16-bit sequence number, arrival or None) for every packet reported."""
        base = self.base_seq
        return [((base + i) & 0xFFFF, a) for i, a in enumerate(self.arrivals)]


def is_feedback(packet: bytes) -> bool:
    """Whether an RTCP packet's header says transport feedback (RTPFB, FMT=15)."""
    return len(packet) >= 2 and packet[1] == RTCP_RTPFB and packet[0] & 0x1F == 15


def split_compound(data: bytes) -> tuple[list[bytes], bytes]:
    """The transport feedback packets of a compound RTCP datagram, and the rest of it (for
    `rtcp.parse`). `FeedbackError` if the compound's framing is broken; the feedback packets
    themselves are only cut out here, `parse` reads them."""
    size = len(data)
    pos = 0
    found: list[bytes] = []
    rest = bytearray()
    while pos < size:
        if pos + 4 > size:
            raise FeedbackError("RTCP header is truncated")
        end = pos + 4 + ((data[pos + 2] << 8) | data[pos + 3]) * 4
        if end > size:
            raise FeedbackError("RTCP packet is truncated")
        if data[pos + 1] == RTCP_RTPFB and data[pos] & 0x1F == FMT_TRANSPORT_FEEDBACK:
            found.append(data[pos:end])
        else:
            rest += data[pos:end]
        pos = end
    if not found:
        return found, data
    return found, bytes(rest)


def parse(packet: bytes) -> TransportFeedback:
    """Read one transport feedback packet (RTCP header included; anything after the length
    its header gives is ignored). Raises `FeedbackError` on anything malformed."""
    size = len(packet)
    if size < _MIN_SIZE:
        raise FeedbackError("transport feedback is too short")
    b0, packet_type, words = _HEADER.unpack_from(packet)
    if b0 >> 6 != 2:
        raise FeedbackError("RTCP version is not 2")
    if packet_type != RTCP_RTPFB or b0 & 0x1F != FMT_TRANSPORT_FEEDBACK:
        raise FeedbackError("not a transport feedback packet")
    end = 4 + words * 4
    if end > size:
        raise FeedbackError("transport feedback is truncated")
    if b0 & 0x20:
        padding = packet[end - 1]
        if padding == 0 or end - padding < _MIN_SIZE:
            raise FeedbackError("transport feedback padding is invalid")
        end -= padding
    if end < _MIN_SIZE:
        raise FeedbackError("transport feedback is too short")
    sender, media, base, count, word = _FIXED.unpack_from(packet, 4)
    if count == 0:
        raise FeedbackError("transport feedback reports no packet")
    reference = word >> 8
    if reference & 0x800000:
        reference -= REFERENCE_RANGE
    pos = _MIN_SIZE
    symbols: list[int] = []
    while len(symbols) < count:
        if pos + 2 > end:
            raise FeedbackError("packet status chunks are truncated")
        chunk = (packet[pos] << 8) | packet[pos + 1]
        pos += 2
        left = count - len(symbols)
        if not chunk & 0x8000:  # run length: T=0, 2-bit symbol, 13-bit run
            symbol = (chunk >> 13) & 3
            if symbol == 3:
                raise FeedbackError("reserved packet status in a run")
            symbols.extend([symbol] * min(chunk & MAX_RUN, left))
        elif not chunk & 0x4000:  # status vector of 14 one-bit symbols
            symbols.extend((chunk >> (13 - i)) & 1 for i in range(min(14, left)))
        else:  # status vector of 7 two-bit symbols
            for i in range(min(7, left)):
                symbol = (chunk >> (12 - 2 * i)) & 3
                if symbol == 3:
                    raise FeedbackError("reserved packet status in a vector")
                symbols.append(symbol)
    ticks = reference * TICKS_PER_REFERENCE
    arrivals: list[float | None] = []
    for symbol in symbols:
        if symbol == NOT_RECEIVED:
            arrivals.append(None)
            continue
        if symbol == SMALL_DELTA:
            if pos >= end:
                raise FeedbackError("receive deltas are truncated")
            ticks += packet[pos]
            pos += 1
        else:
            if pos + 2 > end:
                raise FeedbackError("receive deltas are truncated")
            ticks += _LARGE.unpack_from(packet, pos)[0]
            pos += 2
        arrivals.append(ticks / TICKS_PER_SECOND)
    return TransportFeedback(sender, media, base, reference, word & 0xFF, tuple(arrivals))


def build(
    sender_ssrc: int,
    media_ssrc: int,
    base_seq: int,
    arrivals: Sequence[float | None],
    count: int,
    reference_time: int | None = None,
) -> bytes:
    """A transport feedback packet for packets `base_seq`, `base_seq + 1`, … whose arrival
    times (seconds on the receiver's clock; None: not received) are `arrivals`, as feedback
    number `count` (taken modulo 256).

    Arrival times are rounded to 250 µs. The reference time defaults to the 64 ms step at or
    before the first arrival. Runs of one status become run-length chunks, the rest status
    vectors (1-bit where they can, 2-bit where a delta is large or negative), and the packet
    is padded to 32 bits with the P bit set, as libwebrtc does. ValueError if `arrivals` is
    empty or a delta does not fit 16 bits (±8.19 s): start another feedback there.
    """
    if not arrivals:
        raise ValueError("a transport feedback reports at least one packet")
    if len(arrivals) > 0xFFFF:
        raise ValueError("a transport feedback reports at most 65535 packets")
    times = [None if a is None else round(a * TICKS_PER_SECOND) for a in arrivals]
    if reference_time is None:
        first = next((t for t in times if t is not None), 0)
        reference_time = first // TICKS_PER_REFERENCE
    previous = reference_time * TICKS_PER_REFERENCE
    symbols: list[int] = []
    deltas = bytearray()
    for ticks in times:
        if ticks is None:
            symbols.append(NOT_RECEIVED)
            continue
        delta, previous = ticks - previous, ticks
        if 0 <= delta <= 0xFF:
            symbols.append(SMALL_DELTA)
            deltas.append(delta)
        elif -0x8000 <= delta <= 0x7FFF:
            symbols.append(LARGE_DELTA)
            deltas += _LARGE.pack(delta)
        else:
            raise ValueError(f"receive delta of {delta / TICKS_PER_SECOND} s does not fit")
    body = bytearray(
        _FIXED.pack(
            sender_ssrc,
            media_ssrc,
            base_seq & 0xFFFF,
            len(symbols),
            ((reference_time & (REFERENCE_RANGE - 1)) << 8) | (count & 0xFF),
        )
    )
    body += _chunks(symbols) + deltas
    padding = -(len(body) + 4) % 4
    b0 = 0x80 | FMT_TRANSPORT_FEEDBACK
    if padding:
        b0 |= 0x20
        body += bytes(padding - 1) + bytes([padding])
    return _HEADER.pack(b0, RTCP_RTPFB, (len(body) + 4) // 4 - 1) + bytes(body)


def _chunks(symbols: list[int]) -> bytes:
    out = bytearray()
    n = len(symbols)
    i = 0
    while i < n:
        symbol = symbols[i]
        run = 1
        while i + run < n and run < MAX_RUN and symbols[i + run] == symbol:
            run += 1
        if run >= 14 or i + run == n:
            out += _CHUNK.pack((symbol << 13) | run)
            i += run
            continue
        window = symbols[i : i + 14]
        if max(window) <= SMALL_DELTA:
            chunk = 0x8000
            for k, s in enumerate(window):
                chunk |= s << (13 - k)
            i += 14
        else:
            chunk = 0xC000
            for k, s in enumerate(window[:7]):
                chunk |= s << (12 - 2 * k)
            i += 7
        out += _CHUNK.pack(chunk)
    return bytes(out)


# --- what we sent -----------------------------------------------------------------------


class PacketResult(NamedTuple):
    """One sent packet as the feedback tells it."""

    seq: int
    """Transport-wide sequence number, unwrapped (0, 1, 2, … for the connection's life)."""
    send_time: float
    """When it was handed to the socket (our clock, seconds)."""
    arrival: float | None
    """When it arrived (the receiver's clock, seconds, continuous across feedbacks), or None:
    reported lost."""
    size: int
    """Bytes, as given to `SentPackets.add`."""


UNREPORTED, REPORTED_LOST, REPORTED_RECEIVED = 0, 1, 2


class SentPackets:
    """The packets of one connection by transport-wide sequence number: when each left and
    how big it was, for the last `capacity` packets (a ring: memory is fixed).

    `add` numbers a packet as it is handed to the socket; `on_feedback` pairs a feedback's
    reports with what we sent. A packet comes out of `on_feedback` once as received, and at
    most once as lost before that (a packet reported lost, then received in a later feedback,
    comes out a second time, received). Reports of packets we no longer remember, or never
    sent, are left out and counted in `unknown`; a feedback packet count seen before is a
    duplicate and ignored; gaps in the count are counted in `feedback_missing`.
    """

    __slots__ = (
        "_capacity",
        "_seqs",
        "_times",
        "_sizes",
        "_states",
        "_next",
        "_last_count",
        "_reference",
        "unknown",
        "feedback_missing",
    )

    def __init__(self, capacity: int = 8192) -> None:
        if not 0 < capacity <= 0x8000:
            raise ValueError("capacity must be within 1..32768 (half the 16-bit space)")
        self._capacity = capacity
        self._seqs = [-1] * capacity
        self._times = [0.0] * capacity
        self._sizes = [0] * capacity
        self._states = bytearray(capacity)
        self._next = 0
        self._last_count: int | None = None
        self._reference: int | None = None
        """The last feedback's reference time, unwrapped (64 ms units)."""
        self.unknown = 0
        self.feedback_missing = 0

    def add(self, size: int, now: float) -> int:
        """Record a packet handed to the socket at `now`; its 16-bit transport-wide sequence
        number, to stamp into it."""
        seq = self._next
        self._next = seq + 1
        slot = seq % self._capacity
        self._seqs[slot] = seq
        self._times[slot] = now
        self._sizes[slot] = size
        self._states[slot] = UNREPORTED
        return seq & 0xFFFF

    @property
    def sent(self) -> int:
        """Packets numbered so far."""
        return self._next

    def on_feedback(self, feedback: TransportFeedback) -> list[PacketResult]:
        """What `feedback` says about the packets we sent, in sequence order."""
        if not self._new_count(feedback.count):
            return []
        shift = self._unwrap_reference(feedback.reference_time)
        newest = self._next - 1
        if newest < 0:
            self.unknown += len(feedback.arrivals)
            return []
        base = newest - ((newest - feedback.base_seq) & 0xFFFF)
        capacity = self._capacity
        seqs, times, sizes, states = self._seqs, self._times, self._sizes, self._states
        results: list[PacketResult] = []
        for i, arrival in enumerate(feedback.arrivals):
            seq = base + i
            slot = seq % capacity
            if seq > newest or seqs[slot] != seq:
                self.unknown += 1
                continue
            state = states[slot]
            if arrival is None:
                if state != UNREPORTED:
                    continue
                states[slot] = REPORTED_LOST
                results.append(PacketResult(seq, times[slot], None, sizes[slot]))
            elif state != REPORTED_RECEIVED:
                states[slot] = REPORTED_RECEIVED
                results.append(PacketResult(seq, times[slot], arrival + shift, sizes[slot]))
        return results

    def _new_count(self, count: int) -> bool:
        last, self._last_count = self._last_count, count
        if last is None:
            return True
        step = (count - last) & 0xFF
        if step == 0:
            self._last_count = last
            return False
        if step < 0x80:
            self.feedback_missing += step - 1
        else:
            self._last_count = last  # an older feedback, late: read it, keep the newest count
        return True

    def _unwrap_reference(self, reference: int) -> float:
        """Seconds to add to this feedback's arrival times so that they continue the previous
        feedbacks' across the 24-bit reference time's wrap."""
        last = self._reference
        if last is None:
            self._reference = reference
            return 0.0
        half = REFERENCE_RANGE // 2
        unwrapped = last + ((reference - last + half) % REFERENCE_RANGE) - half
        self._reference = unwrapped
        return (unwrapped - reference) * TICKS_PER_REFERENCE / TICKS_PER_SECOND
