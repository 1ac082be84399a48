"""What the server tells a publisher about its uplink: transport feedback, or a REMB.

A browser given transport-cc numbers every packet and runs its own congestion control from
our feedback (`arrivals.Arrivals`, sent every `arrivals.INTERVAL`); our REMB then only carries
the cap of what its subscribers can take (`cap`), or lifts one sent before. A publisher
without transport-cc (aiortc's bots) gets our estimate from abs-send-time (aiortc's receive
side estimator, `aiortc_glue.publisher_estimator`), capped the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from . import rtcp
from .aiortc_glue import publisher_estimator
from .arrivals import INTERVAL, Arrivals
from .producer import Producer
from .rtp import RtpView

UNCAPPED = 50_000_000
"""The REMB that lifts a cap sent before (a browser keeps the last REMB it received)."""


class UplinkFeedback:
    """The feedback one participant's publish connection gets about its uplink."""

    def __init__(
        self,
        rtcp_ssrc: int,
        send_rtcp: Callable[[bytes], None],
        producers: Callable[[], Iterable[Producer]],
    ) -> None:
        """`send_rtcp`: to the publisher; `producers`: its tracks now (their SSRCs)."""
        self._rtcp_ssrc = rtcp_ssrc
        self._send_rtcp = send_rtcp
        self._producers = producers
        self._loop = asyncio.get_running_loop()
        self.transport_seq_id = 0
        """The publisher's transport-wide sequence number extension (0: not negotiated)."""
        self._arrivals = Arrivals()
        self._timer: asyncio.TimerHandle | None = None
        self._estimator = publisher_estimator()
        self._last_estimate: tuple[int, list[int]] | None = None
        self.cap: float | None = None
        """The most any subscriber of this publisher can take (bits/s): our REMB never asks
        for more."""

    def on_rtp(self, view: RtpView, producer: Producer, now: float) -> None:
        """A packet arrived from the publisher at `now`."""
        if self.transport_seq_id:
            value = view.extension(self.transport_seq_id)
            if value is not None and len(value) == 2:
                self._arrivals.add(int.from_bytes(value, "big"), now)
                if self._timer is None:
                    self._timer = self._loop.call_later(INTERVAL, self._send_feedback)
        elif producer.params.abs_send_time_id:
            self._estimate(view, producer, now)

    def set_cap(self, cap: float | None) -> None:
        """No subscriber can take more than `cap` bits/s: ask the publisher for no more (REMB).

        Its encoder then spends what it has on what arrives, instead of sending layers the
        SFU drops for everyone. None: someone can take everything.
        """
        changed = cap != self.cap
        self.cap = cap
        if changed or cap is not None:
            self._send_remb()

    def restart(self) -> None:
        """A new publish connection numbers its packets afresh."""
        self._arrivals = Arrivals()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _estimate(self, view: RtpView, producer: Producer, now: float) -> None:
        """REMB towards a publisher without transport-cc: our estimate is its only one."""
        value = view.extension(producer.params.abs_send_time_id)
        if value is None or len(value) != 3:
            return
        result = self._estimator.add(
            abs_send_time=int.from_bytes(value, "big"),
            arrival_time_ms=int(now * 1000),
            payload_size=view.payload_end - view.payload_start,
            ssrc=view.ssrc,
        )
        if result is not None:
            self._last_estimate = result
            self._send_remb()

    def _send_feedback(self) -> None:
        self._timer = None
        media = next((p.top.ssrc for p in self._producers() if p.top.ssrc), 0)
        for packet in self._arrivals.feedback(self._rtcp_ssrc, media):
            self._send_rtcp(packet)
        self._timer = self._loop.call_later(INTERVAL, self._send_feedback)

    def _send_remb(self) -> None:
        if self.transport_seq_id:
            # The browser estimates its uplink from our transport feedback: a REMB would only
            # cap it, so one is sent only for what our subscribers can take.
            cap = self.cap
            ssrcs = [s for p in self._producers() for e in p.encodings if (s := e.ssrc)]
            self._send_rtcp(
                rtcp.remb(self._rtcp_ssrc, int(UNCAPPED if cap is None else cap), ssrcs)
            )
            return
        if self._last_estimate is None:
            return
        bitrate, ssrcs = self._last_estimate
        if self.cap is not None:
            bitrate = min(bitrate, int(self.cap))
        self._send_rtcp(rtcp.remb(self._rtcp_ssrc, bitrate, ssrcs))
