// The grid of people in the lesson: one tile per participant, one more for each screen share.
// Raised hands show as a badge with the queue position; the pinned tile is shown large; hosts
// get a menu button on everyone else's tile, and everyone on each shared screen (the menu itself
// is tilemenu.js's). Whom the server hears speaking gets a ring (`.speaking`,
// `data-speaking="true"`) and a labelled mark.

import { pageOf, perPage } from './gallery.js';
import { icon } from './icons.js';

/** The key of `participantId`'s screen-share tile (a person's own tile is keyed by their id). */
export function screenKey(participantId) {
  return `${participantId}:screen`;
}

/** Initials for the avatar shown when someone's camera is off. */
function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => w[0].toUpperCase());
  return letters.join('') || '?';
}

/** A soft colour per person, stable across reloads, so faces without video are told apart. */
function hue(text) {
  let h = 0;
  for (const ch of String(text)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

class Tile {
  constructor({ key, participantId, name, role, isSelf, isScreen, translator }) {
    this.key = key;
    this.participantId = participantId;
    this.translator = translator;
    this.videoTrack = null;
    this.audioTrack = null;

    const el = document.createElement('div');
    el.className = 'tile';
    el.classList.toggle('self', isSelf);
    el.classList.toggle('screen', isScreen);
    el.classList.toggle('teacher', role === 'teacher');
    el.dataset.key = key;

    this.video = document.createElement('video');
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.muted = true; // sound goes through the <audio> below, so video may always autoplay
    el.append(this.video);

    this.avatar = document.createElement('div');
    this.avatar.className = 'avatar';
    el.append(this.avatar);

    const label = document.createElement('div');
    label.className = 'tile-label';
    this.micOff = document.createElement('span');
    this.micOff.className = 'mic-off';
    this.micOff.dataset.i18nTitle = 'tile.micMuted';
    this.micOff.append(icon('micOff'));
    this.micOff.hidden = true;
    this.nameEl = document.createElement('span');
    this.nameEl.className = 'name';
    label.append(this.micOff, this.nameEl);
    if (isSelf) {
      const you = document.createElement('span');
      you.className = 'you';
      you.dataset.i18n = 'tile.you';
      label.append(you);
    }
    this.badge = document.createElement('span');
    this.badge.className = 'badge';
    this.pinMark = document.createElement('span');
    this.pinMark.className = 'pin-mark';
    this.pinMark.dataset.i18nTitle = 'tile.pinned';
    this.pinMark.append(icon('pin'));
    this.pinMark.hidden = true;
    this.speakingMark = document.createElement('span');
    this.speakingMark.className = 'speaking-mark';
    this.speakingMark.dataset.i18nTitle = 'tile.speaking';
    this.speakingMark.append(icon('mic'));
    this.speakingMark.hidden = true;
    label.append(this.badge, this.pinMark, this.speakingMark);
    el.append(label);

    this.reconnectNote = document.createElement('span');
    this.reconnectNote.className = 'reconnect-note';
    this.reconnectNote.dataset.i18n = 'tile.reconnecting';
    this.reconnectNote.hidden = true;
    el.append(this.reconnectNote);

    // Our downlink cannot carry all of this video: say so, so a pupil knows it is their link.
    this.qualityNote = document.createElement('span');
    this.qualityNote.className = 'quality-note';
    this.qualityNote.hidden = true;
    el.append(this.qualityNote);

    // A raised hand: the icon and the place in the queue ("1" speaks first).
    this.hand = document.createElement('span');
    this.hand.className = 'hand-badge';
    this.hand.hidden = true;
    this.handNumber = document.createElement('span');
    this.hand.append(icon('hand'), this.handNumber);
    el.append(this.hand);

    // A host's menu on everyone else's tile; anyone's on a shared screen, their own too (pin it).
    if (!isSelf || isScreen) {
      this.menuButton = document.createElement('button');
      this.menuButton.type = 'button';
      this.menuButton.className = 'tile-menu-button';
      this.menuButton.setAttribute('aria-haspopup', 'menu');
      this.menuButton.append(icon('more'));
      el.append(this.menuButton);
    }

    if (!isSelf) {
      this.audio = document.createElement('audio');
      this.audio.autoplay = true;
      el.append(this.audio);
    }

    // Double-click (or double-tap) shows one tile on the whole screen: slides stay readable.
    el.addEventListener('dblclick', () => {
      if (document.fullscreenElement) document.exitFullscreen?.();
      else el.requestFullscreen?.().catch(() => {});
    });

    this.el = el;
    this.isScreen = isScreen;
    this.setIdentity(name, role);
    translator.apply(el);
  }

  setIdentity(name, role) {
    this.name = name;
    this.el.dataset.name = name;
    this.el.classList.toggle('teacher', role === 'teacher');
    this.avatar.textContent = initials(name);
    this.avatar.style.setProperty('--hue', hue(name));
    if (this.menuButton) {
      this.menuButton.dataset.i18nTitle = this.isScreen ? 'tile.screenMenu' : 'tile.menu';
      this.menuButton.dataset.i18nArgs = JSON.stringify({ name });
    }
    if (this.isScreen) {
      this.nameEl.dataset.i18n = 'tile.screen';
      this.nameEl.dataset.i18nArgs = JSON.stringify({ name });
    } else {
      this.nameEl.removeAttribute('data-i18n');
      this.nameEl.textContent = name;
    }
    // Teachers (and admins) carry a badge: a pupil must know whose word counts.
    const badgeKey = role === 'teacher' || role === 'admin' ? `role.${role}` : null;
    this.badge.hidden = !badgeKey;
    if (badgeKey) this.badge.dataset.i18n = badgeKey;
    this.translator.apply(this.el);
  }

  /** Shows `track` as video (null: the avatar). Returns without touching an unchanged track. */
  setVideo(track) {
    if (track === this.videoTrack) return;
    this.videoTrack = track;
    this.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) this.video.play().catch(() => {}); // muted video may always play
  }

  /** Plays `track` as sound; resolves false when the browser's autoplay policy blocked it. */
  async setAudio(track) {
    if (!this.audio || track === this.audioTrack) return true;
    this.audioTrack = track;
    this.audio.srcObject = track ? new MediaStream([track]) : null;
    if (!track) return true;
    return this.resumeAudio();
  }

  async resumeAudio() {
    if (!this.audio || !this.audio.srcObject) return true;
    try {
      await this.audio.play();
      return true;
    } catch (err) {
      return err?.name !== 'NotAllowedError';
    }
  }

  setCameraOn(on) {
    this.el.classList.toggle('video-off', !on);
  }

  /** Their connection dropped and they are on their way back: not gone, not frozen either. */
  setReconnecting(on) {
    this.el.classList.toggle('reconnecting', on);
    this.reconnectNote.hidden = !on;
  }

  /** "full", "reduced" (fewer frames per second) or "paused" (our connection is too slow). */
  setQuality(quality) {
    const note = quality === 'reduced' || quality === 'paused' ? `quality.${quality}` : null;
    this.el.classList.toggle('video-paused', quality === 'paused');
    this.qualityNote.hidden = !note;
    if (note) {
      this.qualityNote.dataset.i18n = note;
      this.translator.apply(this.qualityNote);
    }
  }

  setMicMuted(muted) {
    this.micOff.hidden = !muted;
  }

  /** Place in the queue of raised hands (1 = first), or 0 for none. */
  setHand(position) {
    this.hand.hidden = !position;
    this.handNumber.textContent = position ? String(position) : '';
    this.hand.dataset.i18nTitle = 'tile.hand';
    this.hand.dataset.i18nArgs = JSON.stringify({ position });
    this.translator.apply(this.hand);
  }

  /** The server hears this person speak now (the room's active speaker). */
  setSpeaking(speaking) {
    this.el.classList.toggle('speaking', speaking);
    this.el.dataset.speaking = String(speaking);
    this.speakingMark.hidden = !speaking;
  }

  /** 'room' (a host pinned it for everyone), 'local' (pinned on this page) or null. */
  setPinned(how) {
    this.el.classList.toggle('pinned', Boolean(how));
    this.el.dataset.pin = how || '';
    this.pinMark.hidden = !how;
    this.pinMark.dataset.i18nTitle = how === 'local' ? 'tile.pinnedHere' : 'tile.pinned';
    this.translator.apply(this.pinMark);
  }

  /** Shown large, the others in a strip (the pinned person, a shared screen, the speaker). */
  setStaged(staged) {
    this.el.classList.toggle('staged', staged);
    this.el.style.order = staged ? -1 : this.order;
  }

  destroy() {
    this.video.srcObject = null;
    if (this.audio) this.audio.srcObject = null;
    this.el.remove();
  }
}

export class ParticipantGrid extends EventTarget {
  /** Emits 'audioblocked' when the browser refuses to play someone's sound without a click. */
  constructor(container, translator) {
    super();
    this.container = container;
    this.translator = translator;
    /** key → Tile; the key is the participant id, or `<id>:screen` for a screen share. */
    this.tiles = new Map();
    this.selfId = null;
    this.hands = [];
    this.pinned = null; // the tile a host pinned for everyone (a participant id or a screenKey)
    this.localPin = null; // the tile pinned on this page only, until a host pins another
    this.speaker = null;
    this.broughtIn = null; // the last speaker who was off the page, brought onto the first
    this.view = 'grid';
    this.material = false; // a material takes the stage (materials.js)
    this.lastSpeaker = null;
    // A page of the class's cameras at a time (gallery.js); the pager sits under the grid.
    this.page = 0;
    this.width = globalThis.innerWidth || 1280;
    this.shownKeys = null;
    this.scope = null; // breakout groups: the participant ids this page shows (null: everyone)
    this.joined = 0; // tiles made so far: the join order within a role
    // A tile drawn at another size (a page turned, a stage, a rotated phone) is sent another
    // simulcast layer: the server is told the sizes ('sizechange', seen.js).
    this.resizes = globalThis.ResizeObserver
      ? new ResizeObserver(() => this.dispatchEvent(new CustomEvent('sizechange')))
      : null;
    const doc = container.ownerDocument;
    this.pager = doc.getElementById('pager');
    doc.getElementById('pager-prev')?.addEventListener('click', () => this.turn(-1));
    doc.getElementById('pager-next')?.addEventListener('click', () => this.turn(1));
    globalThis.addEventListener?.('resize', () => {
      const before = perPage(this.width);
      this.width = globalThis.innerWidth;
      if (perPage(this.width) !== before) this._relayout();
    });
    // Tile menus: the grid reports which button was pressed, roomview.js opens the menu.
    container.addEventListener('click', (ev) => {
      const button = ev.target.closest?.('.tile-menu-button');
      const tile = this.tiles.get(button?.closest('.tile')?.dataset.key);
      if (!tile) return;
      const detail = { key: tile.key, participantId: tile.participantId, isScreen: tile.isScreen, button };
      this.dispatchEvent(new CustomEvent('tilemenu', { detail }));
    });
  }

  /** Hosts see a menu button on everyone else's tile. */
  setHosting(hosting) {
    this.container.classList.toggle('hosting', hosting);
  }

  /** Raised hands, first raised first: each tile shows its place in the queue. */
  setHands(queue) {
    this.hands = [...queue];
    for (const tile of this.tiles.values()) {
      tile.setHand(tile.isScreen ? 0 : this.hands.indexOf(tile.key) + 1);
    }
  }

  /** The tile a host pinned for everyone: a participant id, or a screenKey (null: none). A new
   * one replaces this page's own pin (the teacher asks the class to look there now); a pin that
   * ends (its person left, its share stopped) leaves it. */
  setPinned(key) {
    if (key && key !== this.pinned) this.localPin = null;
    this.pinned = key;
    this._showPins();
  }

  /** The tile pinned on this page only (null: none); it takes the stage over a host's pin. */
  setLocalPin(key) {
    this.localPin = key;
    this._showPins();
  }

  _showPins() {
    for (const tile of this.tiles.values()) tile.setPinned(this._pinOf(tile.key));
    this._relayout();
  }

  _pinOf(key) {
    if (key === this.localPin) return 'local';
    return key === this.pinned ? 'room' : null;
  }

  /** The room's active speaker (null: nobody speaks); a screen share's tile is not them. */
  setSpeaker(participantId) {
    this.speaker = participantId;
    if (participantId) this.lastSpeaker = participantId;
    for (const tile of this.tiles.values()) tile.setSpeaking(tile.key === participantId);
    // Someone off this page speaks: they come on screen (first, after the pinned person) and
    // stay until another unseen speaker takes their place; someone on screen does not move.
    const tile = this.tiles.get(participantId);
    if (tile?.el.classList.contains('off-page')) {
      this.broughtIn = participantId;
      this.page = 0;
    }
    if (tile?.el.classList.contains('off-page') || this.view === 'speaker') this._relayout();
  }

  setSelf(self, videoTrack) {
    this.selfId = self.id;
    const tile = this._tile(self.id, self.name, self.role, { isSelf: true });
    tile.setVideo(videoTrack);
    this.setSelfState({ cameraOn: Boolean(videoTrack), micMuted: false });
  }

  setSelfState({ cameraOn, micMuted }) {
    const tile = this.tiles.get(this.selfId);
    if (!tile) return;
    if (cameraOn !== undefined) tile.setCameraOn(cameraOn && Boolean(tile.videoTrack));
    if (micMuted !== undefined) tile.setMicMuted(micMuted);
  }

  /** Our own screen share, shown like everyone else's (null removes it). */
  setSelfScreen(track, name) {
    const key = screenKey(this.selfId);
    if (!track) return this._remove(key);
    const tile = this._tile(key, name, null, { isScreen: true, isSelf: true });
    tile.setVideo(track);
    tile.setCameraOn(true);
  }

  /** Adds or updates a remote participant's tile from a protocol `participant`. */
  upsert(participant) {
    const tile = this._tile(participant.id, participant.name, participant.role, {});
    tile.setIdentity(participant.name, participant.role);
    tile.setReconnecting(Boolean(participant.reconnecting));
    this._applyMuteState(participant);
  }

  /** What our downlink lets through of one person's camera or screen (see Tile.setQuality). */
  setQuality(participantId, source, quality) {
    const tile = this.tiles.get(source === 'screen' ? screenKey(participantId) : participantId);
    tile?.setQuality(quality);
  }

  remove(participantId) {
    this._remove(participantId);
    this._remove(screenKey(participantId));
  }

  /** Attaches what the subscribe connection carries for one person: [{source, kind, track}]. */
  setMedia(participant, tracks) {
    const bySource = new Map(tracks.map((t) => [t.source, t.track]));
    const tile = this._tile(participant.id, participant.name, participant.role, {});
    tile.setVideo(bySource.get('camera') || null);
    tile.setAudio(bySource.get('microphone') || null).then((ok) => {
      if (!ok) this.dispatchEvent(new Event('audioblocked'));
    });

    const screen = bySource.get('screen');
    const key = screenKey(participant.id);
    if (screen) {
      const screenTile = this._tile(key, participant.name, null, { isScreen: true });
      screenTile.setVideo(screen);
      screenTile.setCameraOn(true);
    } else {
      this._remove(key);
    }
    this._applyMuteState(participant);
  }

  _applyMuteState(participant) {
    const tile = this.tiles.get(participant.id);
    if (!tile) return;
    const camera = participant.tracks.find((t) => t.source === 'camera');
    const mic = participant.tracks.find((t) => t.source === 'microphone');
    tile.setCameraOn(Boolean(camera && !camera.muted && tile.videoTrack));
    tile.setMicMuted(!mic || mic.muted);
  }

  /** While reconnecting: the old connections are gone, so show faces, not frozen black frames. */
  detachRemoteMedia() {
    for (const tile of this.tiles.values()) {
      if (tile.el.classList.contains('self')) continue;
      tile.setVideo(null);
      tile.setAudio(null);
      tile.setCameraOn(false);
    }
    this.container.classList.add('stale');
  }

  /** Retries sound after a click (autoplay policies accept a user gesture). */
  async resumeAudio() {
    const results = await Promise.all([...this.tiles.values()].map((t) => t.resumeAudio()));
    return results.every(Boolean);
  }

  /** Names of the people shown (screen-share tiles not counted twice). */
  names() {
    return [...this.tiles.values()].filter((t) => !t.isScreen).map((t) => t.name);
  }

  clear() {
    for (const key of [...this.tiles.keys()]) this._remove(key);
    this.container.classList.remove('stale');
    this.hands = [];
    this.pinned = null;
    this.localPin = null;
    this.speaker = null;
    this.lastSpeaker = null;
    this.broughtIn = null;
    this.page = 0;
    this.shownKeys = null;
  }

  /** Breakout groups (breakout.js): only these participants' tiles (and ours) are shown;
   * null shows everyone again. The server forwards nothing of the others anyway. */
  setScope(ids) {
    const same = ids === this.scope
      || (ids && this.scope && ids.size === this.scope.size && [...ids].every((id) => this.scope.has(id)));
    if (same) return;
    this.scope = ids;
    this.page = 0;
    this._relayout();
  }

  /** A material is on the stage (materials.js): every camera is a strip tile beside it. */
  setMaterial(on) {
    this.material = on;
    this._relayout();
  }

  /** 'grid' (everyone alike) or 'speaker' (the person speaking large). */
  setView(view) {
    this.view = view;
    this._relayout();
  }

  _stageKey() {
    // In breakout groups, only a tile of our group goes on the stage (breakout.js).
    const seen = (key) => {
      const tile = this.tiles.get(key);
      return Boolean(tile) && (this.scope === null || tile.el.classList.contains('self')
        || this.scope.has(tile.participantId));
    };
    if (seen(this.localPin)) return this.localPin;
    if (seen(this.pinned)) return this.pinned;
    const screens = [...this.tiles.values()].filter((t) => t.isScreen && seen(t.key));
    const screen = screens.find((t) => !t.el.classList.contains('self')) || screens[0];
    if (screen) return screen.key;
    // The last one who spoke stays there through their pauses (the server clears the speaker
    // after 2 s of silence): the stage does not flip back and forth between sentences.
    if (this.view === 'speaker' && seen(this.lastSpeaker)) return this.lastSpeaker;
    return null;
  }

  /** The next (1) or previous (-1) page of the class. */
  turn(step) {
    this.page += step;
    this._relayout();
  }

  /** Each remote video on screen and the size it is drawn at: key → [w, h] (keys as in
   * `tiles`; tiles off the page or hidden are left out). In CSS pixels, doubled on screens of
   * 3 device pixels to one or more (LiveKit's adaptive stream does the same): a phone's
   * 183-pixel tile counted at its 3 device pixels each asks for 960x540, four of them 5 Mbit/s
   * on a pupil's mobile data; 480x270 looks as sharp at arm's length. */
  shownSizes() {
    const scale = (globalThis.devicePixelRatio || 1) >= 3 ? 2 : 1;
    const sizes = new Map();
    for (const tile of this.tiles.values()) {
      if (tile.el.classList.contains('self')) continue;
      const { width, height } = tile.video.getBoundingClientRect();
      if (width < 1 || height < 1) continue;
      sizes.set(tile.key, [Math.round(width * scale), Math.round(height * scale)]);
    }
    return sizes;
  }

  /** The remote cameras on screen now, or null when every one of them is. */
  shownParticipants() {
    return this.shownKeys;
  }

  _tile(key, name, role, { isSelf = false, isScreen = false }) {
    let tile = this.tiles.get(key);
    if (!tile) {
      const participantId = isScreen ? key.slice(0, -screenKey('').length) : key;
      tile = new Tile({ key, participantId, name, role, isSelf, isScreen, translator: this.translator });
      tile.setCameraOn(false);
      // Screen shares first (largest), then teachers, then pupils in joining order, us last.
      tile.order = isScreen ? 0 : role === 'teacher' ? 1 : isSelf ? 3 : 2;
      tile.joined = this.joined++;
      tile.setPinned(this._pinOf(key));
      tile.setSpeaking(key === this.speaker);
      tile.setHand(isScreen ? 0 : this.hands.indexOf(key) + 1);
      this.tiles.set(key, tile);
      this.container.append(tile.el);
      this.resizes?.observe(tile.el);
      this._relayout();
    }
    return tile;
  }

  _remove(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    this.resizes?.unobserve(tile.el);
    tile.destroy();
    this.tiles.delete(key);
    // A screen shared again later is a new one: this page's pin does not come back to it.
    if (key === this.localPin) this.localPin = null;
    this._relayout();
  }

  _relayout() {
    const hiddenCount = this._paginate();
    // The stylesheet picks the column count from this (see .grid[data-count] in style.css).
    const count = this.tiles.size - hiddenCount;
    this.container.dataset.count = count > 9 ? 'many' : String(count);
    this.container.classList.toggle('has-screen', [...this.tiles.values()].some((t) => t.isScreen));
    // One tile on the stage, the others in a strip of 3–6 below it: whoever a host pinned,
    // else a shared screen (what the class is asked to look at), else in speaker view the
    // person speaking.
    const stage = this.material ? null : this._stageKey();
    for (const tile of this.tiles.values()) tile.setStaged(tile.key === stage);
    const pinned = stage !== null && count > 1;
    this.container.classList.toggle('has-pinned', pinned);
    this.container.dataset.strip = String(Math.min(Math.max(count - 1, 3), 6));
  }

  /** Shows one page of the remote cameras (screens and our own tile always); tells
   * 'visiblechange' {participantIds} when what is on screen changed (null: everyone).
   * Returns how many tiles are off the page. */
  _paginate() {
    const scope = this.scope;
    let outside = 0;
    for (const tile of this.tiles.values()) {
      const out = scope !== null && !tile.el.classList.contains('self') && !scope.has(tile.participantId);
      tile.el.classList.toggle('out-of-scope', out);
      if (out) outside++;
    }
    const remote = [...this.tiles.values()]
      .filter((t) => !t.isScreen && t.key !== this.selfId && (scope === null || scope.has(t.participantId)))
      .sort((a, b) => a.order - b.order || a.joined - b.joined);
    const { shown, page, pages } = pageOf(remote.map((t) => t.key), {
      first: [this.localPin, this.pinned, this.broughtIn].filter(Boolean),
      size: perPage(this.width, this.material || this.view === 'speaker' || this._stageKey() !== null),
      page: this.page,
    });
    this.page = page;
    const onPage = new Set(shown);
    for (const tile of remote) tile.el.classList.toggle('off-page', !onPage.has(tile.key));
    if (this.pager) {
      this.pager.hidden = pages < 2;
      const label = this.pager.querySelector('.pager-label');
      if (label) label.textContent = `${page + 1} / ${pages}`;
      this.pager.querySelector('#pager-prev').disabled = page === 0;
      this.pager.querySelector('#pager-next').disabled = page === pages - 1;
    }
    const keys = pages < 2 ? null : shown;
    const before = this.shownKeys;
    const same = keys === before || (keys && before && keys.join() === before.join());
    if (!same) {
      this.shownKeys = keys;
      this.dispatchEvent(new CustomEvent('visiblechange', { detail: { participantIds: keys } }));
    }
    return remote.length - shown.length + outside;
  }
}
