// Entry point of /lesson/<room> (and of /lesson?token=… links, which become /lesson/<room> at
// once): ties the protocol client, local media and the page together.

import * as api from './api.js';
import { ApiError } from './api.js';
import { Translator } from './i18n.js';
import { getLocalMedia, getScreen, stopStream } from './media.js';
import { playHls } from './stream.js';
import { askHostLeaving } from './hosting.js';
import { Whiteboard } from './board.js';
import { Breakouts } from './breakout.js';
import { MaterialStage } from './materials.js';
import { RoomState } from './moderation.js';
import {
  CLOSE_ENDED, CLOSE_REMOVED, CLOSE_REPLACED, CLOSE_SIGNED_OUT, ClassroomClient, ServerError,
} from './protocol.js';
import { RoomView } from './roomview.js';
import { VideoSubscriptions } from './seen.js';
import {
  decodeToken, forgetRoomToken, keepRoomToken, lessonPath, roomOfPath, roomToken,
} from './room-token.js';
import { LessonUI } from './ui.js';

// After a lost connection: quick retries first (a phone switching networks), every 2 s while
// the server keeps our place (its resume window, 30 s), then every 10 s.
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000,
  2000, 2000, 2000, 2000, 4000, 8000, 10000];
// Errors that no retry can fix: the person needs a new link or the teacher's help.
const FINAL_JOIN_ERRORS = new Set(['bad_token', 'token_expired', 'not_allowed', 'signed_out']);
// The lesson is over for this person, for good: the end screen says why (ui.showEnd kinds).
const END_KINDS = {
  session_ended: 'sessionEnded', removed: 'removed', lobby_denied: 'denied', signed_out: 'signedOut',
};
// The server lets the newest connection of a person win and closes the older one. A drop this
// soon after joining, again and again, means two devices are taking turns: stop retrying.
const QUICK_DROP_MS = 15000;
const QUICK_DROPS_TO_GIVE_UP = 3;
// How long a "the same person is joining in another tab" notice explains the next drop.
const REPLACED_NOTICE_MS = 10000;

