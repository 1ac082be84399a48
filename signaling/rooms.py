"""Live rooms as signalling sees them: rosters, and the session of each participant."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from classroom.moderation import RoomModeration
from classroom.roster import MAX_AUDIENCE, Roster
from recording.timeline import Timeline

if TYPE_CHECKING:
    from .session import Session

logger = logging.getLogger(__name__)


AUDIENCE_EVERY = 1.0
"""Seconds between two audience counts sent to a room."""


class LiveRooms:
    """Rosters and sessions per room; receives the SFU's events (it is its SfuEvents)."""

    def __init__(self, max_participants: int, max_audience: int = MAX_AUDIENCE) -> None:
        self._max_participants = max_participants
        self._max_audience = max_audience
        self.rosters: dict[str, Roster] = {}
        self.sessions: dict[str, dict[str, Session]] = {}
        self._moderation: dict[str, RoomModeration] = {}
        self.waiting: dict[str, dict[str, Session]] = {}
        """Sessions in each room's lobby, by participant id."""
        self.starting: dict[str, dict[int, Session]] = {}
        """Sessions that joined before the room's session started (by object id)."""
        self._locks: dict[str, asyncio.Lock] = {}
        self._early: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """What the SFU said to participants still joining, for after their `joined`."""
        self.timelines: dict[str, Timeline] = {}
        """The timeline of each room being recorded: everything broadcast goes into it."""
        self._audience_told: set[str] = set()
        """Rooms whose audience count is due to be sent."""
        self.speakers: dict[str, str] = {}
        """The participant the SFU hears speaking in each room (no entry: nobody)."""

    def roster(self, room: str) -> Roster:
        roster = self.rosters.get(room)
        if roster is None:
            roster = self.rosters[room] = Roster(room, self._max_participants, self._max_audience)
            self.sessions[room] = {}
        return roster

    def moderation(self, room: str) -> RoomModeration:
        state = self._moderation.get(room)
        if state is None:
            state = self._moderation[room] = RoomModeration()
        return state

    def forget_room(self, room: str) -> None:
        """The session ended: its removals and locks go with it."""
        self._moderation.pop(room, None)
        self.waiting.pop(room, None)

    def hosts(self, room: str) -> list[Session]:
        roster = self.rosters.get(room)
        if roster is None:
            return []
        return [
            session
            for pid, session in self.sessions.get(room, {}).items()
            if (p := roster.participants.get(pid)) is not None and p.grants.moderate
        ]

    def lock(self, room: str) -> asyncio.Lock:
        """Serialises joins and leaves of one room."""
        lock = self._locks.get(room)
        if lock is None:
            lock = self._locks[room] = asyncio.Lock()
        return lock

    def release_lock(self, room: str) -> None:
        """Forget the lock of a room nobody is in or waiting to enter."""
        lock = self._locks.get(room)
        if lock is not None and not lock.locked() and room not in self.rosters:
            del self._locks[room]

    def attach(self, room: str, participant_id: str, session: Session) -> None:
        self.sessions.setdefault(room, {})[participant_id] = session

    def detach(self, room: str, participant_id: str) -> bool:
        """Forget the participant; True when the room is now empty (and forgotten)."""
        sessions = self.sessions.get(room, {})
        sessions.pop(participant_id, None)
        roster = self.rosters.get(room)
        if roster is not None:
            roster.remove(participant_id)
        moderation = self._moderation.get(room)
        if moderation is not None:
            moderation.forget(participant_id)
        if not sessions and (roster is None or not roster.participants):
            self.rosters.pop(room, None)
            self.sessions.pop(room, None)
            self.speakers.pop(room, None)
            # Removals outlive an empty room (the session goes on); the rest does not.
            if moderation is not None and not moderation.removed and not self.waiting.get(room):
                self._moderation.pop(room, None)
            return True
        return False

    def start_timeline(self, room: str, timeline: Timeline) -> None:
        """Record the room's events from now on; who is there comes first."""
        roster = self.rosters.get(room)
        present = [p.to_dict() for p in roster.participants.values()] if roster else []
        timeline.add({"type": "present", "participants": present})
        self.timelines[room] = timeline

    def end_timeline(self, room: str) -> None:
        timeline = self.timelines.pop(room, None)
        if timeline is not None:
            timeline.close()

    def audience_changed(self, room: str) -> None:
        """Tell the room its audience count, at most once a second: a concert's audience
        arrives by the hundred, and each arrival told to everyone would be N² messages."""
        if room in self._audience_told:
            return
        self._audience_told.add(room)

        def tell() -> None:
            self._audience_told.discard(room)
            roster = self.rosters.get(room)
            if roster is not None:
                message = {"type": "audience", "count": roster.audience_count}
                for session in list(self.sessions.get(room, {}).values()):
                    session.send(message)

        asyncio.get_running_loop().call_later(AUDIENCE_EVERY, tell)

    def broadcast(self, room: str, message: dict[str, Any], exclude: str | None = None) -> None:
        timeline = self.timelines.get(room)
        if timeline is not None:
            timeline.add(message)
        for participant_id, session in list(self.sessions.get(room, {}).items()):
            if participant_id != exclude:
                session.send(message)

    def session(self, room: str, participant_id: str) -> Session | None:
        return self.sessions.get(room, {}).get(participant_id)

    @property
    def participant_count(self) -> int:
        return sum(len(r.participants) for r in self.rosters.values())

    def expect(self, room: str, participant_id: str) -> None:
        """`participant_id` is joining (or coming back): hold what the SFU says to them
        until `joined` has been sent (`arrived`).

        With the SFU in a worker process, its subscribe offer can arrive before the reply to
        the `add_peer` that caused it has resumed the join: nobody was attached yet, the
        offer was dropped, and the pupil never received anyone (seen in CI, 1 run in 10)."""
        self._early[(room, participant_id)] = []

    def arrived(self, room: str, participant_id: str) -> list[dict[str, Any]]:
        """What was held for `participant_id` while it joined (nothing more is held)."""
        return self._early.pop((room, participant_id), [])

    # --- SfuEvents ---------------------------------------------------------------------

    def _tell(self, room: str, peer: str, message: dict[str, Any]) -> None:
        early = self._early.get((room, peer))
        if early is not None:
            early.append(message)
            return
        session = self.session(room, peer)
        if session is not None:
            session.send(message)

    def subscribe_offer(self, room: str, peer: str, sdp: str, tracks: list[dict[str, Any]]) -> None:
        self._tell(room, peer, {"type": "subscribe_offer", "sdp": sdp, "tracks": tracks})

    def video_quality(self, room: str, peer: str, track: str, quality: str) -> None:
        self._tell(room, peer, {"type": "video_quality", "trackId": track, "quality": quality})

    def publish_layers(self, room: str, peer: str, source: str, rids: list[str]) -> None:
        self._tell(room, peer, {"type": "publish_layers", "source": source, "rids": rids})

    def active_speaker(self, room: str, peer: str | None) -> None:
        """Told to the stage only: an event's audience may be hundreds, each told several
        times a minute, for a highlight their page does not show (it lists no audience)."""
        roster = self.rosters.get(room)
        if roster is None:
            return  # the room is over for signalling: nothing to remember it for
        if peer is None:
            self.speakers.pop(room, None)
        else:
            self.speakers[room] = peer
        message = {"type": "active_speaker", "participantId": peer}
        sessions = self.sessions.get(room, {})
        for participant in roster.stage():
            session = sessions.get(participant.id)
            if session is not None:
                session.send(message)

    def peer_failed(self, room: str, peer: str) -> None:
        session = self.session(room, peer)
        if session is not None:
            logger.info("media connection of %s in %s failed; closing its session", peer, room)
            session.close_soon()
