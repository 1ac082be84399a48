"""A seeded user-space UDP relay that puts loss, delay, jitter and a bottleneck on a path.

This kernel has no netem, so weak networks are made here: a client talks to the relay's
``address``, the relay forwards to ``target`` from its own ``upstream_address``, and replies
go back to the client's last address. Both ICE ends must be pointed at the relay (see
``bench.candidates``) or ICE finds the direct loopback path and bypasses it.
"""

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .impairment import DelayModel, Impairment, LossModel

Address = tuple[str, int]
Direction = Literal["up", "down"]


def direction_rng(
    seed: int, direction: Direction, purpose: Literal["loss", "delay"]
) -> random.Random:
    """The RNG one direction of a relay uses for one purpose (tests replay decisions with it)."""
    return random.Random(f"{seed}/{direction}/{purpose}")


@dataclass
class DirectionCounters:
    """What happened to datagrams going one way through the relay."""

    received: int = 0
    forwarded: int = 0
    bytes_forwarded: int = 0
    dropped_loss: int = 0
    """Dropped by the loss model."""
    dropped_queue: int = 0
    """Dropped because the bottleneck queue was full."""
    dropped_no_peer: int = 0
    """Dropped because the other end was not known yet."""

    @property
    def dropped(self) -> int:
        return self.dropped_loss + self.dropped_queue + self.dropped_no_peer


class OneWay:
    """One direction through the relay: impair each datagram, then send it now or later."""

    def __init__(self, name: Direction, impairment: Impairment, seed: int) -> None:
        self.counters = DirectionCounters()
        self._perfect = impairment.is_perfect
        self._loss = LossModel(impairment, direction_rng(seed, name, "loss"))
        self._delay = DelayModel(impairment, direction_rng(seed, name, "delay"))
        # Delivery times never decrease, so a FIFO and one timer keep order (timers with
        # equal deadlines would not: asyncio's heap does not keep insertion order).
        self._queue: deque[tuple[float, bytes, Callable[[bytes], None]]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def submit(self, data: bytes, send: Callable[[bytes], None]) -> None:
        counters = self.counters
        counters.received += 1
        if self._perfect:
            self._deliver(data, send)
            return
        if self._loss.drops():
            counters.dropped_loss += 1
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        when = self._delay.delivery_time(now, len(data))
        if when is None:
            counters.dropped_queue += 1
        elif when <= now and not self._queue:
            self._deliver(data, send)
        else:
            self._queue.append((when, data, send))
            if self._timer is None:
                self._timer = loop.call_at(when, self._drain)

    def _drain(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        queue = self._queue
        while queue and queue[0][0] <= now:
            _, data, send = queue.popleft()
            self._deliver(data, send)
        if queue:
            self._timer = loop.call_at(queue[0][0], self._drain)

    def _deliver(self, data: bytes, send: Callable[[bytes], None]) -> None:
        self.counters.forwarded += 1
        self.counters.bytes_forwarded += len(data)
        send(data)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable after a peer closed: not the relay's concern.
        pass


class UdpRelay:
    """Relays UDP between one client and one target with seeded, per-direction impairments.

    ``up`` is client → target, ``down`` is target → client. Keyword impairments (``loss``,
    ``delay_ms`` …) apply to ``direction``; ``up_impairment`` / ``down_impairment`` override.
    """

    def __init__(
        self,
        target: Address | None = None,
        *,
        loss: float = 0.0,
        burst_loss: float = 0.0,
        burst_length: float = 3.0,
        delay_ms: float = 0.0,
        jitter_ms: float = 0.0,
        bandwidth_kbps: float | None = None,
        queue_ms: float = 200.0,
        direction: Literal["both", "up", "down"] = "both",
        up_impairment: Impairment | None = None,
        down_impairment: Impairment | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        given = Impairment(
            loss=loss,
            burst_loss=burst_loss,
            burst_length=burst_length,
            delay_ms=delay_ms,
            jitter_ms=jitter_ms,
            bandwidth_kbps=bandwidth_kbps,
            queue_ms=queue_ms,
        )
        perfect = Impairment()
        up = up_impairment or (given if direction in ("both", "up") else perfect)
        down = down_impairment or (given if direction in ("both", "down") else perfect)
        self.target = target
        self.client: Address | None = None
        self.seed = seed
        self._host = host
        self._up = OneWay("up", up, seed)
        self._down = OneWay("down", down, seed)
        self._client_side: asyncio.DatagramTransport | None = None
        self._target_side: asyncio.DatagramTransport | None = None
        self._closed = False

    @property
    def up(self) -> DirectionCounters:
        """Counters for client → target."""
        return self._up.counters

    @property
    def down(self) -> DirectionCounters:
        """Counters for target → client."""
        return self._down.counters

    @property
    def address(self) -> Address:
        """Where the client sends (announce this as the target's candidate to the client)."""
        return self._sockname(self._client_side)

    @property
    def upstream_address(self) -> Address:
        """Where the target sees datagrams from (announce it as the client's candidate)."""
        return self._sockname(self._target_side)

    @property
    def started(self) -> bool:
        return self._client_side is not None

    def set_target(self, target: Address) -> None:
        self.target = target

    async def start(self) -> None:
        """Bind both sockets on ``host`` with ephemeral ports. Calling it again does nothing."""
        if self._client_side is not None:
            return
        loop = asyncio.get_running_loop()
        self._client_side, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self._from_client), local_addr=(self._host, 0)
        )
        self._target_side, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self._from_target), local_addr=(self._host, 0)
        )

    async def close(self) -> None:
        """Stop relaying: pending delayed datagrams are discarded. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._up.cancel()
        self._down.cancel()
        for transport in (self._client_side, self._target_side):
            if transport is not None:
                transport.close()

    async def __aenter__(self) -> "UdpRelay":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _from_client(self, data: bytes, addr: Address) -> None:
        self.client = addr
        target = self.target
        if target is None:
            self._up.counters.received += 1
            self._up.counters.dropped_no_peer += 1
            return
        self._up.submit(data, lambda d: self._send(self._target_side, d, target))

    def _from_target(self, data: bytes, addr: Address) -> None:
        client = self.client
        if client is None:
            self._down.counters.received += 1
            self._down.counters.dropped_no_peer += 1
            return
        self._down.submit(data, lambda d: self._send(self._client_side, d, client))

    def _send(self, transport: asyncio.DatagramTransport | None, data: bytes, to: Address) -> None:
        if not self._closed and transport is not None:
            transport.sendto(data, to)

    @staticmethod
    def _sockname(transport: asyncio.DatagramTransport | None) -> Address:
        if transport is None:
            raise RuntimeError("the relay is not started")
        host, port = transport.get_extra_info("sockname")[:2]
        return host, port
