// The room's moderation state (docs/protocol.md, "Hosts and hands"): lock, hands, pin, lobby,
// polls and whether we may unmute; and the requests that change it. No DOM: the page (ui.js,
// hosting.js, polls.js) draws from it, app.js wires the two.
//
// Events (CustomEvent, payload in `detail`):
//   locked        {locked}
//   hands         {queue}                       (participant ids, first raised first)
//   pinned        {participantId|null, source}     (source: 'camera' or 'screen', what is pinned)
//   speaker       {participantId|null}          (whom the server hears speaking now)
//   lobby         {waiting: [{id, name, since}]} (hosts only)
//   mutedbyhost   {source, canUnmute}
//   unmuteallowed {}
//   poll          {poll}                        (a new poll, or one that changed: results, closed)

import { ServerError } from './protocol.js';

export class RoomState extends EventTarget {
  constructor() {
    super();
    this.client = null;
    this.reset();
  }

  reset() {
    this.locked = false;
    this.recording = false;
    this.hands = [];
    this.pinned = null;
    this.pinnedSource = 'camera';
    this.activeSpeaker = null;
    this.canUnmute = true;
    this.lobby = [];
    /** pollId → {id, question, options, multiple, showResults, closed, counts|null, voters, mine|null,
     * correct? (a quiz's right option: hosts always, everyone once closed), answers? and right?
     * (hosts: who chose what, how many were right)} */
    this.polls = new Map();
  }

  get isHost() {
    return Boolean(this.client?.grants?.moderate);
  }

  get selfId() {
    return this.client?.self?.id ?? null;
  }

  /** A fresh connection: everything comes from its `joined` (a reconnect gets it all again). */
  attach(client, joined) {
    const previous = this.polls;
    this.client = client;
    this.reset();
    this.locked = Boolean(joined.locked);
    this.recording = Boolean(joined.recording);
    this.hands = Array.isArray(joined.hands) ? [...joined.hands] : [];
    this.pinned = joined.pinned ?? null;
    this.pinnedSource = joined.pinnedSource === 'screen' ? 'screen' : 'camera';
    this.activeSpeaker = joined.activeSpeaker ?? null;
    this.canUnmute = joined.canUnmute !== false;
    this.lobby = Array.isArray(joined.lobby) ? joined.lobby : [];
    for (const { results, mine, ...poll } of Array.isArray(joined.polls) ? joined.polls : []) {
      // `joined` carries our own answer and, for hosts or a poll that shows them, its results
      // (with who chose what for hosts); anything else we knew before a reconnect is kept.
      const known = previous.get(poll.id);
      this.polls.set(poll.id, {
        counts: null, voters: 0, mine: null, ...known, ...poll,
        ...(Array.isArray(mine) && mine.length ? { mine } : {}),
        ...(results ? pollResults(results) : {}),
      });
    }
    client.addEventListener('roomevent', (ev) => {
      if (client === this.client) this._onEvent(ev.detail.message);
    });
    // The server forgets a leaver's hand and pin without telling anyone: do the same here.
    client.addEventListener('participantleft', ({ detail }) => {
      if (client !== this.client) return;
      if (this.hands.includes(detail.participantId)) {
        this._setHands(this.hands.filter((id) => id !== detail.participantId));
      }
      if (this.pinned === detail.participantId) this._setPinned(null);
      if (this.activeSpeaker === detail.participantId) this._setSpeaker(null);
    });
  }

  _onEvent(msg) {
    switch (msg.type) {
      case 'room_locked':
        this.locked = Boolean(msg.locked);
        this._emit('locked', { locked: this.locked });
        break;
      case 'recording':
        this.recording = Boolean(msg.on);
        this._emit('recording', { on: this.recording });
        break;
      case 'hands':
        this._setHands(Array.isArray(msg.queue) ? msg.queue : []);
        break;
      case 'pinned':
        this._setPinned(msg.participantId ?? null, msg.source === 'screen' ? 'screen' : 'camera');
        break;
      case 'active_speaker':
        this._setSpeaker(msg.participantId ?? null);
        break;
      case 'lobby_changed':
        this.lobby = Array.isArray(msg.waiting) ? msg.waiting : [];
        this._emit('lobby', { waiting: this.lobby });
        break;
      case 'muted_by_host':
        if (msg.source === 'microphone') this.canUnmute = msg.canUnmute !== false;
        this._emit('mutedbyhost', { source: msg.source, canUnmute: msg.canUnmute !== false });
        break;
      case 'unmute_allowed':
        this.canUnmute = true;
        this._emit('unmuteallowed', {});
        break;
      case 'poll':
        if (msg.poll?.id) this._updatePoll(msg.poll.id, { counts: null, voters: 0, mine: null, ...msg.poll });
        break;
      case 'poll_results':
        this._updatePoll(msg.pollId, pollResults(msg));
        break;
      case 'poll_closed':
        // A quiz's right option comes to everyone when it closes.
        this._updatePoll(msg.pollId, { closed: true, ...(Number.isInteger(msg.correct) ? { correct: msg.correct } : {}) });
        break;
      default:
        break;
    }
  }

