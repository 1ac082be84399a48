// Asks the server for the videos this page shows (the grid's page of cameras) and everyone's
// sound: set_subscriptions with `video` (docs/protocol.md). No DOM here.

// Turning pages quickly asks once, for where the person stopped.
const SETTLE_MS = 250;

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
    this.timer = null;
    grid.addEventListener('visiblechange', () => this._soon());
  }

  /** After a (re)join: the new connection receives everything until told otherwise. */
  resync() {
    this.sent = undefined;
    this._soon();
  }

  /** Someone started or stopped sharing a screen: a screen is always shown, so asked for. */
  tracksChanged() {
    this._soon();
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
  }
}
