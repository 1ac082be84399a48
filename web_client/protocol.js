// The wire protocol of docs/protocol.md as an object: one WebSocket, two peer connections, no DOM.
//
// Events (CustomEvent, payload in `detail`):
//   state               {state: 'connecting'|'joined'|'closed'}
//   participantjoined   {participant}
//   participantleft     {participantId, participant}
//   participantupdated  {participant}              (tracks added / removed / muted)
//   track               {mid, participantId, trackId, kind, source, track}  (one new remote track)
//   remotetracks        {byParticipant: Map<participantId, RemoteTrack[]>}  (after every offer;
//                       a RemoteTrack is {mid, participantId, trackId, kind, source, track})
//   chat                {from: {id, name}, text, ts}
//   waitingroom         {kind: 'start'|'lobby', participantId?}  (join answered `waiting` / `lobby`:
//                       the join stays pending until `joined`)
//   farewell            {reason: 'removed'|'lobby_denied'|'session_ended'|'signed_out'}  (the socket closes next)
//   roomevent           {message}   (any other server event: hosts, hands, polls… see moderation.js)
//   servererror         {error: ServerError}       (errors that answer no pending request)
//   pcstate             {pc: 'publish'|'subscribe', state}
//   close               {code, reason, expected}   (the socket closed; `expected` after leave())

import { withStereoAnswer } from './sdp.js';

// The camera's simulcast layers, smallest first (the server orders them by these RIDs): a
// quarter and a half of the captured size, and the whole, at bitrates that keep each sharp.
const CAMERA_LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
];

/** An error the server sent (`code` is the protocol's stable code), or a local one like it. */
export class ServerError extends Error {
  constructor(code, message, requestId = null) {
    super(message || code);
    this.name = 'ServerError';
    this.code = code;
    this.requestId = requestId;
  }
}

// No trickle ICE: the whole offer/answer carries the candidates. On a LAN gathering finishes in
// milliseconds; an unreachable STUN/TURN server must not hold the lesson up forever.
const ICE_GATHERING_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 20000;

/** Close codes the server uses on purpose (docs/protocol.md): a client must not reconnect. */
export const CLOSE_REPLACED = 4001;
export const CLOSE_ENDED = 4002;
export const CLOSE_REMOVED = 4003;
export const CLOSE_SIGNED_OUT = 4004;
// Answers to `join` that mean "wait here": the same join is answered again later.
const INTERIM = { waiting: 'start', lobby: 'lobby' };
// Events announcing that the server is about to close the socket for good.
const FAREWELLS = new Set(['removed', 'lobby_denied', 'session_ended', 'signed_out']);

