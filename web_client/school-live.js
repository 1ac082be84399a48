// /school kept up to date by the server: an EventSource on /api/sessions/events tells the page
// at once when a session it may see is scheduled, starts, ends, moves or is called off (the
// server filters what each person hears). After any gap (a dropped connection, a restarted or
// dead node, a page that fell behind) the stream says "ready" or "resync" again, and the page
// refetches its lists: what changed meanwhile is caught up, nothing is pieced together.

import * as api from './api.js';
import { ApiError } from './api.js';

const RETRY_MS = 5000; // after the browser gave up (a refused stream): look again this often

const live = { source: null, connected: false };

/** Whether news comes by itself now (then the page need not poll). */
export const isLive = () => live.connected;

/**
 * Opens the stream. `refresh(news)` is called with null after every (re)connection and
 * resync (refetch everything), and with {change, session} for each piece of news.
 * `signedOut()` when the stream was refused because the sign-in has ended.
 * Returns false where the browser has no EventSource (the page keeps polling).
 */
export function connectLive(refresh, signedOut) {
  if (!('EventSource' in globalThis)) return false;
  open(refresh, signedOut);
  return true;
}

function open(refresh, signedOut) {
  const source = new EventSource(api.SESSION_EVENTS);
  live.source = source;
  source.addEventListener('ready', () => {
    live.connected = true;
    refresh(null);
  });
  source.addEventListener('resync', () => refresh(null));
  source.addEventListener('session', (ev) => {
    let news = null;
    try {
      news = JSON.parse(ev.data);
    } catch {
      return refresh(null);
    }
    return refresh(news);
  });
  source.addEventListener('error', () => {
    live.connected = false;
    // CONNECTING: the browser retries by itself (the server asked for 2 s). CLOSED: it was
    // refused (a 401 after signing out elsewhere, a proxy's error): find out why, then retry.
    if (source.readyState !== EventSource.CLOSED) return;
    live.source = null;
    setTimeout(async () => {
      try {
        await api.me();
      } catch (err) {
        if (err instanceof ApiError && err.signedOut) return signedOut();
      }
      return open(refresh, signedOut);
    }, RETRY_MS);
  });
}

/** Closes the stream (signing out). */
export function disconnectLive() {
  live.source?.close();
  live.source = null;
  live.connected = false;
}
