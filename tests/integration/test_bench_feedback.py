"""The bench's own feedback ("cheap" receive mode) against the real server: loss is repaired."""

from __future__ import annotations

import asyncio

from bench.bots import PublisherBot, SubscriberBot
from bench.relay import UdpRelay
from classroom.roles import Role

from .conftest import RunningServer


async def test_five_percent_loss_is_repaired_through_the_bench_s_own_nacks(
    server: RunningServer,
) -> None:
    teacher = PublisherBot(server.url, server.token("teacher", Role.TEACHER), video_size=(640, 360))
    relay = UdpRelay(loss=0.05, seed=23)
    pupil = SubscriberBot(server.url, server.token("lossy"), relay=relay, feedback="cheap")
    try:
        await teacher.start()
        await pupil.join()
        await pupil.wait_for_streams(2, packets=1, video_keyframe=True)
        await asyncio.sleep(3)
        video = next(s for s in pupil.streams() if s.kind == "video")
        sent = pupil.subscription.generated
        assert sent is not None
        assert relay.down.dropped > 10
        assert sent.counters.nack_packets > 0 and sent.counters.receiver_reports > 0
        assert video.rtx_recovered > 0
        # Still missing: only what the relay dropped twice (packet and its RTX, after the
        # retry too), or the newest packets whose retransmission is on its way.
        assert video.lost < relay.down.dropped / 4
        counters = await server.counters()
        assert counters["nacks_received"] >= video.rtx_recovered
        assert counters["retransmissions"] >= video.rtx_packets
    finally:
        await pupil.close()
        await teacher.close()
        await relay.close()