const VIEW_KEY = 'classroom.view';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Lesson {
  constructor({ token, refusal = null, ui, translator }) {
    this.weakLinkShown = false;
    this.resumeToken = null;
    this.serverRestarting = false;
    this.token = token;
    this.refusal = refusal; // [i18n key, params, sign-in?] when no token could be had
    this.ui = ui;
    this.t = translator;
    this.claims = token ? decodeToken(token) : null;
    this.client = null;
    this.stream = null;
    this.screenTrack = null;
    this.micOn = true;
    this.camOn = true;
    // preview → joining → live ⇄ reconnecting; → ended (left, or the lesson ended)
    this.phase = 'preview';
    this.joinedAt = 0;
    this.quickDrops = 0;
    this.ownIds = new Set();
    // Lock, hands, pin, lobby, polls, leave to unmute: what the server says of the room.
    this.room = new RoomState();
    this.roomView = new RoomView({
      room: this.room,
      ui,
      client: () => this.client,
      // Joined is enough: the page works while our own camera is still being published.
      isLive: () => this.client?.state === 'joined' && this.phase !== 'ended',
      showError: (err) => ui.toast(...errorMessage(err, this.t)),
      onHandChange: () => this._applyLocalState(),
    });
    this.videos = new VideoSubscriptions({ grid: ui.grid, client: () => this.client });
    // A material (a PDF) on the stage: the cameras become a strip beside it (materials.js).
    this.materials = new MaterialStage({
      translator,
      toast: (...args) => ui.toast(...args),
      onStage: () => this._stageTaken(),
    });
    // The whiteboard: over the material's page, or a blank board a host opens (board.js).
    this.board = new Whiteboard({
      translator,
      toast: (...args) => ui.toast(...args),
      material: () => this.materials.shown,
      onStage: () => this._stageTaken(),
    });
    // Breakout groups: the host's section of the class panel, everyone's banner (breakout.js).
    this.breakouts = new Breakouts({
      translator,
      toast: (...args) => ui.toast(...args),
      showError: (err) => ui.toast(...errorMessage(err, this.t)),
      grid: ui.grid,
      chat: ui.chat,
    });
    this.room.addEventListener('mutedbyhost', (ev) => this._mutedByHost(ev.detail));
    this.room.addEventListener('unmuteallowed', () => {
      this._applyLocalState();
      ui.toast('moderation.unmuteAllowed', null, 'info');
    });

    // Tabs of this browser tell each other when they join, so the tab that the server closes
    // because the same person joined elsewhere knows why, and does not fight back by rejoining.
    this.identity = this.claims?.sub ?? token;
    this.tabId = Math.random().toString(36).slice(2);
    this.replacedAt = 0;
    this.tabs = globalThis.BroadcastChannel ? new BroadcastChannel('classroom-lesson') : null;
    this.tabs?.addEventListener('message', (ev) => {
      const { type, identity, tabId } = ev.data || {};
      if (type === 'joining' && identity === this.identity && tabId !== this.tabId) {
        this.replacedAt = Date.now();
      }
    });

    ui.addEventListener('join', () => this.join());
    ui.addEventListener('toggleview', () => this._setView(ui.grid.view === 'grid' ? 'speaker' : 'grid'));
    ui.addEventListener('rejoin', () => this.rejoin());
    ui.addEventListener('togglemic', () => this.toggleMic());
    ui.addEventListener('togglecam', () => this.toggleCamera());
    ui.addEventListener('togglescreen', () => this.toggleScreen());
    ui.addEventListener('leave', () => this.leaveAsked());
    ui.addEventListener('chat', (ev) => this.sendChat(ev.detail.text));
    ui.addEventListener('resumeaudio', async () => {
      if (await ui.grid.resumeAudio()) ui.showSoundBanner(false);
    });
  }

  get micTrack() {
    return this.stream?.getAudioTracks()[0] || null;
  }

  get camTrack() {
    return this.stream?.getVideoTracks()[0] || null;
  }

  async preview() {
    this.phase = 'preview';
    this.ui.show('join');
    if (this.claims) this.ui.setIdentity(this.claims);
    if (!this.token) {
      const [key, params, signIn] = this.refusal || ['join.noToken'];
      this.ui.disableJoin(key, params);
      this.ui.setRefused();
      if (signIn) this.ui.offerSignIn(`/signin?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    if (this.claims?.grants?.publish === false) {
      // An event's audience: nothing to send, so no camera or microphone prompt at all.
      this.micOn = false;
      this.camOn = false;
      this.ui.setWatchOnly();
      return;
    }
    const music = this.claims?.music === true;
    if (music) this.ui.setMusicMode();
    const { stream, errorKey } = await getLocalMedia({ music });
    this.stream = stream;
    this.ui.setPreview(stream);
    this.ui.showMediaError(errorKey);
    this._applyLocalState();
  }

  async join() {
    if (this.phase !== 'preview') return;
    this.phase = 'joining';
    this.ui.showJoinError(null);
    this.ui.setJoinBusy(true);
    let error = null;
    try {
      await this._connect();
    } catch (err) {
      error = err;
    }
    this.ui.setJoinBusy(false);
    if (this.phase !== 'joining') return; // left meanwhile
    if (error instanceof ServerError && END_KINDS[error.code]) {
      this._end(END_KINDS[error.code]); // removed earlier, turned away, or the lesson is over
      return;
    }
    if (error instanceof ServerError && this._streamInstead(error.code)) {
      await this._watchStream(error.code);
      return;
    }
    if (error) {
      this.phase = 'preview';
      this.ui.show('join');
      const [key, params] = errorMessage(error, this.t);
      // Pressing Join again cannot fix a bad or expired link; a reload asks for a new token.
      if (error instanceof ServerError && FINAL_JOIN_ERRORS.has(error.code)) {
        if (this.claims?.room) forgetRoomToken(this.claims.room);
        this.ui.disableJoin(key);
      }
      else this.ui.showJoinError(key, params);
      return;
    }
    this.phase = 'live';
    // The socket may already have dropped while we were publishing.
    if (this.client.state !== 'joined') this._reconnect();
  }

  /** An event's audience plays the HLS when the room refuses them a WebRTC place. */
  _streamInstead(code) {
    const watcher = this.claims?.grants?.publish === false && Boolean(this.claims?.hls);
    return watcher && (code === 'use_hls' || code === 'room_full');
  }

  async _watchStream(reason) {
    this.phase = 'stream';
    this.client?.close();
    this.client = null;
    const video = this.ui.showStream(this.claims.title || this.claims.room, reason);
    video.addEventListener('ended', () => this.ui.streamNote('stream.ended'));
    try {
      this.player = await playHls(video, this.claims.hls, () => this.ui.streamNote('stream.failed'));
    } catch {
      this.ui.streamNote('stream.unsupported');
    }
  }

  /** One full connection: join, show the room, publish. Used by join and by reconnects. */
  async _connect() {
    const client = new ClassroomClient({ token: this.token, resumeToken: this.resumeToken });
    this._listen(client);
    this.client = client;
    this.tabs?.postMessage({ type: 'joining', identity: this.identity, tabId: this.tabId });
    const joined = await client.join();
    this.resumeToken = joined.resumeToken ?? null;
    this.joinedAt = Date.now();
    if (this.phase === 'ended') {
      client.close(); // left while we were connecting
      return;
    }

    const { grid, chat } = this.ui;
    grid.clear();
    this.room.attach(client, joined);
    this.materials.attach(client, joined);
    this.board.attach(client, joined);
    this.breakouts.attach(client, joined);
    this.ui.polls.present = () => [...client.participants.values()];
    // Muted by a host without leave to unmute (before a reconnect, say): the server starts our
    // microphone muted, so it must not look on here.
    if (!this.room.canUnmute) this.micOn = false;
    this.roomView.show();
    this.videos.resync();
    this._setView(this._savedView());
    // An event's audience is not on the stage: no tile of their own.
    if (client.grants.publish || client.grants.moderate) grid.setSelf(joined.self, this.camTrack);
    if (this.screenTrack) grid.setSelfScreen(this.screenTrack, joined.self.name);
    for (const participant of client.participants.values()) grid.upsert(participant);
    this.ui.setRoomTitle(joined.title || joined.room);
    this._updateCount();
    // The server replays the recent chat to whoever joins (and rejoins): show exactly that.
    if (this.phase === 'joining' || Array.isArray(joined.chat)) chat.clear();
    this.ownIds.add(joined.self.id); // a reconnect gets a new id; old messages stay ours
    for (const message of Array.isArray(joined.chat) ? joined.chat : []) {
      chat.add(message, this.ownIds.has(message.from?.id), { replayed: true });
    }
    this.ui.show('lesson');
    this._applyLocalState();

    if (client.grants.publish && (this.stream || this.screenTrack)) {
      try {
        await client.publish({ microphone: this.micTrack, camera: this.camTrack });
        // Preview toggles carry over: the server must know, so it forwards nothing.
        if (this.micTrack && !this.micOn) await client.setMuted('microphone', true);
        if (this.camTrack && !this.camOn) await client.setMuted('camera', true);
        if (this.screenTrack) await client.startScreenShare(this.screenTrack);
      } catch (err) {
        // Still in the lesson: the pupil can watch and listen even if sending failed.
        if (client === this.client && client.state === 'joined') {
          this.ui.toast(...errorMessage(err, this.t));
        }
      }
    }
  }

  _listen(client) {
    const { ui } = this;
    const on = (type, handler) =>
      client.addEventListener(type, (ev) => {
        if (client === this.client) handler(ev.detail); // ignore a replaced client's last words
      });

    on('participantjoined', ({ participant }) => {
      ui.grid.upsert(participant);
      ui.grid.setMedia(participant, client.remoteTracks().get(participant.id) || []);
      ui.chat.system('chat.joined', { name: participant.name });
      this._updateCount();
      ui.polls.refresh(); // one more who may not have answered
    });
    on('audience', () => this._updateCount());
    on('participantleft', ({ participantId, participant }) => {
      ui.grid.remove(participantId);
      ui.chat.system('chat.left', { name: participant.name });
      this._updateCount();
      ui.polls.refresh();
    });
    on('participantupdated', ({ participant }) => {
      ui.grid.upsert(participant);
      this.videos.tracksChanged(); // a screen shared or stopped off this page
    });
    on('remotetracks', ({ byParticipant }) => {
      for (const participant of client.participants.values()) {
        ui.grid.setMedia(participant, byParticipant.get(participant.id) || []);
      }
    });
    on('chat', (message) => ui.chat.add(message, this.ownIds.has(message.from?.id)));
    on('serverrestarting', () => {
      this.serverRestarting = true; // the reconnect loop keeps this notice until we are back
    });
    on('videoquality', ({ participantId, source, quality }) => {
      ui.grid.setQuality(participantId, source, quality);
      if (quality !== 'full' && !this.weakLinkShown) {
        this.weakLinkShown = true; // once per lesson: the tiles say the rest
        ui.toast('quality.weakLink', null, 'info');
      }
    });
    on('waitingroom', ({ kind }) => ui.showWaiting(kind));
    on('farewell', ({ reason, why, minutes }) => {
      if (this.phase === 'ended' || !END_KINDS[reason]) return;
      if (reason === 'session_ended' && why === 'no_host') this._end('noHost', { minutes });
      else this._end(END_KINDS[reason]);
    });
    on('servererror', ({ error }) => ui.toast(...errorMessage(error, this.t)));
    on('pcstate', ({ state }) => {
      if (this.phase !== 'live') return;
      if (state === 'failed') this._reconnect();
      else if (state === 'disconnected') ui.setStatus('status.mediaProblem', null, 'warn');
      else if (state === 'connected') ui.setStatus(null);
    });
    on('close', ({ expected, code }) => {
      if (expected || this.phase !== 'live') return; // joins and reconnects handle their own drops
      this.quickDrops = Date.now() - this.joinedAt < QUICK_DROP_MS ? this.quickDrops + 1 : 0;
      if (code === CLOSE_REPLACED || Date.now() - this.replacedAt < REPLACED_NOTICE_MS) {
        this._end('replaced');
      } else if (code === CLOSE_ENDED) this._end('sessionEnded');
      else if (code === CLOSE_REMOVED) this._end(client.farewell === 'lobby_denied' ? 'denied' : 'removed');
      else if (code === CLOSE_SIGNED_OUT) this._end('signedOut');
      else if (code >= 4000 && code < 5000) this._end('ended'); // the server closed it on purpose
      else if (this.quickDrops >= QUICK_DROPS_TO_GIVE_UP) this._end('unstable');
      else this._reconnect();
    });
  }

  /** Rejoins with the same token and the same camera after the socket or the media dropped. */
  async _reconnect() {
    if (this.phase !== 'live') return;
    this.phase = 'reconnecting';
    const notice = this.serverRestarting ? 'status.serverRestarting' : 'status.reconnecting';
    this.ui.setStatus(notice, null, 'warn');
    this.client?.close();
    this.ui.grid.detachRemoteMedia();
    for (let attempt = 0; this.phase === 'reconnecting'; attempt++) {
      await sleep(RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)]);
      if (this.phase !== 'reconnecting') return;
      try {
        await this._connect();
        if (this.phase !== 'reconnecting') return;
        if (this.client.state !== 'joined') continue; // dropped again while publishing
        this.phase = 'live';
        this.serverRestarting = false;
        this.ui.setStatus(null);
        return;
      } catch (err) {
        if (this.phase !== 'reconnecting') return;
        if (err instanceof ServerError && END_KINDS[err.code]) {
          this._end(END_KINDS[err.code]);
          return;
        }
        if (err instanceof ServerError && FINAL_JOIN_ERRORS.has(err.code)) {
          this._end('ended');
          this.ui.toast(...errorMessage(err, this.t));
          return;
        }
        // Locked while we were away: keep knocking, the teacher may unlock.
        if (err instanceof ServerError && err.code === 'room_locked') {
          this.ui.show('lesson');
          this.ui.setStatus('status.lockedOut', null, 'warn');
        }
      }
    }
  }

  async toggleMic() {
    if (!this.micTrack) return;
    if (!this.micOn && this._micLocked) return; // the button is disabled; a keyboard may still try
    this.micOn = !this.micOn;
    this._applyLocalState();
    const ok = await this._sendMute('microphone', !this.micOn);
    if (!ok && this.micOn && this.phase === 'live') {
      // The server keeps it muted (a host's mute crossed our click): show it off, as it is.
      this.micOn = false;
      this._applyLocalState();
    }
  }

  /** A host may forbid unmuting; only after we joined (the preview's toggle is ours). */
  get _micLocked() {
    return this.client?.state === 'joined' && !this.room.canUnmute;
  }

  async toggleCamera() {
    if (!this.camTrack) return;
    this.camOn = !this.camOn;
    this._applyLocalState();
    await this._sendMute('camera', !this.camOn);
  }

  /** Tells the server; false if it refused (the toast says why). */
  async _sendMute(source, muted) {
    if (this.phase !== 'live' || !this.client) return true;
    try {
      await this.client.setMuted(source, muted);
      return true;
    } catch (err) {
      const micLocked = err instanceof ServerError && err.code === 'not_allowed' && source === 'microphone';
      if (micLocked) this.ui.toast('moderation.micLocked');
      else this.ui.toast(...errorMessage(err, this.t));
      return false;
    }
  }

  async toggleScreen() {
    if (this.phase !== 'live') return;
    if (this.screenTrack) {
      await this._stopScreen();
      return;
    }
    let track;
    try {
      track = await getScreen();
    } catch (err) {
      if (err?.name !== 'NotAllowedError') this.ui.toast('screen.failed'); // NotAllowed = cancelled
      return;
    }
    this.screenTrack = track;
    // The browser's own "Stop sharing" button ends the track without asking us.
    track.addEventListener('ended', () => this._stopScreen());
    this.ui.grid.setSelfScreen(track, this.client.self.name);
    this._applyLocalState();
    try {
      await this.client.startScreenShare(track);
    } catch (err) {
      this.ui.toast(...errorMessage(err, this.t));
      await this._stopScreen();
    }
  }

  async _stopScreen() {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    this.ui.grid.setSelfScreen(null);
    this._applyLocalState();
    try {
      await this.client?.stopScreenShare();
    } catch (err) {
      if (this.phase === 'live') this.ui.toast(...errorMessage(err, this.t));
    }
  }

  /** Leave pressed: a host in the room chooses between leaving and ending it for everyone. */
  async leaveAsked() {
    if (this.phase !== 'live' || !this.room.isHost) return this.leave();
    const choice = await askHostLeaving();
    if (choice === 'leave') return this.leave();
    if (choice !== 'end') return undefined;
    try {
      await this.room.endForEveryone(); // the server then closes our socket too: 'sessionEnded'
    } catch (err) {
      this.ui.toast(...errorMessage(err, this.t));
    }
    return undefined;
  }

  /** Grid (everyone alike) or speaker view (the person speaking large); remembered here. */
  /** A material or the blank whiteboard takes the stage: the cameras become a strip. */
  _stageTaken() {
    const on = Boolean(this.materials?.shown) || Boolean(this.board?.onBlank);
    document.getElementById('grid').parentElement.classList.toggle('material-on', on);
    this.ui.grid.setMaterial(on);
    this.board?.place();
  }

  _setView(view) {
    this.ui.grid.setView(view);
    this.ui.setViewToggle(view);
    try {
      localStorage.setItem(VIEW_KEY, view);
    } catch {
      /* storage disabled: this page keeps it */
    }
  }

  _savedView() {
    try {
      return localStorage.getItem(VIEW_KEY) === 'speaker' ? 'speaker' : 'grid';
    } catch {
      return 'grid';
    }
  }

  async leave() {
    if (this.phase === 'ended') return;
    const client = this.client;
    this.client = null; // so that _end() does not drop the socket before 'leave' is sent
    this._end('left');
    await client?.leave();
  }

  /** The lesson is over for this page without the person asking: say why, offer to rejoin. */
  _end(kind, params) {
    this.phase = 'ended';
    this.player?.stop();
    this.player = null;
    this.client?.close();
    this.room.reset();
    this.room.client = null;
    this.materials.reset();
    this.board.reset();
    this.breakouts.reset();
    this.ui.resetRoom();
    this.screenTrack?.stop();
    this.screenTrack = null;
    this._stopLocalMedia();
    this.ui.grid.clear();
    this.ui.setStatus(null);
    this.ui.setParticipantCount(0);
    this.ui.setViewToggle(null);
    this.ui.showEnd(kind, params);
  }

  async rejoin() {
    this.client = null;
    this.quickDrops = 0;
    this.replacedAt = 0;
    await this.preview();
  }

  async sendChat(text) {
    if (this.phase !== 'live') return;
    try {
      await this.client.request('chat', { text });
      this.ui.chat.sent();
    } catch (err) {
      this.ui.toast(...errorMessage(err, this.t));
    }
  }

  _stopLocalMedia() {
    stopStream(this.stream);
    this.stream = null;
    this.ui.setPreview(null);
  }

  /** Pushes mic / camera / screen state to the tracks, the buttons and our own tile. */
  _applyLocalState() {
    if (this.micTrack) this.micTrack.enabled = this.micOn;
    if (this.camTrack) this.camTrack.enabled = this.camOn;
    this.ui.setControls({
      micOn: this.micOn,
      camOn: this.camOn,
      screenOn: Boolean(this.screenTrack),
      canPublish: this.client?.state === 'joined' ? this.client.grants.publish : true,
      hasMic: Boolean(this.micTrack),
      hasCam: Boolean(this.camTrack),
      micLocked: this._micLocked,
      handRaised: this.room.hands.includes(this.room.selfId),
    });
    this.ui.grid.setSelfState({ cameraOn: this.camOn, micMuted: !this.micOn || !this.micTrack });
  }

  /** A host turned off one of our sources at the server: show it off here too, and say so. */
  _mutedByHost({ source, canUnmute }) {
    if (source === 'microphone') {
      this.micOn = false;
      this.ui.toast(canUnmute ? 'moderation.mutedCanUnmute' : 'moderation.muted', null, 'info');
    } else if (source === 'camera') {
      this.camOn = false;
      this.ui.toast('moderation.cameraOff', null, 'info');
    } else if (source === 'screen') {
      this._stopScreen();
      this.ui.toast('moderation.screenStopped', null, 'info');
    }
    this._applyLocalState();
  }

  _updateCount() {
    // Everyone on the stage (us included, unless we only watch), and an event's audience.
    const client = this.client;
    const watching = client?.grants && !client.grants.publish && !client.grants.moderate;
    this.ui.setParticipantCount(client ? client.participants.size + (watching ? 0 : 1) : 0);
    this.ui.setAudienceCount(client ? client.audience : 0);
  }

  /** For browser tests: receive counters per remote participant and the names on screen. */
  async stats() {
    const client = this.client;
    const perParticipant = client && client.state === 'joined' ? await client.stats() : {};
    for (const [id, entry] of Object.entries(perParticipant)) {
      entry.name = client.participants.get(id)?.name ?? null;
    }
    const { room } = this;
    const video = this.player ? document.getElementById('stream-video') : null;
    return {
      phase: this.phase,
      stream: video && {
        engine: this.player.engine,
        currentTime: video.currentTime,
        framesDecoded: video.getVideoPlaybackQuality().totalVideoFrames,
        width: video.videoWidth,
        height: video.videoHeight,
      },
      self: client?.self ?? null,
      participants: perParticipant,
      names: this.ui.grid.names(),
      micOn: this.micOn,
      routes: client && client.state === 'joined' ? await client.routes() : {},
      sent: client && client.state === 'joined' ? await client.sentLayers() : [],
      room: {
        host: room.isHost,
        locked: room.locked,
        hands: room.hands,
        pinned: room.pinned,
        pinnedSource: room.pinnedSource,
        canUnmute: room.canUnmute,
        lobby: room.lobby,
        polls: [...room.polls.values()],
      },
      breakout: this.breakouts.state,
    };
  }
}

/** [i18n key, params] for an error from the server or the network. */
function errorMessage(err, translator) {
  const code = err instanceof ServerError ? err.code : null;
  if (code && translator.has(`error.${code}`)) return [`error.${code}`];
  return ['error.unknown', { message: err?.message || String(err) }];
}

/**
 * This page's room token, and an address with no identity in it. A link's `?token=` is kept in
 * this tab and leaves the address bar at once; /lesson/<room> without a token of this tab's
 * asks the server for one with the person's own sign-in, and the policy decides.
 * Resolves to {token} or {refusal: [i18n key, params, offer sign-in]}.
 */
async function roomAccess(params) {
  const linked = params.get('token');
  if (linked) {
    const room = decodeToken(linked)?.room;
    const url = new URL(location.href);
    url.searchParams.delete('token');
    url.searchParams.delete('autojoin'); // a copied address must not join its opener unasked
    if (typeof room === 'string' && room) {
      keepRoomToken(room, linked);
      url.pathname = lessonPath(room);
    }
    history.replaceState(null, '', url);
    return { token: linked };
  }
  const room = roomOfPath(location.pathname);
  if (!room) return { refusal: ['join.noToken'] };
  const kept = roomToken(room);
  if (kept) return { token: kept };
  try {
    const admission = await api.joinSession(room);
    keepRoomToken(room, admission.token);
    return { token: admission.token };
  } catch (err) {
    if (err instanceof ApiError && err.signedOut) return { refusal: ['join.signIn', null, true] };
    const code = err instanceof ApiError ? err.code : null;
    if (code === 'forbidden' || code === 'not_found' || code === 'session_ended') {
      return { refusal: [`join.refused.${code}`] };
    }
    return { refusal: ['error.unknown', { message: err?.message || String(err) }] };
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const autojoin = params.get('autojoin') === '1';
  const translator = new Translator();
  // Keep the chosen language in the address, so a reload (or a reconnect) keeps it.
  translator.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('lang', translator.lang);
    history.replaceState(null, '', url);
  });
  const ui = new LessonUI(translator);
  const { token, refusal } = await roomAccess(params);
  const lesson = new Lesson({ token, refusal, ui, translator });

  globalThis.classroom = {
    get client() {
      return lesson.client;
    },
    lesson,
    stats: () => lesson.stats(),
  };
  // Closing the tab closes the socket: the server treats that as leaving.
  addEventListener('pagehide', () => lesson.client?.leaveNow());

  lesson.preview().then(() => {
    if (autojoin && lesson.token) lesson.join();
  });
}

main();
