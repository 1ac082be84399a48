"""A session's polls as the school keeps them: each question asked (a quick quiz when it has a
correct option) and each person's latest answer, so they outlive the room they were asked in.

The live poll (`polls.Poll`) is the room's; these are what it leaves in the repository, and
what the session's page and the REST API read back after the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollRecord:
    """One poll of a session, as asked."""

    id: str
    session_id: str
    question: str
    options: tuple[str, ...]
    multiple: bool
    """Several options may be chosen."""
    asked_by: str
    """The user id of the host who asked it."""
    asked_at: float
    correct: int | None = None
    """The right option of a quiz (None: an opinion poll, nothing is right or wrong)."""
    closed_at: float | None = None
    """None while it is open."""
    show_results: bool = False
    """The room showed its counts to everyone, not only to the hosts."""


@dataclass(frozen=True)
class PollAnswer:
    """One person's latest answer to one poll (a changed answer replaces the earlier one)."""

    poll_id: str
    user_id: str
    """Whoever answered: like attendance, the record names them without tying to an account."""
    name: str
    choices: tuple[int, ...]
    answered_at: float

    def right(self, poll: PollRecord) -> bool | None:
        """Whether this answer is the quiz's correct one (None: the poll is no quiz)."""
        if poll.correct is None:
            return None
        return self.choices == (poll.correct,)
