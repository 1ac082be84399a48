"""Live rooms as signalling sees them: one `LiveRoom` per room name, and the SFU's events."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from classroom.moderation import RoomModeration
from classroom.roster import MAX_AUDIENCE, Roster
from recording.timeline import Timeline

from .live_room import LiveRoom

if TYPE_CHECKING:
    from sfu.control import SfuEvents

    from .session import Session

logger = logging.getLogger(__name__)


AUDIENCE_EVERY = 1.0
"""Seconds between two audience counts sent to a room."""


class LiveRooms:
    """Each live room by name, made when first needed and forgotten when nothing of it is
    left (`LiveRoom.idle`); receives the SFU's events (it is its SfuEvents)."""

    def __init__(self, max_participants: int, max_audience: int = MAX_AUDIENCE) -> None:
        self._max_participants = max_participants
        self._max_audience = max_audience
        self._rooms: dict[str, LiveRoom] = {}
        self.edges: dict[str, SfuEvents] = {}
        """Rooms of other nodes' events this node's SFU holds part of the audience of: their
        SFU events go back to the origin (signaling/sfu_link.py), not to rooms here."""
        self.guests: dict[str, int] = {}
        """Of those rooms, the viewers whose peers are in this node's SFU (its load)."""

    def get(self, room: str) -> LiveRoom | None:
        return self._rooms.get(room)

    def _room(self, room: str) -> LiveRoom:
        live = self._rooms.get(room)
        if live is None:
            live = self._rooms[room] = LiveRoom(room)
        return live

    def _prune(self, room: str) -> None:
        live = self._rooms.get(room)
        if live is not None and live.idle():
            del self._rooms[room]

    # --- who is in a room ----------------------------------------------------------------

    def present(self, room: str) -> Roster | None:
        """The room's roster; None while nobody is in it."""
        live = self._rooms.get(room)
        return live.roster if live is not None else None

    def roster(self, room: str) -> Roster:
        """The room's roster, made (the room opens) if nobody is in it."""
        live = self._room(room)
        if live.roster is None:
            live.roster = Roster(room, self._max_participants, self._max_audience)
            live.connections = {}
        return live.roster

    def connections(self, room: str) -> dict[str, Session]:
        """Each connected participant's session (a copy)."""
        live = self._rooms.get(room)
        return dict(live.connections) if live is not None else {}

    def session(self, room: str, participant_id: str) -> Session | None:
        live = self._rooms.get(room)
        return live.connections.get(participant_id) if live is not None else None

    def attach(self, room: str, participant_id: str, session: Session) -> None:
        self._room(room).connections[participant_id] = session

    def disconnect(self, room: str, participant_id: str) -> None:
        """The participant's connection is gone; their place in the roster stays."""
        live = self._rooms.get(room)
        if live is not None:
            live.connections.pop(participant_id, None)

    def detach(self, room: str, participant_id: str) -> bool:
        """Forget the participant; True when the room is now empty (and forgotten)."""
        live = self._rooms.get(room)
        if live is None:
            return True
        emptied = live.detach(participant_id)
        self._prune(room)
        return emptied

    def hosts(self, room: str) -> list[Session]:
        live = self._rooms.get(room)
        return live.hosts() if live is not None else []

    def speaker(self, room: str) -> str | None:
        live = self._rooms.get(room)
        return live.speaker if live is not None else None

    def head_counts(self) -> dict[str, int]:
        """Each room open here, with the people in it, its lobby and those waiting for its
        start (what a district counts as the room's load)."""
        return {name: live.head_count() for name, live in self._rooms.items()}

    @property
    def participant_count(self) -> int:
        return sum(len(r.roster.participants) for r in self._rooms.values() if r.roster)

    # --- waiting to come in --------------------------------------------------------------

    def lobby(self, room: str) -> dict[str, Session]:
        """The sessions in the room's lobby, by the participant id each will get (a copy)."""
        live = self._rooms.get(room)
        return dict(live.lobby) if live is not None else {}

    def enter_lobby(self, room: str, participant_id: str, session: Session) -> None:
        self._room(room).lobby[participant_id] = session

    def leave_lobby(self, room: str, participant_id: str, admitted: bool = False) -> Session | None:
        """Take `participant_id` out of the lobby: its session (returned; None: not there)
        and its entry in the hosts' list; `admitted`: a host let them in, and the lock will
        not keep them out. A room whose session ended is not made again by those who were
        waiting in it and leave afterwards."""
        live = self._rooms.get(room)
        if live is None:
            return None
        session = live.lobby.pop(participant_id, None)
        if live.moderation is not None:
            entry = live.moderation.lobby.pop(participant_id, None)
            if entry is not None and admitted:
                live.moderation.admitted.add(entry.identity)
        self._prune(room)
        return session

    def waiting(self, room: str) -> list[dict[str, Any]]:
        """The lobby as the hosts see it: who waits, since when."""
        live = self._rooms.get(room)
        if live is None or live.moderation is None:
            return []
        return [w.to_dict() for w in live.moderation.lobby.values()]

    def wait_for_start(self, room: str, session: Session) -> None:
        self._room(room).starting[id(session)] = session

    def stop_waiting(self, room: str, session: Session) -> None:
        live = self._rooms.get(room)
        if live is not None:
            live.starting.pop(id(session), None)
            self._prune(room)

    def started(self, room: str) -> list[Session]:
        """The sessions that waited for the room's session to start (no longer waiting)."""
        live = self._rooms.get(room)
        if live is None:
            return []
        starting, live.starting = list(live.starting.values()), {}
        self._prune(room)
        return starting

    # --- moderation, lock, timeline ------------------------------------------------------

    def moderation(self, room: str) -> RoomModeration:
        live = self._room(room)
        if live.moderation is None:
            live.moderation = RoomModeration()
        return live.moderation

    def showing(self, material_id: str) -> list[str]:
        """The rooms of this node whose stage shows the material."""
        return [
            name
            for name, live in self._rooms.items()
            if live.moderation is not None
            and live.moderation.showing is not None
            and live.moderation.showing.material.id == material_id
        ]

    def forget_room(self, room: str) -> None:
        """The session ended: its removals and lobby go with it."""
        live = self._rooms.get(room)
        if live is not None:
            live.stop_breakout_timer()
            live.moderation = None
            live.lobby = {}
            self._prune(room)

    def lock(self, room: str) -> asyncio.Lock:
        """Serialises joins and leaves of one room."""
        live = self._room(room)
        if live.lock is None:
            live.lock = asyncio.Lock()
        return live.lock

    def release_lock(self, room: str) -> None:
        """Forget the lock of a room nobody is in or waiting to enter."""
        live = self._rooms.get(room)
        if live is not None and live.lock is not None and not live.lock.locked():
            if live.roster is None:
                live.lock = None
                self._prune(room)

    def start_timeline(self, room: str, timeline: Timeline) -> None:
        """Record the room's events from now on; who is there comes first."""
        roster = self.present(room)
        present = [p.to_dict() for p in roster.participants.values()] if roster else []
        timeline.add({"type": "present", "participants": present})
        live = self._room(room)
        showing = live.moderation.showing if live.moderation is not None else None
        if showing is not None:  # on the stage already: the playback shows it from the start
            timeline.add({"type": "material", "material": showing.to_dict(), "by": None})
        board = live.moderation.board if live.moderation is not None else None
        if board is not None and (board.strokes or board.shown):  # drawn on already
            timeline.add({"type": "board", "board": board.to_dict()})
        breakout = live.moderation.breakout if live.moderation is not None else None
        if breakout is not None:  # groups running: the playback knows who was where
            timeline.add({"type": "breakout", "breakout": breakout.to_dict(), "by": None})
        live.timeline = timeline

    def end_timeline(self, room: str) -> None:
        live = self._rooms.get(room)
        if live is not None and live.timeline is not None:
            live.timeline.close()
            live.timeline = None
            self._prune(room)

    # --- telling a room ------------------------------------------------------------------

    def audience_changed(self, room: str) -> None:
        """Tell the room its audience count, at most once a second: a concert's audience
        arrives by the hundred, and each arrival told to everyone would be N² messages."""
        live = self._rooms.get(room)
        if live is None or live.audience_due:
            return
        live.audience_due = True

        def tell() -> None:
            live.audience_due = False
            roster = live.roster
            if roster is not None:
                message = {"type": "audience", "count": roster.audience_count}
                for session in list(live.connections.values()):
                    session.send(message)

        asyncio.get_running_loop().call_later(AUDIENCE_EVERY, tell)

    def broadcast(self, room: str, message: dict[str, Any], exclude: str | None = None) -> None:
        live = self._rooms.get(room)
        if live is not None:
            live.broadcast(message, exclude)

    def expect(self, room: str, participant_id: str) -> None:
        """`participant_id` is joining (or coming back): hold what the SFU says to them
        until `joined` has been sent (`arrived`).

        With the SFU in a worker process, its subscribe offer can arrive before the reply to
        the `add_peer` that caused it has resumed the join: nobody was attached yet, the
        offer was dropped, and the pupil never received anyone (seen in CI, 1 run in 10)."""
        self._room(room).early[participant_id] = []

    def arrived(self, room: str, participant_id: str) -> list[dict[str, Any]]:
        """What was held for `participant_id` while it joined (nothing more is held)."""
        live = self._rooms.get(room)
        if live is None:
            return []
        held = live.early.pop(participant_id, [])
        self._prune(room)
        return held

    # --- SfuEvents ---------------------------------------------------------------------

    def _tell(self, room: str, peer: str, message: dict[str, Any]) -> None:
        live = self._rooms.get(room)
        if live is not None:
            live.tell(peer, message)

    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        if (edge := self.edges.get(room)) is not None:
            edge.subscribe_offer(room, peer, sdp, tracks)
            return
        self._tell(room, peer, {"type": "subscribe_offer", "sdp": sdp, "tracks": tracks})

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        if (edge := self.edges.get(room)) is not None:
            edge.video_quality(room, peer, track, quality)
            return
        self._tell(room, peer, {"type": "video_quality", "trackId": track, "quality": quality})

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        if (edge := self.edges.get(room)) is not None:
            edge.publish_layers(room, peer, source, rids)
            return
        self._tell(room, peer, {"type": "publish_layers", "source": source, "rids": rids})

    def active_speaker(self, room: str, peer: str | None) -> None:
        """Told to the stage only: an event's audience may be hundreds, each told several
        times a minute, for a highlight their page does not show (it lists no audience)."""
        if room in self.edges:
            return  # the origin, which has the stage, says who speaks
        live = self._rooms.get(room)
        if live is None or live.roster is None:
            return  # the room is over for signalling: nothing to remember it for
        live.speaker = peer
        message = {"type": "active_speaker", "participantId": peer}
        for participant in live.roster.stage():
            session = live.connections.get(participant.id)
            if session is not None:
                session.send(message)

    def peer_failed(self, room: str, peer: str) -> None:
        if (edge := self.edges.get(room)) is not None:
            edge.peer_failed(room, peer)
            return
        session = self.session(room, peer)
        if session is not None:
            logger.info("media connection of %s in %s failed; closing its session", peer, room)
            session.close_soon()
