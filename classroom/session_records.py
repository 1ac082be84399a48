"""What a session's live room records and asks (`signaling.server_state.SessionRecord`): it
starts with a host and ends, who came and left, the chat, removals; whether it is open,
broadcast, or ends without a host.

Separate from `sessions`: these take the room's id and check no one (the room token already
proved who may be in the room), and a room that is no session (the demo room) records
nothing. One family of `service.Classroom`'s use cases (a mixin over `use_cases.UseCases`).
"""

from __future__ import annotations

from dataclasses import replace

from . import errors
from .errors import ClassroomError
from .models import Attendance, ChatLine, SessionKind, SessionState
from .session_changes import Change
from .use_cases import UseCases, one_writer


class SessionRecords(UseCases):
    """The live room's records, for `service.Classroom`."""

    async def check_open(self, session_id: str) -> bool:
        """Whether the room's session is live (a room that is no session always is); refuse
        entry into an ended one (a room token outlives the end)."""
        session = await self._store.session(session_id)
        if session is None:
            return True
        if session.state is SessionState.ENDED:
            raise ClassroomError(errors.SESSION_ENDED, "this session has ended")
        return session.state is SessionState.LIVE

    async def expected_size(self, session_id: str) -> int:
        """How many the room is expected to hold, for placing it on a district's node before
        they come: a lesson's or parent meeting's class with its teachers, a consultation's
        two, an event's stage (its audience, unknown ahead, is counted as it comes)."""
        session = await self._store.session(session_id)
        if session is None:
            return 1
        if session.kind is SessionKind.CONSULTATION:
            return 2
        if session.class_id is not None:
            school_class = await self._store.school_class(session.class_id)
            if school_class is not None:
                return len(school_class.pupils) + len(school_class.teachers)
        return 1 + len(session.performers)

    async def hostless_ends(self, session_id: str) -> bool:
        """Whether the room is a live session that ends after a while without a host. An
        event goes on while its performers perform: its organiser ends it."""
        session = await self._store.session(session_id)
        return (
            session is not None
            and session.state is SessionState.LIVE
            and session.kind is not SessionKind.EVENT
        )

    @one_writer
    async def end_live(self, session_id: str) -> None:
        """The live room's session ends now: a host in it ended it (their room token proved
        they may), or it had no host for too long. No-op for a room that is no session."""
        session = await self._store.session(session_id)
        if session is not None and session.state is not SessionState.ENDED:
            session = replace(session, state=SessionState.ENDED, ended_at=self._clock())
            await self._store.update_session(session)
            await self._changes.changed(session, Change.ENDED)
            # Its polls still open close with it (issue 18): none waits for answers forever.
            for poll in await self._store.polls(session_id):
                if poll.closed_at is None:
                    await self._store.close_poll(poll.id, self._clock())

    async def live_sessions(self) -> list[str]:
        """Every school's live sessions (after a restart, their rooms are empty)."""
        return [
            session.id
            for school in await self._store.schools()
            for session in await self._store.sessions(school.id)
            if session.state is SessionState.LIVE
        ]

    @one_writer
    async def host_arrived(self, session_id: str) -> None:
        """A host entered a scheduled session's room: it starts (their room token already
        proved they may start it)."""
        session = await self._store.session(session_id)
        if session is not None and session.state is SessionState.SCHEDULED:
            session = replace(session, state=SessionState.LIVE, started_at=self._clock())
            await self._store.update_session(session)
            await self._changes.changed(session, Change.STARTED)

    async def arrived(self, session_id: str, user_id: str, name: str) -> int | None:
        """Record that someone entered a session's live room; returns the stay's id, or None
        for a room that is no session of ours (the demo room)."""
        if await self._store.session(session_id) is None:
            return None
        return await self._store.add_attendance(
            Attendance(session_id, user_id, name, joined_at=self._clock())
        )

    async def departed(self, stay_id: int) -> None:
        try:
            await self._store.close_attendance(stay_id, self._clock())
        except KeyError:
            pass  # the person's data was erased while they were in the room: the stay too

    async def said(self, session_id: str, user_id: str, name: str, text: str, ts: float) -> None:
        """Keep a chat line with its session (rooms that are no session keep none)."""
        if await self._store.session(session_id) is not None:
            await self._store.add_chat(ChatLine(session_id, user_id, name, text, ts))

    async def removed(self, session_id: str, user_id: str) -> None:
        """A host removed `user_id`: they cannot come back into this session."""
        if await self._store.session(session_id) is not None:
            await self._store.add_removal(session_id, user_id)

    async def title(self, session_id: str) -> str | None:
        session = await self._store.session(session_id)
        return session.title if session is not None else None

    async def is_removed(self, session_id: str, user_id: str) -> bool:
        return await self._store.is_removed(session_id, user_id)

    async def broadcasts(self, session_id: str) -> bool:
        """An event is also sent out as live HLS, for an audience past one SFU."""
        session = await self._store.session(session_id)
        return session is not None and session.kind is SessionKind.EVENT

    async def audience_over_hls(self, session_id: str) -> bool:
        """The event's organiser sends its whole audience to HLS."""
        session = await self._store.session(session_id)
        return session is not None and session.hls_only

    async def recent_chat(self, session_id: str, limit: int) -> list[ChatLine]:
        """What a room that starts again (after everyone left, or a restart) shows first."""
        return await self._store.chat(session_id, limit)
