"""Debian's Chromium as the benches and the browser tests run it (never Playwright's own).

On loopback WebRTC needs `--allow-loopback-in-peer-connection`; the fake devices answer
getUserMedia without a prompt; the rest keeps a headless browser from calling home.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
