// Asks the server for the videos this page shows (the grid's page of cameras) and everyone's
// sound: set_subscriptions with `video`; and tells it the size each video is drawn at, so a
// camera published in several sizes (simulcast) comes in the one that fits: set_video_sizes
// (docs/protocol.md). No DOM here.

// Turning pages quickly asks once, for where the person stopped.
const SETTLE_MS = 250;
// Sizes are rounded to the nearest step, so a tile growing by a few pixels asks nothing new.
// (Not up: the server lets a layer 15 % smaller than the tile cover it, and a phone's 137-pixel
// tile rounded up to 160 missed 240x135 by a pixel and took 480x270.)
const SIZE_STEP = 32;

export class VideoSubscriptions {
  /**
   * @param {object} options
   * @param {EventTarget & {shownParticipants(): string[]|null}} options.grid  emits 'visiblechange'
   * @param {() => object|null} options.client  the current ClassroomClient (it changes on reconnect)
   */
  constructor({ grid, client }) {
    this.grid = grid;
    this.client = client;
    this.sent = undefined; // what the server was last asked for (a key), undefined: nothing yet
    this.sentSizes = undefined;
    this.timer = null;
    this.sizeTimer = null;
    grid.addEventListener('visiblechange', () => this._soon());
    grid.addEventListener?.('sizechange', () => this._sizesSoon());
  }

  /** After a (re)join: the new connection receives everything until told otherwise. */
  resync() {
    this.sent = undefined;
    this.sentSizes = undefined;
    this._soon();
    this._sizesSoon();
  }

  /** Someone started or stopped sharing a screen: a screen is always shown, so asked for. */
  tracksChanged() {
    this._soon();
    this._sizesSoon();
  }

  _sizesSoon() {
    clearTimeout(this.sizeTimer);
    this.sizeTimer = setTimeout(() => this._sendSizes(), SETTLE_MS);
  }

  /** {trackId: [width, height]} of the videos drawn now (cameras by their tile's size). */
  _sizes(client) {
    const sizes = {};
    for (const [key, [width, height]] of this.grid.shownSizes?.() || []) {
      const [participantId, screen] = key.split(':');
      const source = screen === 'screen' ? 'screen' : 'camera';
      const track = client.participants.get(participantId)?.tracks
        ?.find((t) => t.kind === 'video' && t.source === source);
      if (!track) continue;
      const step = (v) => Math.max(SIZE_STEP, Math.round(v / SIZE_STEP) * SIZE_STEP);
      sizes[track.id] = [step(width), step(height)];
    }
    return sizes;
  }

  async _sendSizes() {
    const client = this.client();
    if (!client || client.state !== 'joined') return;
    const sizes = this._sizes(client);
    const key = JSON.stringify(Object.entries(sizes).sort());
    if (key === this.sentSizes) return;
    this.sentSizes = key;
    try {
      await client.request('set_video_sizes', { sizes });
    } catch {
      this.sentSizes = undefined; // the connection dropped: resync() will ask again
    }
  }

  _soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._send(), SETTLE_MS);
  }

  async _send() {
    const client = this.client();
    if (!client || client.state !== 'joined') return;
    const shown = this.grid.shownParticipants();
    let identities = null;
    if (shown) {
      const wanted = new Set(shown);
      // A screen is shown whatever the page: its sharer's videos come too.
      for (const [id, person] of client.participants) {
        if (person.tracks?.some((t) => t.source === 'screen')) wanted.add(id);
      }
      identities = [...wanted]
        .map((id) => client.participants.get(id)?.identity)
        .filter((identity) => typeof identity === 'string')
        .sort();
    }
    const key = JSON.stringify(identities);
    if (key === this.sent) return;
    this.sent = key;
    try {
      await client.request('set_subscriptions', { identities: null, video: identities });
    } catch {
      this.sent = undefined; // the connection dropped: resync() will ask again
    }
    this._sizesSoon(); // tiles shown now are drawn now
  }
}