export function defaultSocketUrl(loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

export class ClassroomClient extends EventTarget {
  /**
   * @param {{token: string, url?: string}} options
   */
  constructor({ token, url = defaultSocketUrl(), resumeToken = null }) {
    super();
    this.token = token;
    /** From the previous connection's `joined`: takes our place back after a drop. */
    this.resumeToken = resumeToken;
    this.url = url;
    this.state = 'new';
    this.room = null;
    this.self = null;
    this.grants = { publish: false, subscribe: false, moderate: false };
    this.iceServers = [];
    this.iceTransportPolicy = 'all';
    /** Remote participants by id (never includes self). */
    this.participants = new Map();
    this.audience = 0;
    /** What the subscribe connection currently carries: mid → {participantId, trackId, kind, source}. */
    this.subscribed = new Map();

    this._ws = null;
    this._nextId = 1;
    this._pending = new Map();
    this._leaving = false;
    /** Why the server is closing us for good ('removed', 'lobby_denied', 'session_ended'), if it said. */
    this.farewell = null;
    this._publishPc = null;
    this._subscribePc = null;
    /** Our sending transceivers by source ('microphone' | 'camera' | 'screen'). */
    this._senders = new Map();
    // One stream id for everything we publish; the server regroups per participant anyway.
    this._publishStream = null;
    // Negotiations of each connection run one at a time, in order.
    this._publishQueue = Promise.resolve();
    this._subscribeQueue = Promise.resolve();
    // The track list of the offer being applied, read by the 'track' event handler.
    this._incomingTracks = new Map();
  }

  // ---- socket and requests -------------------------------------------------------------------

  /** Opens the socket and joins the room; resolves with the `joined` message. */
  async join() {
    if (this.state !== 'new') throw new Error('a ClassroomClient joins once; make a new one');
    this._setState('connecting');
    try {
      await this._openSocket();
      // Before a lesson starts, or in the lobby, the join may wait for as long as the teacher
      // needs: no timeout from the first interim answer on.
      const body = { token: this.token };
      if (this.resumeToken) body.resumeToken = this.resumeToken;
      const joined = await this.request('join', body, (msg) => {
        this._emit('waitingroom', { kind: INTERIM[msg.type], participantId: msg.participantId ?? null });
      });
      this.room = joined.room;
      this.self = joined.self;
      this.audience = Number(joined.audience) || 0;
      this.grants = { ...this.grants, ...(joined.grants || {}) };
      this.iceServers = Array.isArray(joined.iceServers) ? joined.iceServers : [];
      // "relay": the school wants media only through its TURN server (firewall tests, policy).
      this.iceTransportPolicy = joined.iceTransportPolicy === 'relay' ? 'relay' : 'all';
      const away = new Set(Array.isArray(joined.away) ? joined.away : []);
      for (const p of joined.participants || []) {
        if (p.id !== this.self.id) {
          this.participants.set(p.id, { ...normalizeParticipant(p), reconnecting: away.has(p.id) });
        }
      }
      this._setState('joined');
      return joined;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Sends a request and resolves with its response (rejects with ServerError on `error`).
   * `onInterim` (join only) receives `waiting` / `lobby` answers; the request then stays pending.
   */
  request(type, fields = {}, onInterim = null) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new ServerError('timeout', `no answer to ${type}`, id));
      }, REQUEST_TIMEOUT_MS);
      this._pending.set(id, { resolve, reject, timer, onInterim });
      try {
        this._send({ ...fields, type, id });
      } catch (err) {
        clearTimeout(timer);
        this._pending.delete(id);
        reject(err);
      }
    });
  }

  _send(message) {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN) {
      throw new ServerError('disconnected', 'not connected to the server');
    }
    this._ws.send(JSON.stringify(message));
  }

  _openSocket() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this._ws = ws;
      let opened = false;
      ws.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      ws.addEventListener('message', (ev) => this._onFrame(ev.data));
      ws.addEventListener('close', (ev) => {
        if (!opened) reject(new ServerError('disconnected', 'could not reach the server'));
        this._onSocketClosed(ev);
      });
    });
  }

  _onFrame(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the server only sends JSON; ignore anything else rather than die
    }
    if (!msg || typeof msg !== 'object') return;

    if (msg.id !== undefined && msg.id !== null && this._pending.has(msg.id)) {
      const { resolve, reject, timer, onInterim } = this._pending.get(msg.id);
      clearTimeout(timer);
      if (onInterim && Object.hasOwn(INTERIM, msg.type)) {
        onInterim(msg); // still pending: `joined` (or an error) comes with the same id
        return;
      }
      this._pending.delete(msg.id);
      if (msg.type === 'error') reject(new ServerError(msg.code, msg.message, msg.id));
      else resolve(msg);
      return;
    }

    switch (msg.type) {
      case 'error':
        this._emit('servererror', { error: new ServerError(msg.code, msg.message, msg.id ?? null) });
        break;
      case 'subscribe_offer':
        this._subscribeQueue = this._subscribeQueue
          .then(() => this._answerSubscribeOffer(msg))
          .catch((err) => {
            if (this.state !== 'closed') this._emitLocalError('bad_sdp', err); // else: moot
          });
        break;
      case 'participant_joined':
        this._onParticipantJoined(msg.participant);
        break;
      case 'audience':
        // An event's audience is counted, never listed (there may be hundreds).
        this.audience = Number(msg.count) || 0;
        this._emit('audience', { count: this.audience });
        break;
      case 'participant_left':
        this._onParticipantLeft(msg.participantId);
        break;
      case 'participant_reconnecting':
      case 'participant_resumed': {
        // Their connection dropped (or came back): same person, same place, no leave.
        const participant = this.participants.get(msg.participantId);
        if (participant) {
          participant.reconnecting = msg.type === 'participant_reconnecting';
          this._emit('participantupdated', { participant });
        }
        break;
      }
      case 'track_added':
      case 'track_removed':
      case 'track_muted':
        this._onTrackEvent(msg);
        break;
      case 'chat':
        this._emit('chat', { from: msg.from || {}, text: String(msg.text ?? ''), ts: msg.ts, group: msg.group });
        break;
      case 'video_quality':
        this._onVideoQuality(msg);
        break;
      case 'publish_layers':
        this._setActiveLayers(msg.source, Array.isArray(msg.rids) ? msg.rids.map(String) : null);
        break;
      case 'server_restarting':
        this._emit('serverrestarting', {});
        break;
      default:
        if (FAREWELLS.has(msg.type)) {
          this.farewell = msg.type;
          // session_ended says why: 'ended' by a host, 'no_host' (nobody ran it for a while).
          this._emit('farewell', { reason: msg.type, why: msg.reason ?? null, minutes: msg.minutes ?? null });
        } else if (typeof msg.type === 'string') {
          // Hosts, hands, polls: moderation.js keeps that state. Unknown types pass harmlessly.
          this._emit('roomevent', { message: msg });
        }
    }
  }

  _onSocketClosed(ev) {
    // A join waiting in the lobby or for the start ends with the reason, not "disconnected".
    const code = this.farewell ?? CLOSE_REASONS[ev.code] ?? 'disconnected';
    for (const { reject, timer } of this._pending.values()) {
      clearTimeout(timer);
      reject(new ServerError(code, 'the connection to the server was closed'));
    }
    this._pending.clear();
    const wasJoined = this.state === 'joined';
    this._closePeerConnections();
    this._setState('closed');
    if (wasJoined || this._leaving) {
      this._emit('close', { code: ev.code, reason: ev.reason, expected: this._leaving });
    }
  }

  /** Leaves the room politely (the server answers `ok`, then closes the socket). */
  async leave() {
    this._leaving = true;
    try {
      // Waiting (lobby, not started) is not joined: `leave` would be refused; closing is enough.
      if (this.state === 'joined' && this._ws?.readyState === WebSocket.OPEN) await this.request('leave');
    } catch {
      // leaving anyway: closing the socket has the same effect on the server
    }
    this.close();
  }

  /** Drops everything at once, without telling the server (it sees the socket close). */
  close() {
    this._closePeerConnections();
    if (this._ws && this._ws.readyState <= WebSocket.OPEN) this._ws.close(1000);
  }

  /** The tab is closing: say goodbye (a socket that just closes keeps our place a while). */
  leaveNow() {
    if (this.state === 'joined' && this._ws?.readyState === WebSocket.OPEN) {
      this._ws.send(JSON.stringify({ type: 'leave' }));
    }
    this.close();
  }

  // ---- room state ----------------------------------------------------------------------------

  _onParticipantJoined(raw) {
    if (!raw || !raw.id || (this.self && raw.id === this.self.id)) return;
    const participant = normalizeParticipant(raw);
    this.participants.set(participant.id, participant);
    this._emit('participantjoined', { participant });
  }

  _onParticipantLeft(participantId) {
    const participant = this.participants.get(participantId);
    if (!participant) return;
    this.participants.delete(participantId);
    this._emit('participantleft', { participantId, participant });
  }

  /** The server fits what we receive to our downlink: a video is "full", "reduced" or "paused". */
  _onVideoQuality(msg) {
    for (const participant of this.participants.values()) {
      const track = participant.tracks.find((t) => t.id === msg.trackId);
      if (track) {
        this._emit('videoquality', {
          participantId: participant.id,
          source: track.source,
          quality: String(msg.quality),
        });
        return;
      }
    }
  }

  _onTrackEvent(msg) {
    const participant = this.participants.get(msg.participantId);
    if (!participant) return;
    if (msg.type === 'track_added' && msg.track) {
      participant.tracks = participant.tracks.filter((t) => t.id !== msg.track.id);
      participant.tracks.push({ muted: false, ...msg.track });
    } else if (msg.type === 'track_removed') {
      participant.tracks = participant.tracks.filter((t) => t.id !== msg.trackId);
    } else if (msg.type === 'track_muted') {
      const track = participant.tracks.find((t) => t.id === msg.trackId);
      if (track) track.muted = Boolean(msg.muted);
    }
    this._emit('participantupdated', { participant });
  }

  // ---- publishing ----------------------------------------------------------------------------

  /**
   * Publishes the microphone and camera tracks (either may be null) in one offer.
   * The m-line order (audio first) only matters for readability of the SDP.
   */
  async publish({ microphone = null, camera = null } = {}) {
    if (!this.grants.publish) throw new ServerError('not_allowed', 'this link may not publish');
    if (microphone) await this._addSender('microphone', microphone);
    if (camera) await this._addSender('camera', camera);
    if (this._senders.size) await this._negotiatePublish();
  }

  /** Adds (or re-enables) the screen-share m-line and renegotiates. */
  async startScreenShare(track) {
    if (!this.grants.publish) throw new ServerError('not_allowed', 'this link may not publish');
    track.contentHint = 'detail'; // text on slides stays sharp; the frame rate may drop instead
    await this._addSender('screen', track);
    await this._negotiatePublish();
  }

  /** Stops forwarding of the screen share, then silences its m-line. */
  async stopScreenShare() {
    const transceiver = this._senders.get('screen');
    if (!transceiver || !transceiver.sender.track) return;
    try {
      await this.request('unpublish', { source: 'screen' });
    } finally {
      // No renegotiation needed now: without a track the sender sends nothing. The next offer
      // carries the m-line as inactive, and a later share reuses it.
      await transceiver.sender.replaceTrack(null);
      transceiver.direction = 'inactive';
    }
  }

  /**
   * The server says which of our camera's simulcast layers anyone watches: the others stop
   * (no encoding, no upload) until they are named again. A phone whose classmates see it in
   * small tiles sends 240x135 and 480x270, not 960x540 as well.
   */
  async _setActiveLayers(source, rids) {
    const transceiver = this._senders.get(source);
    if (!transceiver || !rids) return;
    const sender = transceiver.sender;
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length < 2) return;
    let changed = false;
    for (const encoding of params.encodings) {
      const active = !encoding.rid || rids.includes(encoding.rid);
      if (encoding.active !== active) {
        encoding.active = active;
        changed = true;
      }
    }
    if (!changed) return;
    try {
      await sender.setParameters(params);
    } catch {
      // A renegotiation in flight refuses parameters; the server says it again when it changes.
    }
  }

  /** Mutes or unmutes one of our sources: locally at once, and on the server (no forwarding). */
  async setMuted(source, muted) {
    const transceiver = this._senders.get(source);
    if (transceiver && transceiver.sender.track) transceiver.sender.track.enabled = !muted;
    if (transceiver && transceiver.mid !== null) {
      await this.request('mute', { source, muted: Boolean(muted) });
    }
  }

  async _addSender(source, track) {
    const pc = this._ensurePublishPc();
    const existing = this._senders.get(source);
    if (existing) {
      // A peer connection never loses an m-line: reuse the one this source had.
      existing.direction = 'sendonly';
      await existing.sender.replaceTrack(track);
      existing.sender.setStreams?.(this._publishStream);
      return;
    }
    const init = { direction: 'sendonly', streams: [this._publishStream] };
    // A camera goes out in three sizes (simulcast), each with temporal layers: the server
    // sends each classmate the size their tile is drawn at and their link carries, and
    // thins the frame rate on a weak link, without our encoding anything for them.
    const attempts = source === 'camera'
      ? [CAMERA_LAYERS, CAMERA_LAYERS.map(({ scalabilityMode, ...rest }) => rest), null]
      : [null];
    let transceiver;
    for (const encodings of attempts) {
      try {
        // A browser that cannot (scalabilityMode, several encodings) throws: one less each time.
        transceiver = pc.addTransceiver(track, encodings ? { ...init, sendEncodings: encodings } : init);
        break;
      } catch (err) {
        if (!encodings) throw err;
      }
    }
    if (track.kind === 'video') preferCodec(transceiver, 'video/VP8');
    this._senders.set(source, transceiver);
  }

  _negotiatePublish() {
    const run = async () => {
      const pc = this._publishPc;
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIceGathering(pc);
      const tracks = [];
      for (const [source, transceiver] of this._senders) {
        if (transceiver.direction === 'sendonly' && transceiver.sender.track && transceiver.mid !== null) {
          tracks.push({ mid: transceiver.mid, source });
        }
      }
      let answer;
      try {
        answer = await this.request('publish_offer', { sdp: pc.localDescription.sdp, tracks });
      } catch (err) {
        // Back to 'stable', so that the next attempt can offer again.
        if (pc.signalingState === 'have-local-offer') {
          await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
        }
        throw err;
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    };
    const result = this._publishQueue.then(run);
    this._publishQueue = result.catch(() => {});
    return result;
  }

  _ensurePublishPc() {
    if (!this._publishPc) {
      this._publishPc = this._makePc('publish');
      this._publishStream = new MediaStream();
    }
    return this._publishPc;
  }

  // ---- subscribing ---------------------------------------------------------------------------

  async _answerSubscribeOffer(msg) {
    const pc = this._ensureSubscribePc();
    const tracks = new Map();
    for (const t of Array.isArray(msg.tracks) ? msg.tracks : []) {
      tracks.set(String(t.mid), {
        mid: String(t.mid),
        participantId: t.participantId,
        trackId: t.trackId,
        kind: t.kind,
        source: t.source,
      });
    }
    this._incomingTracks = tracks;
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({ type: 'answer', sdp: withStereoAnswer(msg.sdp, answer.sdp) });
    await waitForIceGathering(pc);
    this._send({ type: 'subscribe_answer', sdp: pc.localDescription.sdp });
    this.subscribed = tracks;
    this._emit('remotetracks', { byParticipant: this.remoteTracks() });
  }

  /** The remote tracks now carried, grouped by participant: [{mid, trackId, kind, source, track}]. */
  remoteTracks() {
    const byParticipant = new Map();
    if (!this._subscribePc) return byParticipant;
    const byMid = new Map(this._subscribePc.getTransceivers().map((t) => [t.mid, t]));
    for (const info of this.subscribed.values()) {
      const transceiver = byMid.get(info.mid);
      if (!transceiver) continue;
      const list = byParticipant.get(info.participantId) || [];
      list.push({ ...info, track: transceiver.receiver.track });
      byParticipant.set(info.participantId, list);
    }
    return byParticipant;
  }

  _ensureSubscribePc() {
    if (!this._subscribePc) {
      const pc = this._makePc('subscribe');
      pc.addEventListener('track', (ev) => {
        // The mid is the only reliable key: the server reuses m-lines for other people.
        const info = this._incomingTracks.get(ev.transceiver.mid);
        if (info) this._emit('track', { ...info, track: ev.track });
      });
      this._subscribePc = pc;
    }
    return this._subscribePc;
  }

  // ---- common --------------------------------------------------------------------------------

  _makePc(name) {
    const pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      iceServers: this.iceServers,
      iceTransportPolicy: this.iceTransportPolicy,
    });
    pc.addEventListener('connectionstatechange', () => {
      this._emit('pcstate', { pc: name, state: pc.connectionState });
    });
    return pc;
  }

  _closePeerConnections() {
    for (const pc of [this._publishPc, this._subscribePc]) {
      if (pc && pc.signalingState !== 'closed') pc.close();
    }
  }

  _setState(state) {
    this.state = state;
    this._emit('state', { state });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _emitLocalError(code, err) {
    const error = err instanceof ServerError ? err : new ServerError(code, String(err?.message || err));
    this._emit('servererror', { error });
  }

  /**
   * Receive statistics per remote participant, for tests and a future "connection quality" badge.
   * Resolves with {participantId: {framesDecoded, screenFramesDecoded, totalSamplesReceived,
   * packetsReceived, videoPacketsReceived}}.
   */
  /** How each connection reaches the server: {publish, subscribe} → "host/udp", "relay/tcp"… */
  async routes() {
    const routes = {};
    for (const [name, pc] of [['publish', this._publishPc], ['subscribe', this._subscribePc]]) {
      if (!pc || pc.signalingState === 'closed') continue;
      const report = await pc.getStats();
      let pair = null;
      report.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
      });
      const local = pair && report.get(pair.localCandidateId);
      if (local) routes[name] = `${local.candidateType}/${local.relayProtocol || local.protocol}`;
    }
    return routes;
  }

  /** What our camera sends, per encoding (simulcast layer): [{rid, width, height, fps, bytes}]. */
  async sentLayers() {
    const pc = this._publishPc;
    if (!pc || pc.signalingState === 'closed') return [];
    const layers = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
      layers.push({
        rid: s.rid ?? null,
        width: s.frameWidth ?? 0,
        height: s.frameHeight ?? 0,
        fps: s.framesPerSecond ?? 0,
        bytes: s.bytesSent ?? 0,
        limitation: s.qualityLimitationReason ?? null,
        active: s.active ?? null,
      });
    });
    return layers.sort((a, b) => a.width - b.width);
  }

  async stats() {
    const result = {};
    for (const id of this.participants.keys()) {
      result[id] = {
        framesDecoded: 0,
        screenFramesDecoded: 0,
        totalSamplesReceived: 0,
        packetsReceived: 0,
        videoPacketsReceived: 0,
        framesPerSecond: 0,
        freezeCount: 0,
        totalFreezesDuration: 0,
        frameWidth: 0,
        frameHeight: 0,
      };
    }
    const pc = this._subscribePc;
    if (!pc || pc.signalingState === 'closed') return result;
    const midByTrackId = new Map(pc.getTransceivers().map((t) => [t.receiver.track.id, t.mid]));
    // A reused m-line may show an old SSRC's entry too: keep the freshest entry per mid.
    const latest = new Map();
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const mid = s.mid ?? midByTrackId.get(s.trackIdentifier);
      const seen = latest.get(mid);
      if (!seen || (s.lastPacketReceivedTimestamp ?? 0) > (seen.lastPacketReceivedTimestamp ?? 0)) {
        latest.set(mid, s);
      }
    });
    for (const [mid, s] of latest) {
      const info = this.subscribed.get(mid);
      const entry = info && result[info.participantId];
      if (!entry) continue;
      if (info.kind === 'video' && info.source === 'screen') {
        entry.screenFramesDecoded += s.framesDecoded ?? 0;
      } else if (info.kind === 'video') {
        entry.framesDecoded += s.framesDecoded ?? 0;
        entry.videoPacketsReceived += s.packetsReceived ?? 0;
        entry.framesPerSecond += s.framesPerSecond ?? 0;
        entry.freezeCount += s.freezeCount ?? 0;
        entry.totalFreezesDuration += s.totalFreezesDuration ?? 0;
        entry.frameWidth = s.frameWidth ?? 0;
        entry.frameHeight = s.frameHeight ?? 0;
      } else {
        entry.totalSamplesReceived += s.totalSamplesReceived ?? 0;
        entry.packetsReceived += s.packetsReceived ?? 0;
      }
    }
    return result;
  }
}

