"""What a publisher sent us and when it arrived, told back as transport-wide feedback.

With transport-cc negotiated on the publish connection (`sdp.with_transport_cc`), the browser
numbers every packet it sends us (all its SSRCs, retransmissions and probes too) and runs
its own congestion control (Google's, with bandwidth probing) from our feedback: which
numbers arrived, and when. Without it a browser has only our REMB and its loss-based rule,
which grows 8 % a second: a simulcast camera took half a minute to turn its large layer on,
since a layer starts only when the estimate holds its whole minimum (measured with Chrome
156 here: 160 and 320 pixel layers only, "bandwidth" limited, for the first 16 s).

Reported every `INTERVAL` (libwebrtc's receivers send 50-100 ms apart), each packet once.
"""

from __future__ import annotations

from .transport_feedback import build

INTERVAL = 0.1
"""Seconds between two feedback packets."""
MAX_SPAN = 1000
"""Sequence numbers one feedback packet covers at most; more go in the next one."""
MAX_KEPT = 8192
"""Arrivals remembered before a feedback is sent (a stalled timer must not grow memory)."""


class Arrivals:
    """Arrival times by transport-wide sequence number, until they are reported."""

    __slots__ = ("_times", "_highest", "_next", "_count")

    def __init__(self) -> None:
        self._times: dict[int, float] = {}
        """Unwrapped sequence number → arrival time (seconds, our monotonic clock)."""
        self._highest: int | None = None
        self._next: int | None = None
        """The first sequence number not reported yet."""
        self._count = 0

    def add(self, seq: int, now: float) -> None:
        highest = self._highest
        if highest is None:
            extended = seq
            self._next = seq
        else:
            delta = ((seq - highest + 0x8000) & 0xFFFF) - 0x8000
            extended = highest + delta
        if self._next is not None and extended < self._next:
            return  # reported already (as lost): too late to say otherwise
        if highest is None or extended > highest:
            self._highest = extended
        if len(self._times) < MAX_KEPT:
            self._times.setdefault(extended, now)

    def feedback(self, sender_ssrc: int, media_ssrc: int) -> list[bytes]:
        """Feedback packets for everything that arrived since the last call (the numbers
        missing between are reported not received)."""
        start, highest = self._next, self._highest
        if start is None or highest is None or highest < start or not self._times:
            return []
        packets = []
        times = self._times
        while start <= highest:
            end = min(highest, start + MAX_SPAN - 1)
            first = next((s for s in range(start, end + 1) if s in times), None)
            if first is None:
                start = end + 1
                continue
            arrivals = [times.get(s) for s in range(first, end + 1)]
            # The reference time is the first arrival's; deltas of ±8 s fit, far more than
            # one interval holds.
            packets.append(build(sender_ssrc, media_ssrc, first, arrivals, self._count))
            self._count = (self._count + 1) & 0xFF
            start = end + 1
        self._next = highest + 1
        self._times = {}
        return packets
