"""A class's quiz history: the quick quizzes its lessons asked, and each pupil's score over
them (right answers of all the quizzes asked), for /school's class page.

Only closed quizzes count: an open one's right option is still its hosts' (and a lesson's
end closes what it left open). A quiz a pupil did not answer counts against them, as a test
they missed would; a pupil who answered but has left the class keeps a row, named as they
answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Session, User
from .poll_records import PollAnswer, PollRecord


@dataclass(frozen=True)
class Quiz:
    poll: PollRecord
    session: Session


@dataclass(frozen=True)
class PupilScore:
    user_id: str
    name: str
    right: int
    answered: int
    total: int
    """Quizzes asked (the same for every pupil): the score is right / total."""
    in_class: bool
    """A pupil of the class now (False: one who answered and has left it)."""


@dataclass(frozen=True)
class ClassQuizzes:
    quizzes: list[Quiz]
    """Oldest first."""
    pupils: list[PupilScore]
    """By name."""
    everyone: bool
    """All the class's pupils (its teachers, the school's admins); else the asker's own row."""


def class_quizzes(
    asked: list[tuple[Session, list[PollRecord], list[PollAnswer]]],
    pupils: list[User],
    everyone: bool,
    me: str,
) -> ClassQuizzes:
    """The scores from each lesson's polls and answers; `pupils`: the class's now; `me`: the
    asker, whose row alone is kept unless `everyone`."""
    quizzes: list[Quiz] = []
    right: dict[str, int] = {}
    answered: dict[str, int] = {}
    names = {p.id: p.name for p in pupils}
    for session, polls, answers in asked:
        for poll in polls:
            if poll.correct is None or poll.closed_at is None:
                continue
            quizzes.append(Quiz(poll, session))
            for answer in answers:
                if answer.poll_id != poll.id:
                    continue
                names.setdefault(answer.user_id, answer.name)
                answered[answer.user_id] = answered.get(answer.user_id, 0) + 1
                right[answer.user_id] = right.get(answer.user_id, 0) + bool(answer.right(poll))
    quizzes.sort(key=lambda q: q.poll.asked_at)
    current = {p.id for p in pupils}
    rows = [
        PupilScore(
            user_id,
            name,
            right.get(user_id, 0),
            answered.get(user_id, 0),
            len(quizzes),
            user_id in current,
        )
        for user_id, name in names.items()
        if everyone or user_id == me
    ]
    rows.sort(key=lambda r: (r.name.casefold(), r.user_id))
    return ClassQuizzes(quizzes, rows, everyone)
