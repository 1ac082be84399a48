"""The bench's UDP relay drops, delays and counts exactly what its seed decides."""

import asyncio
from collections.abc import Callable
from typing import cast

from bench.impairment import Impairment, LossModel
from bench.relay import Address, UdpRelay, direction_rng


class Sink(asyncio.DatagramProtocol):
    """A UDP socket that records what it receives and, if asked, echoes it back."""

    def __init__(self, echo: bool = False) -> None:
        self.received: list[tuple[bytes, float]] = []
        self.echo = echo
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.received.append((data, asyncio.get_running_loop().time()))
        if self.echo and self.transport is not None:
            self.transport.sendto(data, addr)


async def open_sink(echo: bool = False) -> tuple[asyncio.DatagramTransport, Sink]:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(
        lambda: Sink(echo), local_addr=("127.0.0.1", 0)
    )
    return transport, sink


def port_of(transport: asyncio.DatagramTransport) -> Address:
    host, port = transport.get_extra_info("sockname")[:2]
    return host, port


async def send_paced(
    transport: asyncio.DatagramTransport, to: Address, count: int, size: int = 100
) -> None:
    # Paced so the kernel's loopback socket buffers never overflow: only the relay may drop.
    for i in range(count):
        transport.sendto(i.to_bytes(4, "big") + bytes(size - 4), to)
        if i % 5 == 4:
            await asyncio.sleep(0.0005)


async def wait_until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.005)


async def test_a_perfect_relay_forwards_both_ways_and_counts() -> None:
    server_transport, server = await open_sink(echo=True)
    client_transport, client = await open_sink()
    async with UdpRelay(port_of(server_transport)) as relay:
        await send_paced(client_transport, relay.address, 50)
        await wait_until(lambda: len(client.received) == 50)
        assert relay.up.received == relay.up.forwarded == 50
        assert relay.down.received == relay.down.forwarded == 50
        assert relay.up.dropped == relay.down.dropped == 0
        assert relay.up.bytes_forwarded == 50 * 100
        assert relay.client == port_of(client_transport)
    server_transport.close()
    client_transport.close()


async def test_loss_drops_exactly_the_datagrams_the_seed_decides() -> None:
    server_transport, server = await open_sink()
    client_transport, _ = await open_sink()
    async with UdpRelay(port_of(server_transport), loss=0.05, seed=7) as relay:
        await send_paced(client_transport, relay.address, 2000)
        await wait_until(lambda: relay.up.received == 2000)
        await wait_until(lambda: len(server.received) == relay.up.forwarded)

    replay = LossModel(Impairment(loss=0.05), direction_rng(7, "up", "loss"))
    expected_kept = [i for i in range(2000) if not replay.drops()]
    kept = [int.from_bytes(data[:4], "big") for data, _ in server.received]
    assert kept == expected_kept
    assert relay.up.dropped_loss == 2000 - len(expected_kept)
    assert 60 <= relay.up.dropped_loss <= 140  # 3-7 %
    server_transport.close()
    client_transport.close()


async def test_burst_loss_replays_from_the_seed() -> None:
    server_transport, server = await open_sink()
    client_transport, _ = await open_sink()
    relay = UdpRelay(port_of(server_transport), burst_loss=0.01, burst_length=5, seed=3)
    await relay.start()
    await send_paced(client_transport, relay.address, 1000)
    await wait_until(lambda: relay.up.received == 1000)
    await wait_until(lambda: len(server.received) == relay.up.forwarded)
    await relay.close()

    replay = LossModel(Impairment(burst_loss=0.01, burst_length=5), direction_rng(3, "up", "loss"))
    expected_kept = [i for i in range(1000) if not replay.drops()]
    assert [int.from_bytes(d[:4], "big") for d, _ in server.received] == expected_kept
    assert relay.up.dropped_loss > 0
    server_transport.close()
    client_transport.close()


async def test_loss_on_one_direction_leaves_the_other_intact() -> None:
    server_transport, _ = await open_sink(echo=True)
    client_transport, client = await open_sink()
    async with UdpRelay(port_of(server_transport), loss=0.2, direction="down", seed=1) as relay:
        await send_paced(client_transport, relay.address, 200)
        await wait_until(lambda: relay.down.received == 200)
        await wait_until(lambda: len(client.received) == relay.down.forwarded)
        assert relay.up.dropped == 0
        assert relay.up.forwarded == 200
        assert 20 <= relay.down.dropped_loss <= 60
    server_transport.close()
    client_transport.close()


async def test_delay_adds_latency_and_keeps_order() -> None:
    server_transport, server = await open_sink()
    client_transport, _ = await open_sink()
    loop = asyncio.get_running_loop()
    async with UdpRelay(port_of(server_transport), delay_ms=60, jitter_ms=20, seed=5) as relay:
        sent_at = loop.time()
        await send_paced(client_transport, relay.address, 20)
        await asyncio.sleep(0.03)
        assert server.received == []  # nothing arrives before the fixed delay
        await wait_until(lambda: len(server.received) == 20)
    first_latency = server.received[0][1] - sent_at
    assert 0.06 <= first_latency < 0.06 + 0.02 + 0.05
    order = [int.from_bytes(d[:4], "big") for d, _ in server.received]
    assert order == list(range(20))
    server_transport.close()
    client_transport.close()


async def test_bandwidth_limit_spaces_datagrams_and_drops_past_the_queue() -> None:
    server_transport, server = await open_sink()
    client_transport, _ = await open_sink()
    # 800 kbit/s = 100 bytes/ms: each 1000-byte datagram holds the link for 10 ms.
    async with UdpRelay(port_of(server_transport), bandwidth_kbps=800, queue_ms=50) as relay:
        for i in range(20):
            client_transport.sendto(i.to_bytes(4, "big") + bytes(996), relay.address)
        await wait_until(lambda: relay.up.forwarded + relay.up.dropped == 20)
        await wait_until(lambda: len(server.received) == relay.up.forwarded)
        # Only datagrams that wait at most 50 ms get through: the first 6 or 7.
        assert 5 <= relay.up.forwarded <= 7
        assert relay.up.dropped_queue == 20 - relay.up.forwarded
        times = [t for _, t in server.received]
        assert times[-1] - times[0] >= 0.009 * (len(times) - 1)
    server_transport.close()
    client_transport.close()


async def test_datagrams_before_a_target_is_known_are_counted_as_dropped() -> None:
    client_transport, _ = await open_sink()
    relay = UdpRelay()
    await relay.start()
    await send_paced(client_transport, relay.address, 3)
    await wait_until(lambda: relay.up.received == 3)
    assert relay.up.dropped_no_peer == 3
    await relay.close()
    await relay.close()  # idempotent
    client_transport.close()


async def test_close_discards_delayed_datagrams() -> None:
    server_transport, server = await open_sink()
    client_transport, _ = await open_sink()
    relay = UdpRelay(port_of(server_transport), delay_ms=100)
    await relay.start()
    await send_paced(client_transport, relay.address, 5)
    await wait_until(lambda: relay.up.received == 5)
    await relay.close()
    await asyncio.sleep(0.15)
    assert server.received == []
    server_transport.close()
    client_transport.close()
