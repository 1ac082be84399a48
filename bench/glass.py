"""Glass-to-glass delay of an event, WebRTC and HLS side by side, in real Chromium.

The performer's page is the real lesson page, its camera replaced by a canvas that shows the
clock: the time in milliseconds as 42 black and white cells, twice (two rows that must
agree), redrawn every frame. Two audience pages open the event with the real client: the
server takes one WebRTC watcher (MAX_AUDIENCE=1), so the first one watches in the room and
the second one gets the live HLS through hls.js. Each audience page reads the clock back
from every video frame it presents (requestVideoFrameCallback, the picture drawn into a
canvas) and takes the difference with its own clock: one machine, one clock, so the
difference is the delay from the performer's canvas to the viewer's screen.

    python -m bench.glass [--seconds 40]

The report (docs/bench/<time>-glass.md) gives the median, p95 and range of each path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .chromium import CHROMIUM, CHROMIUM_ARGS
from .event_room import prepare_event
from .server_process import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
BITS = 42
"""Milliseconds since 1970 fit in 42 bits until the year 2109."""

# The performer: the canvas clock instead of the camera, a quiet stereo tone instead of the
# microphone (the page asks for its devices as usual).
CLOCK_CAMERA = f"""
(() => {{
  const BITS = {BITS};
  const canvas = document.createElement('canvas');
  canvas.width = 1280;
  canvas.height = 720;
  const g = canvas.getContext('2d');
  function draw() {{
    const now = Date.now();
    g.fillStyle = '#808080';
    g.fillRect(0, 0, 1280, 720);
    for (const top of [120, 420]) {{
      for (let bit = 0; bit < BITS; bit += 1) {{
        const on = Math.floor(now / 2 ** bit) % 2 === 1;
        g.fillStyle = on ? '#ffffff' : '#000000';
        g.fillRect(20 + (bit % 21) * 60, top + Math.floor(bit / 21) * 90, 50, 80);
      }}
    }}
    g.fillStyle = '#ffffff';
    g.font = '48px monospace';
    g.fillText(new Date(now).toISOString().slice(11, 23), 440, 380);
  }}
  setInterval(draw, 10);
  draw();
  const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {{
    const mic = constraints.audio ? await ask({{ audio: constraints.audio }}) : null;
    const audio = mic ? mic.getAudioTracks() : [];
    return new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...audio]);
  }};
}})();
"""

# An audience page: every presented frame of `selector`'s video, read back.
READ_CLOCK = f"""
(selector) => {{
  const BITS = {BITS};
  window.glass = [];
  const canvas = document.createElement('canvas');
  canvas.width = 1280;
  canvas.height = 720;
  const g = canvas.getContext('2d', {{ willReadFrequently: true }});
  function row(data, top) {{
    let value = 0;
    for (let bit = 0; bit < BITS; bit += 1) {{
      const x = 20 + (bit % 21) * 60 + 25;
      const y = top + Math.floor(bit / 21) * 90 + 40;
      const luma = data[(y * 1280 + x) * 4 + 1];
      if (luma > 128) value += 2 ** bit;
    }}
    return value;
  }}
  function watch(video) {{
    const frame = () => {{
      const seen = Date.now();
      if (video.videoWidth) {{
        g.drawImage(video, 0, 0, 1280, 720);
        const data = g.getImageData(0, 0, 1280, 720).data;
        const first = row(data, 120);
        if (first === row(data, 420)) window.glass.push(seen - first);
      }}
      video.requestVideoFrameCallback(frame);
    }};
    video.requestVideoFrameCallback(frame);
  }}
  const look = setInterval(() => {{
    const video = document.querySelector(selector);
    if (video && video.videoWidth) {{
      clearInterval(look);
      watch(video);
    }}
  }}, 100);
}}
"""


async def measure(seconds: float) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    data_dir = Path(tempfile.mkdtemp(prefix="bench-glass-"))
    event = await prepare_event(data_dir)
    server = ServerProcess(data_dir, extra_env={"MAX_AUDIENCE": "1", "SFU_WORKERS": "0"})
    await server.start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            performer = event.performer_token(server.secret)
            viewers = [event.viewer_token(server.secret, f"viewer-{k}") for k in (1, 2)]
            try:
                return await _run(browser, server, performer, viewers, seconds)
            finally:
                await browser.close()
    finally:
        await server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def _page(browser: Any, url: str, script: str | None = None) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    if script:
        await context.add_init_script(script)
    page = await context.new_page()
    await page.goto(url)
    return page


async def _run(
    browser: Any, server: ServerProcess, performer: str, viewers: list[str], seconds: float
) -> dict[str, Any]:
    stage = await _page(browser, f"{server.url}/lesson?token={performer}", CLOCK_CAMERA)
    await stage.wait_for_function("() => document.getElementById('preview-video').srcObject")
    await stage.click("#join-button")
    await stage.wait_for_function("() => window.classroom.client?.state === 'joined'")
    pages = {}
    for name, token, selector in (
        ("webrtc", viewers[0], "#grid .tile video"),
        ("hls", viewers[1], "#stream-video"),
    ):
        page = await _page(browser, f"{server.url}/lesson?token={token}")
        await page.click("#join-button")
        await page.evaluate(READ_CLOCK, selector)
        pages[name] = page
    # The HLS player starts a few segments behind the live edge and settles: measure after.
    await asyncio.sleep(15)
    for page in pages.values():
        await page.evaluate("() => { window.glass = []; }")
    await asyncio.sleep(seconds)
    result: dict[str, Any] = {}
    for name, page in pages.items():
        samples = [float(v) for v in await page.evaluate("() => window.glass")]
        result[name] = _summary(samples)
    engine = await pages["hls"].evaluate("() => window.classroom.lesson.player?.engine")
    result["hls"]["engine"] = engine
    return result


def _summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"frames": 0}
    ordered = sorted(samples)
    return {
        "frames": len(samples),
        "median_ms": round(statistics.median(ordered)),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))]),
        "min_ms": round(ordered[0]),
        "max_ms": round(ordered[-1]),
    }


def report(result: dict[str, Any], seconds: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Glass-to-glass delay of an event: WebRTC and HLS",
        "",
        f"Run {stamp}, `python -m bench.glass --seconds {seconds:g}`: the performer's page shows",
        "the clock in its video (a canvas), two audience pages in the same Chromium read it",
        "back from every frame they present. The first watches in the room (WebRTC), the",
        "second past the room's audience limit (MAX_AUDIENCE=1), through the live HLS",
        f"(played by {result['hls'].get('engine')}: 2 s segments, 3 segments behind the live",
        "edge). Server and browsers share this 2-core machine.",
        "",
        "| path | frames read | median | p95 | min | max |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("webrtc", "hls"):
        r = result[name]
        lines.append(
            f"| {name} | {r['frames']} | {r.get('median_ms')} ms | {r.get('p95_ms')} ms"
            f" | {r.get('min_ms')} ms | {r.get('max_ms')} ms |"
        )
    lines += ["", "```json", json.dumps(result, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    started = time.monotonic()
    result = asyncio.run(measure(args.seconds))
    text = report(result, args.seconds)
    path = ROOT / "docs" / "bench" / (datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-glass.md")
    path.write_text(text)
    print(text)
    print(f"{path} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
