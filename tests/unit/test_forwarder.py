"""A room's tracks as plain RTP over UDP (sfu/forwarder.py), received on a real socket."""

from __future__ import annotations

import json
import socket

from sfu.forwarder import CLOSED, RTCP, RTP, TRACK, UdpForwarder
from sfu.tap import TapTrack

MIC = TapTrack("t_mic", "p_1", "audio", "microphone", "audio/opus", 48000, 111, 2, {"stereo": 1})
CAM = TapTrack("t_cam", "p_1", "video", "camera", "video/VP8", 90000, 96, 0)
SCREEN = TapTrack("t_screen", "p_1", "video", "screen", "video/VP8", 90000, 96, 0)


def receive(sock: socket.socket) -> list[bytes]:
    got = []
    sock.settimeout(0.5)
    try:
        while True:
            got.append(sock.recv(65536))
            sock.settimeout(0.05)
    except TimeoutError:
        return got


def test_each_track_gets_a_channel_a_description_and_its_packets() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    forwarder = UdpForwarder(receiver.getsockname())
    try:
        mic = forwarder.open_track(MIC)
        cam = forwarder.open_track(CAM)
        mic.send_rtp(b"\x80\x6f\x00\x01" + bytes(8), memoryview(b"\xfc\x01"))
        cam.send_rtcp(b"\x80\xc8report")
        forwarder.close_track("t_mic")
        again = forwarder.open_track(MIC)  # the freed channel is used again
        got = receive(receiver)
    finally:
        forwarder.close()
        receiver.close()
    assert [d[:2] for d in got] == [
        TRACK + b"\x00",
        TRACK + b"\x01",
        RTP + b"\x00",
        TRACK + b"\x01",  # told again with each report: a late receiver learns it too
        RTCP + b"\x01",
        CLOSED + b"\x00",
        TRACK + b"\x00",
    ]
    assert json.loads(got[0][2:]) == {
        "id": "t_mic",
        "peer": "p_1",
        "kind": "audio",
        "source": "microphone",
        "mime_type": "audio/opus",
        "clock_rate": 48000,
        "payload_type": 111,
        "channels": 2,
        "codec_parameters": {"stereo": 1},
    }
    assert got[2][2:] == b"\x80\x6f\x00\x01" + bytes(8) + b"\xfc\x01"
    assert got[4][2:] == b"\x80\xc8report"
    assert again is not mic


def test_nobody_listening_drops_the_packets_and_never_raises() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    address = probe.getsockname()
    probe.close()  # the port is free: ICMP "unreachable" comes back to the sender
    forwarder = UdpForwarder(address)
    sink = forwarder.open_track(MIC)
    for _ in range(20):
        sink.send_rtp(bytes(12), b"x")
    forwarder.close()
    assert forwarder.dropped > 0


def test_a_channel_names_the_track_it_carries_and_a_freed_one_is_taken_by_the_next() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    forwarder = UdpForwarder(receiver.getsockname())
    try:
        forwarder.open_track(MIC)
        forwarder.open_track(CAM)
        assert [forwarder.track_of(c) for c in (0, 1, 2)] == ["t_mic", "t_cam", None]
        forwarder.close_track("t_mic")
        assert forwarder.track_of(0) is None
        forwarder.open_track(SCREEN)
        assert [forwarder.track_of(c) for c in (0, 1, 2)] == ["t_screen", "t_cam", None]
    finally:
        forwarder.close()
        receiver.close()
    assert forwarder.track_of(1) is None
