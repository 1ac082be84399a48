// Draws the room's moderation state (moderation.js) on the page (ui.js, tiles.js, hosting.js,
// polls.js) and sends what the page asks of the room. Our own microphone and camera stay with
// app.js: it listens to `mutedbyhost` itself.

import { screenKey } from './tiles.js';

// A hand that disappears from the queue this soon after we lowered it was lowered by us.
const OWN_HAND_MS = 3000;
// What the page may ask of the room (RoomState methods); anything else is ignored.
const ROOM_ACTIONS = new Set([
  'raiseHand', 'lowerHand', 'lowerAllHands', 'muteParticipant', 'muteAll', 'allowUnmute',
  'removeParticipant', 'lockRoom', 'admit', 'admitAll', 'deny', 'pin', 'createPoll', 'answerPoll',
  'closePoll', 'setRecording', 'endForEveryone',
]);

export class RoomView {
  /**
   * @param {object} options
   * @param {import('./moderation.js').RoomState} options.room
   * @param {import('./ui.js').LessonUI} options.ui
   * @param {() => object|null} options.client   the current ClassroomClient (it changes on reconnect)
   * @param {() => boolean} options.isLive         requests are sent only while in the lesson
   * @param {(err: Error) => void} options.showError
   * @param {() => void} options.onHandChange      our own hand went up or down (the control shows it)
   */
  constructor({ room, ui, client, isLive, showError, onHandChange }) {
    this.room = room;
    this.ui = ui;
    this.client = client;
    this.isLive = isLive;
    this.showError = showError;
    this.onHandChange = onHandChange;
    this.shownHands = [];
    this.shownLobby = [];
    this.ownHandLoweredAt = 0;

    ui.nameOf = (id) => this.nameOf(id);
    ui.addEventListener('togglehand', () => this.toggleHand());
    ui.addEventListener('request', (ev) => this.request(ev.detail));
    ui.grid.addEventListener('tilemenu', (ev) => this._openTileMenu(ev.detail));
    ui.host.menu.addEventListener('localpin', (ev) => ui.grid.setLocalPin(ev.detail.key));

    const on = (type, handler) => room.addEventListener(type, (ev) => handler(ev.detail));
    on('locked', ({ locked }) => this._showLocked(locked));
    on('recording', ({ on: recording }) => this._showRecording(recording));
    on('hands', ({ queue }) => this._showHands(queue));
    on('pinned', () => ui.grid.setPinned(this._pinnedKey()));
    on('speaker', ({ participantId }) => ui.grid.setSpeaker(participantId));
    on('lobby', ({ waiting }) => this._showLobby(waiting));
    on('poll', ({ poll }) => ui.polls.show(poll, room.isHost));
  }

  /** Everything of the room's moderation at once, after a (re)join. */
  show() {
    const { room, ui } = this;
    ui.resetRoom();
    ui.setHost(room.isHost);
    ui.grid.setHosting(room.isHost);
    this._showLocked(room.locked);
    this._showRecording(room.recording);
    ui.grid.setPinned(this._pinnedKey());
    ui.grid.setSpeaker(room.activeSpeaker);
    this.shownHands = room.hands; // no "raised a hand" toasts for hands that were already up
    this._showHands(room.hands);
    this.shownLobby = room.lobby;
    this._showLobby(room.lobby);
    for (const poll of room.polls.values()) ui.polls.show(poll, room.isHost);
  }

  async toggleHand() {
    const raised = this.room.hands.includes(this.room.selfId);
    if (raised) this.ownHandLoweredAt = Date.now();
    await this.request({ action: raised ? 'lowerHand' : 'raiseHand', args: [] });
  }

  /** Sends one of the page's requests (ROOM_ACTIONS); errors become the usual toasts. */
  async request({ action, args = [], notice = null, params, after }) {
    if (!this.isLive() || !ROOM_ACTIONS.has(action)) {
      after?.(false);
      return;
    }
    try {
      const answer = await this.room[action](...args);
      if (action === 'muteAll') this.ui.toast('notice.mutedAll', { count: answer?.muted ?? 0 }, 'info');
      else if (notice) this.ui.toast(notice, params, 'info');
      after?.(true);
    } catch (err) {
      this.showError(err);
      after?.(false);
    }
  }

  nameOf(id) {
    const client = this.client();
    if (client?.self?.id === id) return client.self.name;
    return client?.participants.get(id)?.name ?? '?';
  }

  _showLocked(locked) {
    this.ui.setLocked(locked);
    this.ui.host.setLocked(locked);
  }

  _showRecording(recording) {
    this.ui.setRecording(recording);
    this.ui.host.setRecording(recording);
  }

  _showHands(queue) {
    const { room, ui } = this;
    const before = this.shownHands;
    this.shownHands = queue;
    ui.grid.setHands(queue);
    ui.host.setHands(queue);
    this.onHandChange();
    const me = room.selfId;
    const lowered = before.includes(me) && !queue.includes(me);
    if (lowered && Date.now() - this.ownHandLoweredAt > OWN_HAND_MS) {
      ui.toast('moderation.handLowered', null, 'info');
    }
    if (!room.isHost) return;
    for (const id of queue) {
      if (id !== me && !before.includes(id)) ui.toast('notice.handRaised', { name: this.nameOf(id) }, 'info');
    }
  }

  _showLobby(waiting) {
    const before = new Set(this.shownLobby.map((w) => w.id));
    this.shownLobby = waiting;
    this.ui.host.setLobby(waiting);
    this.ui.setLobbyCount(waiting.length);
    for (const person of waiting) {
      if (!before.has(person.id)) this.ui.toast('notice.lobbyArrived', { name: person.name }, 'info');
    }
  }

  /** The tile a host pinned: the person's, or their screen's (null: none). */
  _pinnedKey() {
    const { pinned, pinnedSource } = this.room;
    return pinned && pinnedSource === 'screen' ? screenKey(pinned) : pinned;
  }

  _openTileMenu({ key, participantId, isScreen, button }) {
    if (!this.isLive()) return;
    const { room, ui } = this;
    if (isScreen) {
      ui.host.menu.openScreen(button, {
        id: participantId,
        key,
        name: this.nameOf(participantId),
        pinned: room.pinned === participantId && room.pinnedSource === 'screen',
        local: ui.grid.localPin === key,
        host: room.isHost,
      });
      return;
    }
    const participant = this.client()?.participants.get(participantId);
    if (!room.isHost || !participant) return;
    ui.host.menu.open(button, {
      id: participantId,
      name: participant.name,
      pinned: room.pinned === participantId && room.pinnedSource === 'camera',
      hand: room.handOf(participantId),
    });
  }
}
