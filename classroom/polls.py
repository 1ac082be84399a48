"""Quick polls in a live session: single or multiple choice, one answer per person, and an
optional correct option that makes the poll a quick quiz.

A person's later answer replaces their earlier one (a pupil may change their mind until the
poll closes). Everyone may see the counts per option when the host shows them; who chose
what, and which option is right, stay with the hosts until the poll closes: then each pupil
learns whether they were right. Each poll and answer is also kept with the session
(`poll_records`), so a room that starts again picks its open polls back up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors
from .poll_records import PollAnswer, PollRecord

MAX_OPTIONS = 10
MAX_QUESTION = 300
MAX_OPTION = 100


class PollError(ValueError):
    """An answer or a poll that breaks the rules; `code` is stable (classroom/errors.py), the
    message says which rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Poll:
    id: str
    question: str
    options: list[str]
    multiple: bool
    """Several options may be chosen."""
    show_results: bool
    """Counts go to everyone, not only to the hosts."""
    correct: int | None = None
    """The quiz's right option (None: an opinion poll)."""
    asked_at: float = 0.0
    closed: bool = False
    answers: dict[str, PollAnswer] = field(default_factory=dict)
    """Latest answers by identity (a reconnect keeps one's answer)."""

    @classmethod
    def create(
        cls,
        poll_id: str,
        question: str,
        options: list[str],
        multiple: bool,
        show_results: bool,
        correct: int | None = None,
        asked_at: float = 0.0,
    ) -> Poll:
        question = " ".join(question.split())
        options = [" ".join(o.split()) for o in options]
        if not question or len(question) > MAX_QUESTION:
            raise PollError(
                errors.POLL_INVALID, f"the question must have 1 to {MAX_QUESTION} characters"
            )
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise PollError(errors.POLL_INVALID, f"a poll has 2 to {MAX_OPTIONS} options")
        if any(not o or len(o) > MAX_OPTION for o in options):
            raise PollError(
                errors.POLL_INVALID, f"each option must have 1 to {MAX_OPTION} characters"
            )
        if len(set(options)) != len(options):
            raise PollError(errors.POLL_INVALID, "options must differ")
        if correct is not None:
            if multiple:
                raise PollError(
                    errors.POLL_CORRECT_NOT_AN_OPTION, "a quiz is single choice: one right option"
                )
            if not 0 <= correct < len(options):
                raise PollError(
                    errors.POLL_CORRECT_NOT_AN_OPTION,
                    f"the correct option must be one of 0 to {len(options) - 1}",
                )
        return cls(poll_id, question, options, multiple, show_results, correct, asked_at)

    @classmethod
    def restore(cls, record: PollRecord, answers: list[PollAnswer]) -> Poll:
        """The live poll again from what the session kept (a room that starts again)."""
        return cls(
            record.id,
            record.question,
            list(record.options),
            record.multiple,
            record.show_results,
            record.correct,
            record.asked_at,
            record.closed_at is not None,
            {a.user_id: a for a in answers},
        )

    def record(self, session_id: str, asked_by: str) -> PollRecord:
        return PollRecord(
            self.id,
            session_id,
            self.question,
            tuple(self.options),
            self.multiple,
            asked_by,
            self.asked_at,
            self.correct,
            show_results=self.show_results,
        )

    def answer(
        self, identity: str, choices: list[int], name: str = "", at: float = 0.0
    ) -> PollAnswer:
        if self.closed:
            raise PollError(errors.POLL_CLOSED, "this poll is closed")
        picked = sorted(set(choices))
        if not picked or any(not 0 <= c < len(self.options) for c in picked):
            raise PollError(
                errors.POLL_OPTION_OUT_OF_RANGE,
                f"choose among options 0 to {len(self.options) - 1}",
            )
        if len(picked) > 1 and not self.multiple:
            raise PollError(errors.POLL_ONE_CHOICE, "this poll takes one choice")
        answer = PollAnswer(self.id, identity, name, tuple(picked), at)
        self.answers[identity] = answer
        return answer

    def mine(self, identity: str) -> list[int]:
        answer = self.answers.get(identity)
        return list(answer.choices) if answer is not None else []

    def counts(self) -> list[int]:
        counts = [0] * len(self.options)
        for answer in self.answers.values():
            for choice in answer.choices:
                counts[choice] += 1
        return counts

    def to_dict(self, host: bool = False) -> dict[str, object]:
        """The poll as a participant sees it (no results): whether it is a quiz, but its
        right option only to hosts, and to everyone once it is closed."""
        shown: dict[str, object] = {
            "id": self.id,
            "question": self.question,
            "options": self.options,
            "multiple": self.multiple,
            "showResults": self.show_results,
            "closed": self.closed,
            "quiz": self.correct is not None,
        }
        if self.correct is not None and (host or self.closed):
            shown["correct"] = self.correct
        return shown

    def results(self) -> dict[str, object]:
        """Counts per option: what everyone sees when the poll shows its results."""
        return {"pollId": self.id, "counts": self.counts(), "voters": len(self.answers)}

    def host_results(self) -> dict[str, object]:
        """The counts, and who chose what (and, for a quiz, how many were right): the hosts'."""
        answers = sorted(self.answers.values(), key=lambda a: (a.name.casefold(), a.user_id))
        results: dict[str, object] = {
            **self.results(),
            "answers": [
                {"identity": a.user_id, "name": a.name, "choices": list(a.choices)}
                | ({"right": a.choices == (self.correct,)} if self.correct is not None else {})
                for a in answers
            ],
        }
        if self.correct is not None:
            results["correct"] = self.correct
            results["right"] = sum(a.choices == (self.correct,) for a in answers)
        return results
