// Debian's Firefox ESR for tests/browser/test_firefox.py, over WebDriver BiDi (puppeteer-core).
//
// One browser, one page. Python sends one JSON request a line on stdin and reads one answer a
// line on stdout, so a test drives Firefox as it drives its Playwright pages:
//   {"id": 1, "op": "goto", "url": "…"}                → {"id": 1, "ok": true}
//   {"id": 2, "op": "evaluate", "function": "() => …"} → {"id": 2, "ok": true, "value": …}
//   {"id": 3, "op": "screenshot", "path": "…png"}
//   {"id": 4, "op": "errors"}                          → the page's uncaught errors so far
//   {"id": 5, "op": "close"}                           → the browser closed; this script exits
// A failed request answers {"id", "ok": false, "error"}. Before the first request it prints
// {"ready": true, "pid": <Firefox's>, "version"} (the test kills that PID if Firefox outlives us).

import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: FIREFOX,
  headless: true,
  defaultViewport: { width: 1280, height: 800 },
  extraPrefsFirefox: {
    // The fake camera and microphone, without a permission prompt (nobody to click it).
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
  },
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (error) => errors.push(String(error?.message ?? error)));

function answer(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function handle(request) {
  switch (request.op) {
    case 'goto':
      await page.goto(request.url, { waitUntil: 'load' });
      return undefined;
    case 'evaluate':
      // The function's source, called in the page; its (awaited) result comes back as JSON.
      return page.evaluate(`(${request.function})()`);
    case 'screenshot':
      await page.screenshot({ path: request.path });
      return undefined;
    case 'errors':
      return errors;
    case 'close':
      await browser.close();
      return undefined;
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

answer({ ready: true, pid: browser.process()?.pid ?? null, version: await browser.version() });

// One request at a time, in order: the test waits for each answer before the next.
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    const value = await handle(request);
    answer({ id: request.id, ok: true, value: value ?? null });
  } catch (err) {
    answer({ id: request.id, ok: false, error: String(err?.stack ?? err) });
  }
  if (request.op === 'close') break;
}
// stdin closed without a "close" (the test died): do not leave Firefox behind.
if (browser.connected) await browser.close();
process.exit(0);