  _setHands(queue) {
    this.hands = queue;
    this._emit('hands', { queue });
  }

  _setPinned(participantId, source = 'camera') {
    this.pinned = participantId;
    this.pinnedSource = source;
    this._emit('pinned', { participantId, source });
  }

  _setSpeaker(participantId) {
    this.activeSpeaker = participantId;
    this._emit('speaker', { participantId });
  }

  _updatePoll(id, fields) {
    const poll = { ...this.polls.get(id), ...fields };
    if (!poll.question) return; // results of a poll we never saw (joined after it closed)
    this.polls.set(id, poll);
    this._emit('poll', { poll });
  }

  handOf(participantId) {
    const index = this.hands.indexOf(participantId);
    return index < 0 ? 0 : index + 1;
  }

  // ---- requests: each resolves with the server's `ok` or rejects with a ServerError ----------

  raiseHand() {
    return this._request('raise_hand');
  }

  /** Our own hand, or (hosts) someone else's. */
  lowerHand(participantId = null) {
    return this._request('lower_hand', participantId ? { participantId } : {});
  }

  lowerAllHands() {
    return this._request('lower_hand', { all: true });
  }

  muteParticipant(participantId, allowUnmute, source = 'microphone') {
    return this._request('mute_participant', { participantId, source, allowUnmute });
  }

  muteAll(allowUnmute) {
    return this._request('mute_all', { allowUnmute });
  }

  allowUnmute(participantId) {
    return this._request('allow_unmute', { participantId });
  }

  removeParticipant(participantId) {
    return this._request('remove_participant', { participantId });
  }

  lockRoom(locked) {
    return this._request('lock_room', { locked });
  }

  /** Ends the session for everyone in the room (hosts); the server closes every socket. */
  endForEveryone() {
    return this._request('end_session');
  }

  /** Record the lesson (`on`) or finish its recording. */
  setRecording(on) {
    return this._request(on ? 'start_recording' : 'stop_recording');
  }

  admit(participantId) {
    return this._request('admit', { participantId });
  }

  admitAll() {
    return this._request('admit_all');
  }

  deny(participantId) {
    return this._request('deny', { participantId });
  }

  /** Puts one tile on everyone's stage: a person ('camera') or their shared 'screen' (null: none). */
  pin(participantId, source = 'camera') {
    return this._request('pin', { participantId, source });
  }

  /** `correct`: the right option's index for a quick quiz, or null for an opinion poll. */
  createPoll({ question, options, multiple, showResults, correct = null }) {
    return this._request('poll_create', { question, options, multiple, showResults, correct });
  }

  async answerPoll(pollId, choices) {
    const answer = await this._request('poll_answer', { pollId, choices });
    // The server never tells us what we chose: remember it, so a redraw keeps the ticks.
    this._updatePoll(pollId, { mine: [...choices] });
    return answer;
  }

  closePoll(pollId) {
    return this._request('poll_close', { pollId });
  }

  _request(type, fields) {
    if (!this.client || this.client.state !== 'joined') {
      return Promise.reject(new ServerError('not_joined', 'not in the lesson (yet)'));
    }
    return this.client.request(type, fields);
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** A poll's results as the server sends them (`poll_results`, or `joined`'s `results`): the
 * counts for everyone; who chose what, the right option and how many were right for hosts. */
function pollResults(msg) {
  const fields = { counts: msg.counts, voters: msg.voters ?? 0 };
  if (Array.isArray(msg.answers)) fields.answers = msg.answers;
  if (Number.isInteger(msg.correct)) fields.correct = msg.correct;
  if (Number.isInteger(msg.right)) fields.right = msg.right;
  return fields;
}