const CLOSE_REASONS = {
  [CLOSE_REPLACED]: 'replaced',
  [CLOSE_ENDED]: 'session_ended',
  [CLOSE_REMOVED]: 'removed',
  [CLOSE_SIGNED_OUT]: 'signed_out',
};

function normalizeParticipant(p) {
  return {
    id: p.id,
    identity: p.identity,
    name: p.name || p.identity || p.id,
    role: p.role || 'guest',
    // A host runs polls and the board rather than answering and being called, and is in no
    // breakout group (breakout.js).
    host: Boolean(p.host),
    tracks: (p.tracks || []).map((t) => ({ muted: false, ...t })),
  };
}

/** Puts one codec (and its RTX / FEC companions, which follow it) first in the offer. */
function preferCodec(transceiver, mimeType) {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const caps = RTCRtpSender.getCapabilities?.('video');
  if (!caps) return;
  const wanted = caps.codecs.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (!wanted.length) return;
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== mimeType.toLowerCase());
  try {
    transceiver.setCodecPreferences([...wanted, ...rest]);
  } catch {
    // keep the browser's order: the server still negotiates VP8 or H.264
  }
}

/** Resolves once ICE gathering is complete (or after a timeout: we send what we have). */
export function waitForIceGathering(pc, timeoutMs = ICE_GATHERING_TIMEOUT_MS) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const onCandidate = (ev) => {
      if (!ev.candidate) done(); // end-of-candidates
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
    pc.addEventListener('icecandidate', onCandidate);
  });
}
