"""The many-client relay keeps clients apart, as a NAT does, and impairs only those it picks."""

import asyncio

from bench.impairment import Impairment
from bench.nat_relay import NatRelay
from bench.relay import Address, direction_rng

from .test_bench_relay import open_sink, port_of, send_paced, wait_until


class Recorder(asyncio.DatagramProtocol):
    """A server that records who sent what and answers each datagram with its sender's port."""

    def __init__(self) -> None:
        self.senders: list[Address] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.senders.append(addr)
        assert self.transport is not None
        self.transport.sendto(addr[1].to_bytes(2, "big"), addr)


async def test_each_client_has_its_own_port_and_gets_its_own_answers() -> None:
    loop = asyncio.get_running_loop()
    server_side, server = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
    relay = NatRelay(port_of(server_side), Impairment())
    await relay.start()
    (a_side, a), (b_side, b) = await open_sink(), await open_sink()
    try:
        a_side.sendto(b"from a", relay.address)
        b_side.sendto(b"from b", relay.address)
        a_side.sendto(b"again a", relay.address)
        await wait_until(lambda: len(a.received) == 2 and len(b.received) == 1)
        first, second, third = server.senders
        assert first == third != second  # one upstream port per client, kept
        assert first != port_of(a_side) and second != port_of(b_side)
        # Each answer reached the client whose upstream port it named.
        assert [int.from_bytes(d, "big") for d, _ in a.received] == [first[1], first[1]]
        assert [int.from_bytes(d, "big") for d, _ in b.received] == [second[1]]
    finally:
        await relay.close()
        for transport in (server_side, a_side, b_side):
            transport.close()


async def test_only_the_chosen_clients_are_impaired() -> None:
    echo_side, _ = await open_sink(echo=True)
    weak_side, weak = await open_sink()
    fine_side, fine = await open_sink()
    weak_address = port_of(weak_side)
    relay = NatRelay(
        port_of(echo_side),
        Impairment(loss=0.2),
        impaired=lambda client: client == weak_address,
        seed=7,
    )
    await relay.start()
    try:
        await send_paced(fine_side, relay.address, 200)
        await wait_until(lambda: len(fine.received) == 200)  # untouched, and not counted
        assert relay.counters("up").received == 0
        await send_paced(weak_side, relay.address, 200)
        # The weak client came second, so its seed is 8: replay its loss decisions.
        up_rng = direction_rng(8, "up", "loss")
        up_lost = sum(up_rng.random() < 0.2 for _ in range(200))
        down_rng = direction_rng(8, "down", "loss")
        down_lost = sum(down_rng.random() < 0.2 for _ in range(200 - up_lost))
        await wait_until(lambda: len(weak.received) == 200 - up_lost - down_lost)
        up, down = relay.counters("up"), relay.counters("down")
        assert (up.received, up.dropped_loss, down.dropped_loss) == (200, up_lost, down_lost)
    finally:
        await relay.close()
        for transport in (echo_side, weak_side, fine_side):
            transport.close()
