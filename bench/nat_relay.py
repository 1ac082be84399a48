"""A seeded UDP relay in front of one server for many clients, each behind its own port.

`UdpRelay` serves one client. A browser has several sockets (one per peer connection, per
interface) talking to the same TURN server, so putting a weak link in front of coturn needs
what a home router does: every client address gets its own upstream socket, and the server
tells them apart by it. Only the clients `impaired` picks go through the impairments; the
others pass untouched, so one room can hold a weak pupil beside a well-connected teacher.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass

from .impairment import Impairment
from .relay import Address, Direction, DirectionCounters, OneWay

PERFECT = Impairment()


@dataclass
class _Mapping:
    """One client's way through: its upstream socket and both directions' impairments."""

    client: Address
    upstream: socket.socket
    up: OneWay
    down: OneWay


class NatRelay:
    """Relays UDP between many clients and `target`, impairing those `impaired` selects."""

    def __init__(
        self,
        target: Address,
        impairment: Impairment,
        *,
        impaired: Callable[[Address], bool] = lambda client: True,
        seed: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.target = target
        self._impairment = impairment
        self._impaired = impaired
        self._seed = seed
        self._host = host
        self._front: socket.socket | None = None
        self._mappings: dict[Address, _Mapping] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def address(self) -> Address:
        """Where clients send (the TURN URL's host and port)."""
        if self._front is None:
            raise RuntimeError("the relay is not started")
        host, port = self._front.getsockname()[:2]
        return host, port

    def counters(self, direction: Direction) -> DirectionCounters:
        """`up` (clients → target) or `down` counters, summed over the impaired clients."""
        total = DirectionCounters()
        for mapping in self._mappings.values():
            if not self._impaired(mapping.client):
                continue
            one = mapping.up.counters if direction == "up" else mapping.down.counters
            total.received += one.received
            total.forwarded += one.forwarded
            total.bytes_forwarded += one.bytes_forwarded
            total.dropped_loss += one.dropped_loss
            total.dropped_queue += one.dropped_queue
        return total

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._front = self._bound()
        self._loop.add_reader(self._front.fileno(), self._read_front)

    async def close(self) -> None:
        """Stops relaying; delayed datagrams are discarded. Idempotent."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        for mapping in self._mappings.values():
            mapping.up.cancel()
            mapping.down.cancel()
            loop.remove_reader(mapping.upstream.fileno())
            mapping.upstream.close()
        self._mappings.clear()
        if self._front is not None:
            loop.remove_reader(self._front.fileno())
            self._front.close()

    def _bound(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind((self._host, 0))
        return sock

    def _read_front(self) -> None:
        assert self._front is not None
        for data, client in _drain(self._front):
            mapping = self._mappings.get(client) or self._map(client)
            mapping.up.submit(data, _sender(mapping.upstream, self.target))

    def _map(self, client: Address) -> _Mapping:
        assert self._loop is not None
        impairment = self._impairment if self._impaired(client) else PERFECT
        seed = self._seed + len(self._mappings)  # reproducible in order of arrival
        mapping = _Mapping(
            client, self._bound(), OneWay("up", impairment, seed), OneWay("down", impairment, seed)
        )
        self._mappings[client] = mapping
        self._loop.add_reader(mapping.upstream.fileno(), self._read_upstream, mapping)
        return mapping

    def _read_upstream(self, mapping: _Mapping) -> None:
        front = self._front
        if front is None:
            return
        for data, _ in _drain(mapping.upstream):
            mapping.down.submit(data, _sender(front, mapping.client))


def _drain(sock: socket.socket) -> list[tuple[bytes, Address]]:
    """Every datagram waiting on a non-blocking socket."""
    received: list[tuple[bytes, Address]] = []
    while True:
        try:
            data, addr = sock.recvfrom(65536)
        except (BlockingIOError, InterruptedError):
            return received
        except OSError:  # ICMP unreachable from a closed peer: not the relay's concern
            continue
        received.append((data, addr[:2]))


def _sender(sock: socket.socket, to: Address) -> Callable[[bytes], None]:
    """Sends to `to` from `sock`, now or when a delayed datagram is due."""

    def send(data: bytes) -> None:
        try:
            sock.sendto(data, to)
        except OSError:  # a full buffer or a closed socket: lost, as on a wire
            pass

    return send
