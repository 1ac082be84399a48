"""Music mode at an event, in real Chromium: a performer plays 440 Hz on the left and 1000 Hz
on the right (WebAudio in place of the microphone); a guest in the audience receives the two
tones on two different channels. A decoder that always outputs two channels would give the
same tones on both: each channel is analysed on its own."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .school_site import (
    LESSON_URL,
    STATS,
    Pages,
    api_call,
    poll,
    sign_in,
)

pytestmark = pytest.mark.browser

LEFT_HZ, RIGHT_HZ = 440, 1000

# The performer's page asks for its microphone as usual; it gets the fake camera, and two
# oscillators merged into one stereo track instead of the fake microphone (a mono beep).
STEREO_TONES = f"""
window.askedFor = [];
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {{
  window.askedFor.push(constraints);
  const camera = await ask({{ video: constraints.video }});
  const ctx = new AudioContext({{ sampleRate: 48000 }});
  const merger = ctx.createChannelMerger(2);
  [{LEFT_HZ}, {RIGHT_HZ}].forEach((hz, channel) => {{
    const tone = ctx.createOscillator();
    tone.frequency.value = hz;
    const level = ctx.createGain();
    level.gain.value = 0.3;
    tone.connect(level).connect(merger, 0, channel);
    tone.start();
  }});
  const out = ctx.createMediaStreamDestination();
  out.channelCount = 2;
  merger.connect(out);
  // An AudioContext starts only after a click: the Join button's.
  document.addEventListener('click', () => ctx.resume(), {{ capture: true }});
  return new MediaStream([...camera.getVideoTracks(), ...out.stream.getAudioTracks()]);
}};
"""

# In the audience: the performer's received track, split into its two channels, each with
# its own analyser. Returns, per channel, the loudest frequency and how much louder (dB) it
# is than the other tone's frequency.
CHANNELS = """
async ([lowHz, highHz]) => {
  const audio = [...document.querySelectorAll('#grid .tile audio')].find((a) => a.srcObject);
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.resume();
  const source = ctx.createMediaStreamSource(audio.srcObject);
  const split = ctx.createChannelSplitter(2);
  source.connect(split);
  const analysers = [0, 1].map((channel) => {
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    split.connect(analyser, channel);
    return analyser;
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const binHz = ctx.sampleRate / 8192;
  const result = analysers.map((analyser) => {
    const db = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(db);
    let peak = 0;
    for (let i = 1; i < db.length; i += 1) if (db[i] > db[peak]) peak = i;
    const at = (hz) => Math.max(...[-2, -1, 0, 1, 2].map((d) => db[Math.round(hz / binHz) + d]));
    return { peakHz: peak * binHz, low: at(lowHz), high: at(highHz) };
  });
  ctx.close();
  return { channels: source.channelCount, left: result[0], right: result[1] };
}
"""

CODEC = """
async ([kind, direction]) => {
  const client = window.classroom.client;
  const pc = direction === 'outbound' ? client._publishPc : client._subscribePc;
  const stats = await pc.getStats();
  const rtp = [...stats.values()].find((s) => s.type === direction + '-rtp' && s.kind === kind);
  const codec = rtp && stats.get(rtp.codecId);
  return codec ? { mimeType: codec.mimeType, channels: codec.channels, fmtp: codec.sdpFmtpLine,
                   bytes: rtp.bytesSent ?? rtp.bytesReceived } : null;
}
"""


def metric(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, name
    return float(found.group(1))


def test_a_performer_plays_stereo_and_the_audience_hears_left_and_right(
    pages: Pages, demo: Any, artifacts: Path
) -> None:
    teacher = pages.open("/signin")
    teacher.context.add_init_script(STEREO_TONES)
    sign_in(teacher, demo.account("teacher"))
    event = api_call(teacher, "POST", "/api/sessions", {"kind": "event", "title": "Концерт"})
    api_call(teacher, "POST", f"/api/sessions/{event['id']}/start")
    link = api_call(teacher, "GET", f"/api/sessions/{event['id']}/event-link")
    entry = api_call(teacher, "POST", f"/api/sessions/{event['id']}/join")
    teacher.goto(entry["url"])
    teacher.wait_for_function("() => document.getElementById('preview-video').srcObject")
    assert teacher.locator("#join-hint").inner_text().startswith("Музыкальный режим")
    assert teacher.locator("#join-button").inner_text() == "Выйти на сцену"
    teacher.screenshot(path=artifacts / "event-performer-join.png")
    # Music mode: none of the speech processing.
    (asked,) = teacher.evaluate("() => window.askedFor")
    speech = ("echoCancellation", "noiseSuppression", "autoGainControl")
    assert [asked["audio"][k] for k in speech] == [False, False, False]
    teacher.click("#join-button")
    performer_id = poll(lambda: (teacher.evaluate(STATS).get("self") or {}).get("id"), "joined")
    sent = poll(lambda: teacher.evaluate(CODEC, ["audio", "outbound"]), "the performer's Opus")
    assert sent["mimeType"] == "audio/opus" and sent["channels"] == 2
    assert "stereo=1" in sent["fmtp"] and "maxaveragebitrate=256000" in sent["fmtp"]
    assert "usedtx=1" not in sent["fmtp"]

    guest = pages.open("/signin")
    guest.goto(pages.url(link["url"]))
    guest.fill("#event-name", "Папа Вани")
    guest.click("#event-submit")
    guest.wait_for_url(LESSON_URL)
    guest.click("#join-button")
    poll(
        lambda: (lambda p: p and p["framesDecoded"] > 0 and p["packetsReceived"] > 0)(
            guest.evaluate(STATS)["participants"].get(performer_id)
        ),
        "the guest to see and hear the performer",
    )
    received = guest.evaluate(CODEC, ["audio", "inbound"])
    assert received["channels"] == 2 and "stereo=1" in received["fmtp"], received

    heard = guest.evaluate(CHANNELS, [LEFT_HZ, RIGHT_HZ])
    left, right = heard["left"], heard["right"]
    assert abs(left["peakHz"] - LEFT_HZ) < 15, heard
    assert abs(right["peakHz"] - RIGHT_HZ) < 15, heard
    # Each tone is on its own side: the other one is at least 30 dB down there.
    assert left["low"] - left["high"] > 30, heard
    assert right["high"] - right["low"] > 30, heard

    # The encoder really spends the music bitrate (a voice gets 32-64 kbit/s).
    before = teacher.evaluate(CODEC, ["audio", "outbound"])["bytes"]
    teacher.wait_for_timeout(2000)
    after = teacher.evaluate(CODEC, ["audio", "outbound"])["bytes"]
    kbits = (after - before) * 8 / 2000
    assert kbits > 150, kbits  # 259 here; Chrome's default for a stereo voice is 64

    # At the SFU the packets themselves say stereo (their TOC byte), not only the SDP.
    stereo = metric(pages.url(""), "classroom_sfu_opus_stereo_packets_total")
    opus = metric(pages.url(""), "classroom_sfu_opus_packets_total")
    assert stereo > 100 and stereo / opus > 0.9, (stereo, opus)
    guest.screenshot(path=artifacts / "event-music-guest.png")
