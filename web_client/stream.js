// An event's live HLS in the audience page: played when the room has no WebRTC place left for
// one more watcher (`room_full`) or its organiser sent the whole audience to HLS (`use_hls`).
//
// hls.js plays it where the browser has Media Source Extensions (Chrome, Firefox, Edge,
// desktop Safari); Safari on an iPhone plays HLS itself. hls.js is the npm registry's package,
// unpacked by `make hlsjs` into /static/vendor/, and loaded only by those who need it.

const HLS_SCRIPT = '/static/vendor/hls.light.min.js';
const RETRIES = 5; // a network error hls.js gave up on is tried again, every 3 s
const RETRY_MS = 3000;
const HLS_TYPE = 'application/vnd.apple.mpegurl';

let loading = null;

/** window.Hls, once its script has loaded (null if it cannot be). */
function loadHlsJs() {
  loading ??= new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = HLS_SCRIPT;
    script.onload = () => resolve(globalThis.Hls ?? null);
    script.onerror = () => resolve(null);
    document.head.append(script);
  });
  return loading;
}

/**
 * Plays the playlist at `url` in `video`. Resolves to {engine: 'hls.js'|'native', stop()};
 * rejects when this browser can play no HLS. `onFatal(err)` hears an error it gave up on.
 */
export async function playHls(video, url, onFatal = () => {}) {
  const Hls = await loadHlsJs();
  if (Hls?.isSupported()) {
    // Three segments (6 s) behind the live edge: a hiccup of the network does not stall it.
    const hls = new Hls({ liveSyncDurationCount: 3, enableWorker: true });
    let retries = 0;
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && retries < RETRIES) {
        retries += 1; // the server restarting, a phone between networks
        setTimeout(() => hls.startLoad(), RETRY_MS);
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && retries < RETRIES) {
        retries += 1;
        hls.recoverMediaError();
      } else {
        onFatal(new Error(`${data.type}: ${data.details}`));
      }
    });
    hls.on(Hls.Events.FRAG_LOADED, () => {
      retries = 0;
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    video.play().catch(() => {}); // muted-autoplay rules: the page asks for a click then
    return { engine: 'hls.js', stop: () => hls.destroy() };
  }
  if (video.canPlayType(HLS_TYPE)) {
    video.src = url;
    video.play().catch(() => {});
    return {
      engine: 'native',
      stop: () => {
        video.removeAttribute('src');
        video.load();
      },
    };
  }
  throw new Error('this browser plays no HLS');
}
