"""Quick polls in a live session: single or multiple choice, one answer per person.

A person's later answer replaces their earlier one (a pupil may change their mind until the
poll closes). Results are counts per option; who chose what stays with the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_OPTIONS = 10
MAX_QUESTION = 300
MAX_OPTION = 100


class PollError(ValueError):
    """An answer or a poll that breaks the rules; the message says which."""


@dataclass
class Poll:
    id: str
    question: str
    options: list[str]
    multiple: bool
    """Several options may be chosen."""
    show_results: bool
    """Results go to everyone, not only to the hosts."""
    closed: bool = False
    answers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Choices by identity (a reconnect keeps one's answer)."""

    @classmethod
    def create(
        cls, poll_id: str, question: str, options: list[str], multiple: bool, show_results: bool
    ) -> Poll:
        question = " ".join(question.split())
        options = [" ".join(o.split()) for o in options]
        if not question or len(question) > MAX_QUESTION:
            raise PollError(f"the question must have 1 to {MAX_QUESTION} characters")
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise PollError(f"a poll has 2 to {MAX_OPTIONS} options")
        if any(not o or len(o) > MAX_OPTION for o in options):
            raise PollError(f"each option must have 1 to {MAX_OPTION} characters")
        if len(set(options)) != len(options):
            raise PollError("options must differ")
        return cls(poll_id, question, options, multiple, show_results)

    def answer(self, identity: str, choices: list[int]) -> None:
        if self.closed:
            raise PollError("this poll is closed")
        picked = sorted(set(choices))
        if not picked or any(not 0 <= c < len(self.options) for c in picked):
            raise PollError(f"choose among options 0 to {len(self.options) - 1}")
        if len(picked) > 1 and not self.multiple:
            raise PollError("this poll takes one choice")
        self.answers[identity] = tuple(picked)

    def counts(self) -> list[int]:
        counts = [0] * len(self.options)
        for choices in self.answers.values():
            for choice in choices:
                counts[choice] += 1
        return counts

    def to_dict(self) -> dict[str, object]:
        """The poll as participants see it (no results)."""
        return {
            "id": self.id,
            "question": self.question,
            "options": self.options,
            "multiple": self.multiple,
            "showResults": self.show_results,
            "closed": self.closed,
        }

    def results(self) -> dict[str, object]:
        return {"pollId": self.id, "counts": self.counts(), "voters": len(self.answers)}
